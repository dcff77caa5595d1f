"""A region's directory: its agencies and their contacts, and its phone numbers; and the platform's routing lookup."""
from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import tenant_scope
from siaga112.platform.identity.roles import (
    MACHINE_CLIENT,
    MINISTRY_ROLES,
    OPERATOR,
    PLATFORM_ADMIN,
    PLATFORM_ROLES,
    REGIONAL_ADMIN,
    SUPERVISOR,
)
from siaga112.platform.refusals import N_, NotFound
from siaga112.platform.tenancy.context import PLATFORM, set_context

from . import service
from .schemas import (
    AgencyCreateSchema,
    AgencyQuerySchema,
    AgencySchema,
    AgencyUpdateSchema,
    LookupQuerySchema,
    LookupSchema,
    NumberCreateSchema,
    NumberQuerySchema,
    NumberSchema,
    NumberUpdateSchema,
)

blp = ApiBlueprint("directory", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="A region's directory: its agencies and their contacts, and its phone numbers.")
routing_blp = ApiBlueprint("routing", __name__, url_prefix="/api/v1/routing",
                           description="Which region a dialled 112 line belongs to (platform roles and machine clients).")

# Operators dispatch to agencies and call them back; the ministry reads every region's set-up.
READERS = (REGIONAL_ADMIN, SUPERVISOR, OPERATOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
WRITERS = (REGIONAL_ADMIN,)
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}
STALE_ETAG = "The If-Match ETag is stale: fetch the {} again"


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.operation(READERS, AgencySchema(many=True), query=AgencyQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's agencies with their contact numbers, by name"""
        return service.agencies_query(tenant_scope().tenant_id, query.get("kind"), query.get("active"))

    @blp.operation(WRITERS, AgencySchema, 201, body=AgencyCreateSchema, etag=True,
                   refusals={409: "The region already has an agency of that name"})
    def post(self, body, tenant):
        """Add an agency (regional_admin); add its contact numbers at /numbers"""
        scope = tenant_scope()
        return blp.versioned(service.create_agency(scope.session, scope.tenant_id, body, scope.actor))


@blp.route("/agencies/<uuid:agency_id>")
class AgencyById(MethodView):
    @blp.operation(READERS, AgencySchema, etag=True)
    def get(self, tenant, agency_id):
        """One agency with its contacts, with an ETag"""
        scope = tenant_scope()
        return blp.versioned(service.get_agency(scope.session, scope.tenant_id, agency_id))

    @blp.operation(WRITERS, AgencySchema, body=AgencyUpdateSchema, etag=True,
                   refusals={412: STALE_ETAG.format("agency")})
    def patch(self, changes, tenant, agency_id):
        """Rename, reclassify, (de)activate an agency or change its e-mail; needs If-Match"""
        scope = tenant_scope()
        agency = blp.check_version(service.get_agency(scope.session, scope.tenant_id, agency_id))
        return blp.versioned(service.update_agency(scope.session, agency, changes, scope.actor))


@blp.route("/numbers")
class Numbers(MethodView):
    @blp.operation(READERS, NumberSchema(many=True), query=NumberQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's numbers: 112 inbound and backup lines, agency contacts"""
        return service.numbers_query(tenant_scope().tenant_id, query.get("kind"), query.get("agency_id"),
                                     query.get("active"))

    @blp.operation(WRITERS, NumberSchema, 201, body=NumberCreateSchema, etag=True,
                   refusals={409: "The line is already registered (here or in another region)"})
    def post(self, body, tenant):
        """Register a number written any usual way; it is stored as E.164. A line belongs to one region only"""
        scope = tenant_scope()
        return blp.versioned(service.add_number(scope.session, scope.tenant_id, body["number"], body["kind"],
                                                body["label"], body["agency_id"], scope.actor))


@blp.route("/numbers/<uuid:number_id>")
class NumberById(MethodView):
    @blp.operation(READERS, NumberSchema, etag=True)
    def get(self, tenant, number_id):
        """One number, with an ETag"""
        scope = tenant_scope()
        return blp.versioned(service.get_number(scope.session, scope.tenant_id, number_id))

    @blp.operation(WRITERS, NumberSchema, body=NumberUpdateSchema, etag=True,
                   refusals={409: "Reactivating a line that another registration holds now",
                             412: STALE_ETAG.format("number")})
    def patch(self, changes, tenant, number_id):
        """Change a number's label, agency or active flag; needs If-Match"""
        scope = tenant_scope()
        number = blp.check_version(service.get_number(scope.session, scope.tenant_id, number_id))
        return blp.versioned(service.update_number(scope.session, number, changes, scope.actor))

    @blp.operation(WRITERS, status=204, etag=True)
    def delete(self, tenant, number_id):
        """Remove a number (a line removed is free for registration again); needs If-Match"""
        scope = tenant_scope()
        number = blp.check_version(service.get_number(scope.session, scope.tenant_id, number_id))
        service.remove_number(scope.session, number, scope.actor)


@routing_blp.route("/lookup")
class RoutingLookup(MethodView):
    @routing_blp.operation((*PLATFORM_ROLES, MACHINE_CLIENT), LookupSchema, query=LookupQuerySchema,
                           refusals={404: "No region has this as an active 112 line"})
    def get(self, query):
        """Which region an active 112 inbound or backup line belongs to"""
        session = request_session()
        # The answer spans tenants by nature, for machine clients too (a telco's or PBX's routing asks about
        # any line). It reveals only the owning region's public identity, which the registry shows anyway.
        set_context(session, PLATFORM)
        found = service.lookup_line(session, query["dialed"])
        if found is None:
            raise NotFound(N_("No region has this number as an active 112 line."))
        number, tenant = found
        return {"e164": number.e164, "kind": number.kind,
                "tenant": {"slug": tenant.slug, "name": tenant.name, "region_code": tenant.region_code,
                           "status": tenant.status, "time_zone": tenant.time_zone}}
