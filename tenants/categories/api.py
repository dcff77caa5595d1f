"""Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies."""
from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import TenantScope, tenant_scope
from siaga112.platform.identity.roles import (
    MINISTRY_ROLES,
    OPERATOR,
    PLATFORM_ADMIN,
    REGIONAL_ADMIN,
    SUPERVISOR,
)

from . import service
from .schemas import (
    CategoryCreateSchema,
    CategoryQuerySchema,
    CategorySchema,
    CategoryUpdateSchema,
)

blp = ApiBlueprint("categories", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies.")

# Operators classify every call by these; the ministry compares regions by them.
READERS = (REGIONAL_ADMIN, SUPERVISOR, OPERATOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
WRITERS = (REGIONAL_ADMIN,)
PAGE = {"pager": SelectPage, "page_size": 100, "max_page_size": 500}


def seeded_scope() -> TenantScope:
    """The request's tenant scope, the tenant's national categories present (see service: seeding on first read)."""
    scope = tenant_scope()
    if service.ensure_national_categories(scope.session, scope.tenant_id):
        # A deliberate early commit, not left to the request's unit of work: the seeding stands even when this
        # request is refused (a 404, a form sent back), and concurrent first reads wait on its rows no longer.
        scope.session.commit()
    return scope


def scoped_category(code: str):
    """The path's category, the tenant seeded first (a 404 refusal if the region has none of that code)."""
    scope = seeded_scope()
    return service.get_category(scope.session, scope.tenant_id, code)


@blp.route("/categories")
class Categories(MethodView):
    @blp.operation(READERS, CategorySchema(many=True), query=CategoryQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's incident categories in display order, with the agencies each goes to"""
        return service.categories_query(seeded_scope().tenant_id, query.get("active"), query.get("emergency"))

    @blp.operation(WRITERS, CategorySchema, 201, body=CategoryCreateSchema, etag=True,
                   refusals={409: "The region already has a category with this code"})
    def post(self, body, tenant):
        """Add a category of the region's own (regional_admin)"""
        scope = seeded_scope()  # a custom code must not take a national one's place
        return blp.versioned(service.create_category(scope.session, scope.tenant_id, body, scope.actor))


@blp.route("/categories/<code>")
class CategoryByCode(MethodView):
    @blp.operation(READERS, CategorySchema, etag=True)
    def get(self, tenant, code):
        """One category, with an ETag"""
        return blp.versioned(scoped_category(code))

    @blp.operation(WRITERS, CategorySchema, body=CategoryUpdateSchema, etag=True,
                   refusals={412: "The If-Match ETag is stale: fetch the category again"})
    def patch(self, changes, tenant, code):
        """Rename, disable or remap a category (agency_ids replaces the mapping); needs If-Match"""
        scope = tenant_scope()
        category = blp.check_version(scoped_category(code))
        return blp.versioned(service.update_category(scope.session, category, changes, scope.actor))

    @blp.operation(WRITERS, status=204, etag=True, refusals={409: "National categories are disabled, not deleted"})
    def delete(self, tenant, code):
        """Delete a category of the region's own; needs If-Match"""
        scope = tenant_scope()
        category = blp.check_version(scoped_category(code))
        service.delete_category(scope.session, category, scope.actor)
