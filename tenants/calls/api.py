"""The telephony intake (a region's machine client) and the region's calls (its own staff only).

National roles never receive call rows: the readers are the region's operators, supervisors and admin.
"""

from flask import current_app, request
from flask.views import MethodView

from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import current_access, tenant_scope
from siaga112.platform.identity.roles import MACHINE_CLIENT, OPERATOR, REGIONAL_ADMIN, SUPERVISOR
from siaga112.platform.db import request_session

from . import service
from .schemas import (BlockCreateSchema, BlockSchema, CallClassifySchema, CallerNumberSchema, CallLogSchema,
                      CallQuerySchema, CallSchema, IntakeSchema, TelephonyEventSchema)

telephony_blp = ApiBlueprint("telephony", __name__, url_prefix="/api/v1/telephony",
                             description="Events of the regions' PBXs and telephony gateways.")
blp = ApiBlueprint("calls", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="A region's calls, each derived from its telephony events.")

READERS = (OPERATOR, SUPERVISOR, REGIONAL_ADMIN)
TAKERS = (OPERATOR, SUPERVISOR)  # the people who take and classify calls
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}


@telephony_blp.route("/events")
class TelephonyEvents(MethodView):
    @telephony_blp.operation((MACHINE_CLIENT,), IntakeSchema, 201, body=TelephonyEventSchema, refusals={
        200: {"description": "The same event again (or the same Idempotency-Key): stored once, the call as it stands",
              "schema": IntakeSchema},
        409: "The Idempotency-Key was used for another event",
        422: "Unknown line (`dialed`), a line of another region, or a field that is not valid"})
    def post(self, body):
        """One event of a call (offered, answered, ended) from the region's PBX; may come twice and out of order"""
        principal = current_access().principal
        [tenant_id] = principal.tenant_ids()  # a machine client is bound to exactly one tenant
        result = service.intake(request_session(), tenant_id, body, current_app.secret_key,
                                request.headers.get("Idempotency-Key"))
        return result, 201 if result.stored else 200


@blp.route("/calls")
class Calls(MethodView):
    @blp.operation(READERS, CallSchema(many=True), query=CallQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's calls, newest first"""
        return service.calls_query(tenant_scope().tenant_id, query["state"])

    @blp.operation(TAKERS, CallSchema, 201, body=CallLogSchema, etag=True,
                   refusals={422: "Times out of order, no inbound line registered, or a field that is not valid"})
    def post(self, body, tenant):
        """Log a call by hand (a region whose telephony is not connected yet); audited"""
        scope = tenant_scope()
        return blp.versioned(service.log_by_hand(scope.session, scope.tenant, body, scope.actor,
                                                 current_app.secret_key))


@blp.route("/calls/<uuid:call_id>")
class OneCall(MethodView):
    @blp.operation(READERS, CallSchema, etag=True)
    def get(self, tenant, call_id):
        """One call"""
        scope = tenant_scope()
        return blp.versioned(service.get_call(scope.session, scope.tenant_id, call_id))

    @blp.operation(TAKERS, CallSchema, body=CallClassifySchema, etag=True, refusals={412: "Changed meanwhile"})
    def patch(self, body, tenant, call_id):
        """Classify a call (emergency, information, prank, ghost…); needs If-Match; audited"""
        scope = tenant_scope()
        call = blp.check_version(service.get_call(scope.session, scope.tenant_id, call_id))
        return blp.versioned(service.classify(scope.session, call, body["classification"], scope.actor))


@blp.route("/calls/<uuid:call_id>/caller")
class CallCaller(MethodView):
    @blp.operation(READERS, CallerNumberSchema)
    def get(self, tenant, call_id):
        """The caller's number (personal data): every read is written to the region's audit log"""
        scope = tenant_scope()
        call = service.get_call(scope.session, scope.tenant_id, call_id)
        return {"caller": service.read_caller(scope.session, call, scope.actor)}


@blp.route("/blocks")
class Blocks(MethodView):
    @blp.operation(READERS, BlockSchema(many=True), page=PAGE)
    def get(self, tenant):
        """The callers blocked now (by a keyed hash; the numbers are not listed), the one ending soonest first"""
        return service.blocks_query(tenant_scope().tenant_id)

    @blp.operation((SUPERVISOR,), BlockSchema, 201, body=BlockCreateSchema,
                   refusals={409: "The caller is blocked already", 422: "No reason, too long, or no number to block"})
    def post(self, body, tenant):
        """Block the caller of a call for a while (supervisor, with a reason; 24 h by default, 7 days at most)"""
        scope = tenant_scope()
        call = service.get_call(scope.session, scope.tenant_id, body["call_id"])
        return service.block_caller(scope.session, call, body["reason"], body["hours"], scope.actor)


@blp.route("/blocks/<uuid:block_id>")
class OneBlock(MethodView):
    @blp.operation((SUPERVISOR,), status=204)
    def delete(self, tenant, block_id):
        """Lift a block before its time (supervisor); audited"""
        scope = tenant_scope()
        service.lift_block(scope.session, service.get_block(scope.session, scope.tenant_id, block_id), scope.actor)
