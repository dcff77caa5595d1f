from flask.views import MethodView
from flask_smorest import abort

from ..api import ApiBlueprint, SelectPage
from ..db import request_session
from ..identity.access import current_access, roles_allowed
from ..identity.roles import MACHINE_CLIENT, PLATFORM_ADMIN, PLATFORM_ROLES, REGIONAL_ADMIN, ROLES
from . import service
from .schemas import TenantCreateSchema, TenantSchema, TenantUpdateSchema

blp = ApiBlueprint("tenants", __name__, url_prefix="/api/v1/tenants",
                   description="Tenants: one per region on the platform.")

EVERY_ROLE = ROLES + (MACHINE_CLIENT,)


@blp.route("")
class Tenants(MethodView):
    @roles_allowed(*EVERY_ROLE)
    @blp.response(200, TenantSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=600)
    def get(self):
        """The tenants you may see: all of them for platform roles, your own otherwise"""
        return service.visible_tenants(current_access().principal)

    @roles_allowed(PLATFORM_ADMIN)
    @blp.arguments(TenantCreateSchema)
    @blp.response(201, TenantSchema)
    @blp.alt_response(409, description="The region already has a tenant")
    def post(self, body):
        """Create the tenant of a region (platform_admin)"""
        session = request_session()
        try:
            tenant = service.create_tenant(session, body["region_code"], current_access().actor())
        except service.UnknownRegion as error:
            abort(422, message=str(error), errors={"json": {"region_code": [str(error)]}})
        except service.TenantExists as error:
            abort(409, message=str(error))
        session.commit()
        return tenant


@blp.route("/<tenant>")
class TenantBySlug(MethodView):
    @roles_allowed(*EVERY_ROLE)
    @blp.etag
    @blp.response(200, TenantSchema)
    def get(self, tenant):
        """One tenant, with an ETag"""
        found = current_access().tenant
        blp.set_etag({"id": str(found.id), "version": found.version})
        return found

    @roles_allowed(PLATFORM_ADMIN, REGIONAL_ADMIN)
    @blp.etag
    @blp.arguments(TenantUpdateSchema)
    @blp.response(200, TenantSchema)
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the tenant again")
    def patch(self, changes, tenant):
        """Change a tenant's contact details (regional_admin) or status (platform_admin); needs If-Match"""
        access = current_access()
        found = access.tenant
        blp.check_etag({"id": str(found.id), "version": found.version})
        session = request_session()
        try:
            service.update_tenant(session, found, changes, access.actor(), platform=access.role in PLATFORM_ROLES)
        except service.NotEditable as error:
            abort(403, message=str(error))
        except service.StaleTenant as error:
            abort(412, message=str(error))
        session.commit()
        blp.set_etag({"id": str(found.id), "version": found.version})
        return found
