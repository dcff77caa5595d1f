"""An incident's dispatches to agencies, their steps to the follow-up report, the region's escalation policy and the
incident's timeline.

An agency responder reads and acts on its own agency's dispatches only: its requests run in an agency context, where
PostgreSQL's row-level security hides every other agency's rows (another agency's dispatch is a 404). A machine
client of the region (an agency's own system, a PSC 119 app) acknowledges and reports through the same actions.
"""

from flask import current_app
from flask.views import MethodView

from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import roles_allowed, tenant_scope
from siaga112.platform.identity.roles import AGENCY_RESPONDER, MACHINE_CLIENT, OPERATOR, REGIONAL_ADMIN, SUPERVISOR
from siaga112.platform.storage import download

from . import service
from .schemas import (AgencyDispatchQuerySchema, DeliverySchema, DispatchActionSchema, DispatchCreateSchema, DispatchQuerySchema,
                      DispatchSchema, EscalationPolicySchema, PhotoSchema, PhotoUploadSchema, ProposalSchema,
                      NeighbourSchema, TimelineEntrySchema, TransferCreateSchema, TransferSchema, WebhookCreatedSchema,
                      WebhookCreateSchema, WebhookSchema)

blp = ApiBlueprint("dispatch", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Dispatches of incidents to agencies, acknowledgement, follow-up reports, escalation.")

CENTRE = (OPERATOR, SUPERVISOR, REGIONAL_ADMIN)  # the call centre's people
SENDERS = (OPERATOR, SUPERVISOR)
READERS = CENTRE + (AGENCY_RESPONDER, MACHINE_CLIENT)
ACTORS = (OPERATOR, SUPERVISOR, AGENCY_RESPONDER, MACHINE_CLIENT)
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}


def public_url() -> str:
    return current_app.extensions["siaga112.settings"].public_url


def scoped_dispatch(incident_id, dispatch_id):
    scope = tenant_scope()
    return service.get_dispatch(scope.session, scope.tenant_id, dispatch_id, incident_id)


@blp.route("/incidents/<uuid:incident_id>/dispatches")
class Dispatches(MethodView):
    @blp.operation(READERS, DispatchSchema(many=True), query=DispatchQuerySchema, page=PAGE)
    def get(self, query, tenant, incident_id):
        """The incident's dispatches, the latest first (an agency responder: its own agency's only)"""
        scope = tenant_scope()
        incident = service.get_incident(scope.session, scope.tenant_id, incident_id)
        return service.dispatches_query(scope.tenant_id, incident_id=incident.id, status=query["status"])

    @blp.operation(SENDERS, DispatchSchema(many=True), 201, body=DispatchCreateSchema, refusals={
        409: "The incident is closed, or an agency has a live dispatch for it already",
        422: "No agency chosen, or one that is not an active agency of the region"})
    def post(self, body, tenant, incident_id):
        """Send the incident to one or more agencies; each is notified (channel platform: e-mail with a link) and
        gets the region's escalation steps; audited"""
        scope = tenant_scope()
        incident = service.get_incident(scope.session, scope.tenant_id, incident_id)
        return service.send(scope.session, scope.tenant, incident, body, scope.actor, public_url())


@blp.route("/incidents/<uuid:incident_id>/dispatch-proposal")
class Proposal(MethodView):
    @blp.operation(SENDERS, ProposalSchema)
    def get(self, tenant, incident_id):
        """The agencies the incident's category goes to (proposed), and every active agency to add from"""
        scope = tenant_scope()
        incident = service.get_incident(scope.session, scope.tenant_id, incident_id)
        return {"proposed": service.proposed_agencies(scope.session, scope.tenant_id, incident),
                "agencies": service.dispatchable_agencies(scope.session, scope.tenant_id)}


@blp.route("/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>")
class OneDispatch(MethodView):
    @blp.operation(READERS, DispatchSchema, etag=True)
    def get(self, tenant, incident_id, dispatch_id):
        """One dispatch"""
        return blp.versioned(scoped_dispatch(incident_id, dispatch_id))


