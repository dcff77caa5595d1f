"""Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies."""
from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage, refuse
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
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
def _version(category) -> dict:
    return {"id": str(category.id), "version": category.version}


def _seeded_tenant_id():
    """The path's tenant, with its national categories present (see service: seeding on first read)."""
    session, tenant_id = request_session(), current_access().tenant.id
    if service.ensure_national_categories(session, tenant_id):
        session.commit()
    return tenant_id


def _category(code):
    try:
        return service.get_category(request_session(), _seeded_tenant_id(), code)
    except service.NotFound as error:
        refuse(error)


@blp.route("/categories")
class Categories(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(CategoryQuerySchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    @blp.paginate(SelectPage, page_size=100, max_page_size=500)
    def get(self, query, tenant):
        """The region's incident categories in display order, with the agencies each goes to"""
        return service.categories_query(_seeded_tenant_id(), query.get("active"), query.get("emergency"))

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    @blp.alt_response(409, description="The region already has a category with this code")
    def post(self, body, tenant):
        """Add a category of the region's own (regional_admin)"""
        access, session = current_access(), request_session()
        tenant_id = _seeded_tenant_id()  # a custom code must not take a national one's place
        try:
            category = service.create_category(session, tenant_id, body, access.actor())
        except service.CategoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(category))
        return category


@blp.route("/categories/<code>")
class CategoryByCode(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, CategorySchema)
    def get(self, tenant, code):
        """One category, with an ETag"""
        category = _category(code)
        blp.set_etag(_version(category))
        return category

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(CategoryUpdateSchema)
    @blp.response(200, CategorySchema)
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the category again")
    def patch(self, changes, tenant, code):
        """Rename, disable or remap a category (agency_ids replaces the mapping); needs If-Match"""
        access, session = current_access(), request_session()
        category = _category(code)
        blp.check_etag(_version(category))
        try:
            service.update_category(session, category, changes, access.actor())
        except service.CategoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(category))
        return category

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.response(204)
    @blp.alt_response(409, description="National categories are disabled, not deleted")
    def delete(self, tenant, code):
        """Delete a category of the region's own; needs If-Match"""
        access, session = current_access(), request_session()
        category = _category(code)
        blp.check_etag(_version(category))
        try:
            service.delete_category(session, category, access.actor())
        except service.CategoryError as error:
            refuse(error)
        session.commit()
