"""The telephony intake (a region's machine client) and the region's calls, incidents and floor (its own staff).

National roles never receive call rows: the readers are the region's operators, supervisors and admin.
"""

from flask import current_app, request
from flask.views import MethodView

from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, tenant_scope
from siaga112.platform.identity.roles import MACHINE_CLIENT, OPERATOR, REGIONAL_ADMIN, SUPERVISOR, TELEPHONY_GATEWAY

from . import service
from .schemas import (BlockCreateSchema, BlockSchema, CallbackQuerySchema, CallbackSchema, CallbackUpdateSchema,
                      CallerNumberSchema, CallSettingsSchema, CallLogSchema, CallQuerySchema, CallSchema, CallUpdateSchema,
                      ExtensionSchema, ExtensionSetSchema, HandoverCreateSchema, HandoverSchema, IncidentCreateSchema,
                      IncidentQuerySchema, IncidentSchema, IncidentUpdateSchema, IntakeSchema, TelephonyEventSchema)

telephony_blp = ApiBlueprint("telephony", __name__, url_prefix="/api/v1/telephony",
                             description="Events of the regions' PBXs and telephony gateways.")
blp = ApiBlueprint("calls", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="A region's calls (each derived from its telephony events), incidents and call floor.")

READERS = (OPERATOR, SUPERVISOR, REGIONAL_ADMIN)
TAKERS = (OPERATOR, SUPERVISOR)  # the people who take and classify calls
FLOOR_KEEPERS = (SUPERVISOR, REGIONAL_ADMIN)
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}


@telephony_blp.route("/events")
class TelephonyEvents(MethodView):
    @telephony_blp.operation((MACHINE_CLIENT, TELEPHONY_GATEWAY), IntakeSchema, 201, body=TelephonyEventSchema, refusals={
        200: {"description": "The same event again (or the same Idempotency-Key): stored once, the call as it stands",
              "schema": IntakeSchema},
        409: "The Idempotency-Key was used for another event",
        422: "Unknown line (`dialed`), a line of another region, or a field that is not valid"})
    def post(self, body):
        """One event of a call (offered, answered, ended) from the region's PBX, or from a national gateway (routed
        to the region that owns the dialled line); may come twice and out of order"""
        access = current_access()
        # A region's client is bound to exactly one tenant; a gateway's to none (any region's line).
        tenant_id = None if access.role == TELEPHONY_GATEWAY else next(iter(access.principal.tenant_ids()))
        result = service.intake(request_session(), tenant_id, body, current_app.secret_key,
                                request.headers.get("Idempotency-Key"))
        return result, 201 if result.stored else 200