@blp.route("/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/actions")
class DispatchActions(MethodView):
    @blp.operation(ACTORS, DispatchSchema, body=DispatchActionSchema, etag=True, refusals={
        403: "Cancelling is the call centre's", 409: "Cancelled, done, or not reported yet (done)",
        412: "Changed meanwhile (If-Match is optional)", 422: "A report without text, a cancel without a reason"})
    def post(self, body, tenant, incident_id, dispatch_id):
        """acknowledge, on_scene, report (text), done (after the report), cancel (the call centre, with a reason);
        doing again what is done already changes nothing; audited with how it was done (signed in, link, machine)"""
        scope = tenant_scope()
        dispatch = scoped_dispatch(incident_id, dispatch_id)
        blp.if_match_given({"id": str(dispatch.id), "version": dispatch.version})
        return blp.versioned(service.act(scope.session, dispatch, body["action"], body, scope.actor, public_url()))


@blp.route("/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/links")
class DispatchLinks(MethodView):
    @blp.operation(SENDERS, status=204)
    def delete(self, tenant, incident_id, dispatch_id):
        """Revoke every e-mailed link of the dispatch (sent to a wrong address, say): they answer 404 from now on;
        audited"""
        scope = tenant_scope()
        service.revoke_all(scope.session, scoped_dispatch(incident_id, dispatch_id), scope.actor)


@blp.route("/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/photos")
class DispatchPhotos(MethodView):
    @blp.operation(ACTORS, PhotoSchema, 201, files=PhotoUploadSchema, refusals={
        409: "The dispatch is done or cancelled", 413: "Larger than 10 MB", 415: "Not a JPEG or PNG image"})
    def post(self, files, tenant, incident_id, dispatch_id):
        """Add a photo to the follow-up report: multipart field `file`; audited"""
        scope = tenant_scope()
        return service.add_photo(scope.session, scoped_dispatch(incident_id, dispatch_id), files["file"], scope.actor)


