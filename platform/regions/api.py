import json

from flask import current_app, request
from flask.views import MethodView

from ..api import ApiBlueprint
from ..db import request_session
from ..identity.access import current_access, public
from ..identity.roles import MINISTRY_VERIFIER, PLATFORM_ADMIN
from . import published, service
from .schemas import (ExternalImportFileSchema, ExternalImportQuerySchema, ExternalImportSchema, RegionQuerySchema,
                      RegionSchema)

blp = ApiBlueprint("regions", __name__, url_prefix="/api/v1/regions",
                description="The public registry of Indonesia's 514 kabupaten and kota.")
LIST_ENDPOINT = "regions.Regions"
EXTERNAL_IMPORTERS = (PLATFORM_ADMIN, MINISTRY_VERIFIER)


@blp.before_request
def answer_from_the_copy():
    """A list query this process has answered under the current registry version is answered again
    from its copy, before its arguments are parsed again (it was valid then: only 200s are kept)."""
    if request.endpoint != LIST_ENDPOINT or request.method != "GET":
        return None
    copy = published.published()
    stamp = copy.stamp(request_session)
    answer = copy.stored(stamp, ("api", request.query_string))
    return None if answer is None else published.respond(answer)


@blp.route("")
class Regions(MethodView):
    @public
    @blp.arguments(RegionQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=600)
    def get(self, pagination_parameters, **filters):
        """Regions, filtered by province, kind and part of the name

        Served from what the last sync left (the same bytes until the registry changes), with an ETag and
        Last-Modified: send If-None-Match or If-Modified-Since for a 304."""
        copy = published.published()
        stamp = copy.stamp(request_session)
        found = published.matching(copy.regions(request_session, stamp.version), **filters)
        pagination_parameters.item_count = len(found)
        first, size = pagination_parameters.first_item, pagination_parameters.page_size
        page = [region.api() for region in found[first:first + size]]
        pagination = blp._make_pagination_metadata(pagination_parameters.page, size, len(found))
        answer = copy.answer(stamp, ("api", request.query_string), lambda: (
            current_app.json.response(page).get_data(),
            {"Content-Type": "application/json", blp.PAGINATION_HEADER_NAME: json.dumps(pagination)}),
            stamp.registry_changed_at)
        return published.respond(answer)


@blp.route("/<code>")
class RegionByCode(MethodView):
    @public
    @blp.response(200, RegionSchema)
    @blp.alt_response(404, description="No region has this code")
    def get(self, code):
        """One region by its Kemendagri code (e.g. 33.75)"""
        return service.get_region(request_session(), code)


@blp.route("/external-112")
class External112(MethodView):
    @blp.operation(EXTERNAL_IMPORTERS, ExternalImportSchema, query=ExternalImportQuerySchema,
                   files=ExternalImportFileSchema, refusals={
                       422: "A row is wrong (each listed under `rows` with its row number); nothing was written"})
    def post(self, query, files):
        """Replace the list of regions that run 112 outside Siaga112 from a CSV (dry_run=true: preview)"""
        session = request_session()
        plan = service.parse_external_csv(session, files["file"].read(service.MAX_EXTERNAL_BYTES + 1))
        if not query["dry_run"]:
            plan = service.import_external_112(session, plan.rows, current_access().actor())
        return {"dry_run": query["dry_run"], "counts": plan.counts, "changes": plan.changes}