@blp.route("/calls")
class Calls(MethodView):
    @blp.operation(READERS, CallSchema(many=True), query=CallQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's calls, newest first; by state, classification, incident and time offered"""
        return service.calls_query(tenant_scope().tenant_id, **query)

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

    @blp.operation(TAKERS, CallSchema, body=CallUpdateSchema, etag=True, refusals={
        412: "Changed meanwhile", 422: "An unknown category, a closed incident, half a position…"})
    def patch(self, body, tenant, call_id):
        """Record what the call was: classification, category, location, notes, its incident; needs If-Match;
        audited (without the typed text)"""
        scope = tenant_scope()
        call = blp.check_version(service.get_call(scope.session, scope.tenant_id, call_id))
        return blp.versioned(service.update_call(scope.session, call, body, scope.actor))


@blp.route("/calls/<uuid:call_id>/caller")
class CallCaller(MethodView):
    @blp.operation(READERS, CallerNumberSchema)
    def get(self, tenant, call_id):
        """The caller's number (personal data): every read is written to the region's audit log"""
        scope = tenant_scope()
        call = service.get_call(scope.session, scope.tenant_id, call_id)
        return {"caller": service.read_caller(scope.session, call, scope.actor)}


@blp.route("/incidents")
class Incidents(MethodView):
    @blp.operation(READERS, IncidentSchema(many=True), query=IncidentQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's incidents, newest first"""
        return service.incidents_query(tenant_scope().tenant_id, query["status"])

    @blp.operation(TAKERS, IncidentSchema, 201, body=IncidentCreateSchema, etag=True, refusals={
        409: "The call belongs to an incident already", 422: "No summary, an unknown category or call…"})
    def post(self, body, tenant):
        """Open an incident from a call (it gets the region's next number); audited"""
        scope = tenant_scope()
        call = service.get_call(scope.session, scope.tenant_id, body["call_id"], field="call_id")
        return blp.versioned(service.open_from_call(scope.session, scope.tenant, call, body, scope.actor))


@blp.route("/incidents/<uuid:incident_id>")
class OneIncident(MethodView):
    @blp.operation(READERS, IncidentSchema, etag=True)
    def get(self, tenant, incident_id):
        """One incident, with its calls"""
        scope = tenant_scope()
        return blp.versioned(service.get_incident(scope.session, scope.tenant_id, incident_id))

    @blp.operation(TAKERS, IncidentSchema, body=IncidentUpdateSchema, etag=True, refusals={
        403: "Closing or reopening by hand is a supervisor's", 412: "Changed meanwhile"})
    def patch(self, body, tenant, incident_id):
        """Change the priority, summary, category or location; a supervisor closes (with a reason) or reopens;
        needs If-Match; audited"""
        scope = tenant_scope()
        incident = blp.check_version(service.get_incident(scope.session, scope.tenant_id, incident_id))
        return blp.versioned(service.update_incident(scope.session, incident, body, scope.actor))


@blp.route("/callbacks")
class Callbacks(MethodView):
    @blp.operation(READERS, CallbackSchema(many=True), query=CallbackQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """Calls to ring back (dropped before answer, or silent): those to do, the oldest first"""
        return service.callbacks_query(tenant_scope().tenant_id, query["done"])


@blp.route("/callbacks/<uuid:callback_id>")
class OneCallback(MethodView):
    @blp.operation(READERS, CallbackSchema, etag=True)
    def get(self, tenant, callback_id):
        """One callback"""
        scope = tenant_scope()
        return blp.versioned(service.get_callback(scope.session, scope.tenant_id, callback_id))

    @blp.operation(TAKERS, CallbackSchema, body=CallbackUpdateSchema, etag=True, refusals={412: "Changed meanwhile"})
    def patch(self, body, tenant, callback_id):
        """Record how the callback went (needs If-Match); audited"""
        scope = tenant_scope()
        callback = blp.check_version(service.get_callback(scope.session, scope.tenant_id, callback_id))
        return blp.versioned(service.record_callback(scope.session, callback, body["outcome"], body["note"],
                                                     scope.actor))


@blp.route("/handovers")
class Handovers(MethodView):
    @blp.operation(READERS, HandoverSchema(many=True), page=PAGE)
    def get(self, tenant):
        """Shift handover notes, the newest first"""
        return service.handovers_query(tenant_scope().tenant_id)

    @blp.operation((SUPERVISOR,), HandoverSchema, 201, body=HandoverCreateSchema, etag=True)
    def post(self, body, tenant):
        """The outgoing supervisor's note for the next shift; audited"""
        scope = tenant_scope()
        return blp.versioned(service.write_handover(scope.session, scope.tenant_id, body["note"], scope.actor))


@blp.route("/handovers/<uuid:handover_id>/acknowledgement")
class HandoverAcknowledgement(MethodView):
    @blp.operation((SUPERVISOR,), HandoverSchema, etag=True, refusals={
        409: "Acknowledged already", 422: "The writer cannot acknowledge their own note"})
    def post(self, tenant, handover_id):
        """The incoming supervisor acknowledges the note; audited"""
        scope = tenant_scope()
        handover = service.get_handover(scope.session, scope.tenant_id, handover_id)
        return blp.versioned(service.acknowledge_handover(scope.session, handover, scope.actor))


@blp.route("/extensions")
class Extensions(MethodView):
    @blp.operation(FLOOR_KEEPERS, ExtensionSchema(many=True), page=PAGE)
    def get(self, tenant):
        """Who answers on which PBX extension (the intake names the operator of an `answered` event by it)"""
        return service.extensions_query(tenant_scope().tenant_id)


@blp.route("/extensions/<extension>")
class OneExtension(MethodView):
    @blp.operation(FLOOR_KEEPERS, ExtensionSchema, body=ExtensionSetSchema,
                   refusals={422: "Not an extension, or not an operator or supervisor of the region"})
    def put(self, body, tenant, extension):
        """Set who answers on the extension; audited"""
        scope = tenant_scope()
        return service.set_extension(scope.session, scope.tenant_id, extension, body["user_id"], scope.actor)

    @blp.operation(FLOOR_KEEPERS, status=204)
    def delete(self, tenant, extension):
        """No one answers on the extension any more; audited"""
        scope = tenant_scope()
        service.remove_extension(scope.session, scope.tenant_id, extension, scope.actor)


@blp.route("/call-settings")
class CallSettings(MethodView):
    @blp.operation(READERS, CallSettingsSchema, etag=True)
    def get(self, tenant):
        """The region's rules for its calls: how long callers' numbers are kept"""
        scope = tenant_scope()
        return blp.versioned(service.settings_of(scope.session, scope.tenant_id))

    @blp.operation((REGIONAL_ADMIN,), CallSettingsSchema, body=CallSettingsSchema, etag=True,
                   refusals={412: "Changed meanwhile", 422: "Out of range (1 to 3650 days)"})
    def put(self, body, tenant):
        """Set how long callers' numbers are kept (regional admin; needs If-Match); audited"""
        scope = tenant_scope()
        blp.check_version(service.settings_of(scope.session, scope.tenant_id))
        return blp.versioned(service.set_retention(scope.session, scope.tenant_id, body["caller_retention_days"],
                                                   scope.actor))


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
