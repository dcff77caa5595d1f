"""A region's directory: its agencies and their contacts, and its phone numbers; and the platform's routing lookup."""
from flask.views import MethodView
from flask_smorest import abort
from siaga112.platform.api import ApiBlueprint, SelectPage, refuse
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import (
    MACHINE_CLIENT,
    MINISTRY_ROLES,
    OPERATOR,
    PLATFORM_ADMIN,
    PLATFORM_ROLES,
    REGIONAL_ADMIN,
    SUPERVISOR,
)
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
def _version(row) -> dict:
    return {"id": str(row.id), "version": row.version}


def _agency(agency_id):
    try:
        return service.get_agency(request_session(), current_access().tenant.id, agency_id)
    except service.NotFound as error:
        refuse(error)


def _number(number_id):
    try:
        return service.get_number(request_session(), current_access().tenant.id, number_id)
    except service.NotFound as error:
        refuse(error)


@blp.route("/agencies")
class Agencies(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(AgencyQuerySchema, location="query")
    @blp.response(200, AgencySchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    def get(self, query, tenant):
        """The region's agencies with their contact numbers, by name"""
        return service.agencies_query(current_access().tenant.id, query.get("kind"), query.get("active"))

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(AgencyCreateSchema)
    @blp.response(201, AgencySchema)
    @blp.alt_response(409, description="The region already has an agency of that name")
    def post(self, body, tenant):
        """Add an agency (regional_admin); add its contact numbers at /numbers"""
        access, session = current_access(), request_session()
        try:
            agency = service.create_agency(session, access.tenant.id, body, access.actor())
        except service.DirectoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(agency))
        return agency


@blp.route("/agencies/<uuid:agency_id>")
class AgencyById(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, AgencySchema)
    def get(self, tenant, agency_id):
        """One agency with its contacts, with an ETag"""
        agency = _agency(agency_id)
        blp.set_etag(_version(agency))
        return agency

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(AgencyUpdateSchema)
    @blp.response(200, AgencySchema)
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the agency again")
    def patch(self, changes, tenant, agency_id):
        """Rename, reclassify, (de)activate an agency or change its e-mail; needs If-Match"""
        access, session = current_access(), request_session()
        agency = _agency(agency_id)
        blp.check_etag(_version(agency))
        try:
            service.update_agency(session, agency, changes, access.actor())
        except service.DirectoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(agency))
        return agency


@blp.route("/numbers")
class Numbers(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(NumberQuerySchema, location="query")
    @blp.response(200, NumberSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    def get(self, query, tenant):
        """The region's numbers: 112 inbound and backup lines, agency contacts"""
        return service.numbers_query(current_access().tenant.id, query.get("kind"), query.get("agency_id"),
                                     query.get("active"))

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(NumberCreateSchema)
    @blp.response(201, NumberSchema)
    @blp.alt_response(409, description="The line is already registered (here or in another region)")
    def post(self, body, tenant):
        """Register a number written any usual way; it is stored as E.164. A line belongs to one region only"""
        access, session = current_access(), request_session()
        try:
            number = service.add_number(session, access.tenant.id, body["number"], body["kind"], body["label"],
                                        body["agency_id"], access.actor())
        except service.DirectoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(number))
        return number


@blp.route("/numbers/<uuid:number_id>")
class NumberById(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, NumberSchema)
    def get(self, tenant, number_id):
        """One number, with an ETag"""
        number = _number(number_id)
        blp.set_etag(_version(number))
        return number

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(NumberUpdateSchema)
    @blp.response(200, NumberSchema)
    @blp.alt_response(409, description="Reactivating a line that another registration holds now")
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the number again")
    def patch(self, changes, tenant, number_id):
        """Change a number's label, agency or active flag; needs If-Match"""
        access, session = current_access(), request_session()
        number = _number(number_id)
        blp.check_etag(_version(number))
        try:
            service.update_number(session, number, changes, access.actor())
        except service.DirectoryError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(number))
        return number

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.response(204)
    def delete(self, tenant, number_id):
        """Remove a number (a line removed is free for registration again); needs If-Match"""
        access, session = current_access(), request_session()
        number = _number(number_id)
        blp.check_etag(_version(number))
        try:
            service.remove_number(session, number, access.actor())
        except service.DirectoryError as error:
            refuse(error)
        session.commit()


@routing_blp.route("/lookup")
class RoutingLookup(MethodView):
    @roles_allowed(*PLATFORM_ROLES, MACHINE_CLIENT)
    @routing_blp.arguments(LookupQuerySchema, location="query")
    @routing_blp.response(200, LookupSchema)
    @routing_blp.alt_response(404, description="No region has this as an active 112 line")
    def get(self, query):
        """Which region an active 112 inbound or backup line belongs to"""
        session = request_session()
        # The answer spans tenants by nature, for machine clients too (a telco's or PBX's routing asks about
        # any line). It reveals only the owning region's public identity, which the registry shows anyway.
        set_context(session, PLATFORM)
        found = service.lookup_line(session, query["dialed"])
        if found is None:
            abort(404, message="No region has this number as an active 112 line.")
        number, tenant = found
        return {"e164": number.e164, "kind": number.kind,
                "tenant": {"slug": tenant.slug, "name": tenant.name, "region_code": tenant.region_code,
                           "status": tenant.status, "time_zone": tenant.time_zone}}
