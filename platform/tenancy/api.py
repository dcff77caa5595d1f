from flask.views import MethodView

from ..api import ApiBlueprint, SelectPage
from ..db import request_session
from ..identity.access import current_access, tenant_scope
from ..identity.roles import MACHINE_CLIENT, PLATFORM_ADMIN, PLATFORM_ROLES, REGIONAL_ADMIN, ROLES
from . import service
from .schemas import TenantCreateSchema, TenantSchema, TenantUpdateSchema

blp = ApiBlueprint("tenants", __name__, url_prefix="/api/v1/tenants",
                   description="Tenants: one per region on the platform.")

EVERY_ROLE = ROLES + (MACHINE_CLIENT,)


@blp.route("")
class Tenants(MethodView):
    @blp.operation(EVERY_ROLE, TenantSchema(many=True), page={"pager": SelectPage, "page_size": 50, "max_page_size": 600})
    def get(self):
        """The tenants you may see: all of them for platform roles, your own otherwise"""
        return service.visible_tenants(current_access().principal)

    @blp.operation((PLATFORM_ADMIN,), TenantSchema, 201, body=TenantCreateSchema,
                   refusals={409: "The region already has a tenant"})
    def post(self, body):
        """Create the tenant of a region (platform_admin)"""
        return service.create_tenant(request_session(), body["region_code"], current_access().actor())


@blp.route("/<tenant>")
class TenantBySlug(MethodView):
    @blp.operation(EVERY_ROLE, TenantSchema, etag=True)
    def get(self, tenant):
        """One tenant, with an ETag"""
        return blp.versioned(tenant_scope().tenant)

    @blp.operation((PLATFORM_ADMIN, REGIONAL_ADMIN), TenantSchema, body=TenantUpdateSchema, etag=True,
                   refusals={412: "The If-Match ETag is stale: fetch the tenant again"})
    def patch(self, changes, tenant):
        """Change a tenant's contact details (regional_admin) or status (platform_admin); needs If-Match"""
        scope, role = tenant_scope(), current_access().role
        found = blp.check_version(scope.tenant)
        return blp.versioned(service.update_tenant(scope.session, found, changes, scope.actor,
                                                   platform=role in PLATFORM_ROLES))