@blp.route("/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/photos/<uuid:photo_id>")
class OnePhoto(MethodView):
    @roles_allowed(*READERS)
    @blp.doc(responses={"200": {"description": "The photo as uploaded",
                                "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                            for kind in service.PHOTO_TYPES}}})
    def get(self, tenant, incident_id, dispatch_id, photo_id):
        """Download a photo of the follow-up report"""
        scope = tenant_scope()
        photo = service.get_photo(scope.session, scoped_dispatch(incident_id, dispatch_id), photo_id)
        return download(photo.key, photo.content_type, photo.name, photo.sha256)


@blp.route("/dispatches")
class AgencyDispatches(MethodView):
    @blp.operation(READERS, DispatchSchema(many=True), query=AgencyDispatchQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's dispatches, the latest first (an agency responder: its own agency's only, by the database)"""
        scope = tenant_scope()
        return service.dispatches_query(scope.tenant_id, open_only=query["open"])


@blp.route("/incidents/<uuid:incident_id>/timeline")
class Timeline(MethodView):
    @blp.operation(CENTRE, TimelineEntrySchema(many=True))
    def get(self, tenant, incident_id):
        """Everything about the incident in time order: calls, dispatches, acknowledgements, escalations, reports,
        notes"""
        scope = tenant_scope()
        return service.timeline(scope.session, service.get_incident(scope.session, scope.tenant_id, incident_id))


@blp.route("/escalation-policy")
class Policy(MethodView):
    @blp.operation((SUPERVISOR, REGIONAL_ADMIN), EscalationPolicySchema, etag=True)
    def get(self, tenant):
        """The region's escalation steps (the national default until its admin sets its own)"""
        scope = tenant_scope()
        return blp.versioned(service.policy_view(scope.session, scope.tenant_id))

    @blp.operation((REGIONAL_ADMIN,), EscalationPolicySchema, body=EscalationPolicySchema, etag=True, refusals={
        412: "Changed meanwhile", 422: "Steps out of order, too many, or out of range"})
    def put(self, body, tenant):
        """Replace the region's steps (regional admin; needs If-Match); dispatches already sent keep theirs;
        audited"""
        scope = tenant_scope()
        blp.check_version(service.policy_view(scope.session, scope.tenant_id))
        return blp.versioned(service.set_policy(scope.session, scope.tenant_id, body["steps"], scope.actor))


@blp.route("/agency-webhooks")
class Webhooks(MethodView):
    @blp.operation((REGIONAL_ADMIN, SUPERVISOR), WebhookSchema(many=True), page=PAGE)
    def get(self, tenant):
        """The webhooks of the region's agencies (their own systems), the newest first"""
        return service.webhooks_query(tenant_scope().tenant_id)

    @blp.operation((REGIONAL_ADMIN,), WebhookCreatedSchema, 201, body=WebhookCreateSchema,
                   refusals={422: "Not https (http only to this machine), or not an agency of the region"})
    def post(self, body, tenant):
        """Register an agency's system: its dispatches are POSTed there, HMAC-signed with the secret this answer
        shows once; audited"""
        scope = tenant_scope()
        return service.register_webhook(scope.session, scope.tenant_id, body["agency_id"], body["url"], scope.actor)


@blp.route("/agency-webhooks/<uuid:webhook_id>")
class OneWebhook(MethodView):
    @blp.operation((REGIONAL_ADMIN, SUPERVISOR), WebhookSchema)
    def get(self, tenant, webhook_id):
        """One webhook"""
        scope = tenant_scope()
        return service.get_webhook(scope.session, scope.tenant_id, webhook_id)

    @blp.operation((REGIONAL_ADMIN,), status=204)
    def delete(self, tenant, webhook_id):
        """Stop posting to it (deliveries not made yet are dropped); audited"""
        scope = tenant_scope()
        service.deactivate_webhook(scope.session, service.get_webhook(scope.session, scope.tenant_id, webhook_id),
                                   scope.actor)


@blp.route("/agency-webhooks/<uuid:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.operation((REGIONAL_ADMIN, SUPERVISOR), DeliverySchema(many=True), page=PAGE)
    def get(self, tenant, webhook_id):
        """Its deliveries, the newest first: attempts, the last answer, when it was delivered"""
        scope = tenant_scope()
        return service.deliveries_query(service.get_webhook(scope.session, scope.tenant_id, webhook_id))


@blp.route("/incidents/<uuid:incident_id>/transfer")
class Transfer(MethodView):
    @blp.operation(SENDERS, TransferSchema, 201, body=TransferCreateSchema, refusals={
        409: "The incident is closed, or agencies of this region still work on it",
        422: "Not another kabupaten/kota"})
    def post(self, body, tenant, incident_id):
        """The place is in another kabupaten/kota: hand the incident over if that region is live on Siaga112 (it
        gets its own incident, its supervisors are told, this one closes pointing at it), else log it as referred
        with that region's 112 status; audited on each side"""
        scope = tenant_scope()
        incident = service.get_incident(scope.session, scope.tenant_id, incident_id)
        made = service.transfer(scope.session, scope.tenant, incident, body, scope.actor, public_url())
        made.peer_status = service.peer_status(scope.session, made)
        return made


@blp.route("/incidents/<uuid:incident_id>/transfers")
class Transfers(MethodView):
    @blp.operation(CENTRE, TransferSchema(many=True))
    def get(self, tenant, incident_id):
        """The incident's transfers either way, each with the other side's state now"""
        scope = tenant_scope()
        incident = service.get_incident(scope.session, scope.tenant_id, incident_id)
        return service.transfers_shown(scope.session, scope.tenant_id, incident.id)


@blp.route("/neighbours")
class Neighbours(MethodView):
    @blp.operation(SENDERS, NeighbourSchema(many=True))
    def get(self, tenant):
        """The other kabupaten/kota of the region's province, with their 112 status (where an incident can go)"""
        scope = tenant_scope()
        return service.neighbours(scope.session, scope.tenant)
