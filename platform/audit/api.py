from flask.views import MethodView

from ..api import ApiBlueprint, SelectPage
from ..identity.access import current_access, roles_allowed
from ..identity.roles import MINISTRY_ROLES, PLATFORM_ADMIN, REGIONAL_ADMIN
from .schemas import AuditEntrySchema
from .service import audit_query

blp = ApiBlueprint("audit", __name__, url_prefix="/api/v1/tenants/<tenant>/audit",
                   description="Every change in a tenant, newest first.")


@blp.route("")
class AuditLog(MethodView):
    @roles_allowed(REGIONAL_ADMIN, PLATFORM_ADMIN, *MINISTRY_ROLES)
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    def get(self, tenant):
        """The tenant's audit log, newest first"""
        return audit_query(current_access().tenant.id)
