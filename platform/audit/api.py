from flask.views import MethodView

from ..api import ApiBlueprint, SelectPage
from ..identity.access import current_access
from ..identity.roles import MINISTRY_ROLES, PLATFORM_ADMIN, REGIONAL_ADMIN
from .schemas import AuditEntrySchema
from .service import audit_query

blp = ApiBlueprint("audit", __name__, url_prefix="/api/v1/tenants/<tenant>/audit",
                   description="Every change in a tenant, newest first.")


@blp.route("")
class AuditLog(MethodView):
    @blp.operation((REGIONAL_ADMIN, PLATFORM_ADMIN, *MINISTRY_ROLES), AuditEntrySchema(many=True),
                   page={"pager": SelectPage, "page_size": 50, "max_page_size": 500})
    def get(self, tenant):
        """The tenant's audit log, newest first"""
        return audit_query(current_access().tenant.id)
