"""The onboarding API, continued: field visits (verdicts and photos) and telco routing."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from siaga112.platform.api import SelectPage, version_etag
from siaga112.platform.identity.access import tenant_scope
from siaga112.platform.storage import file_store

from . import service
from .api import FILE_RESPONSE, READERS, UPLOAD_REFUSALS, VERIFIERS, blocked, blp, file_response, optional_if_match
from .schemas import (EvidenceSchema, EvidenceUploadSchema, RoutingActionSchema, RoutingSchema, VerdictInputSchema,
                      VerdictSchema, VisitActionSchema, VisitCreateSchema, VisitSchema, VisitUpdateSchema)

NOT_RECORDING = "The visit is not a scheduled verification visit"


def visit_document(visit) -> dict:
    """A visit as VisitSchema dumps it: with its verifiers and verdicts."""
    session = tenant_scope().session
    document = {column: getattr(visit, column) for column in VisitSchema().fields if hasattr(visit, column)}
    document["verifiers"] = service.verifiers_of(session, visit)
    document["verdicts"] = sorted(service.verdicts_of(session, visit).values(), key=lambda v: v.item_code)
    return document


def verdict_etag(visit, code, verdict) -> dict:
    return {"visit_id": str(visit.id), "code": code, "version": verdict.version if verdict else 0}


def _visit(visit_id):
    scope = tenant_scope()
    return service.get_visit(scope.session, scope.tenant, visit_id)


def _verdict(visit_id, code):
    """The visit and its verdict on `code` (None while there is none); 404 for an item not on its checklist."""
    session, visit = tenant_scope().session, _visit(visit_id)
    service.item_of(service.find_application(session, visit.tenant_id), code)
    return visit, service.find_verdict(session, visit, code)


# --- visits -----------------------------------------------------------------------------------

@blp.route("/visits")
class Visits(MethodView):
    @blp.operation(READERS, VisitSchema(many=True), page={"pager": SelectPage, "page_size": 50, "max_page_size": 200})
    def get(self, tenant):
        """The region's visits, newest first: verification visits before approval, monitoring visits after go-live"""
        return service.visits_query(tenant_scope().tenant_id)

    @blp.operation(VERIFIERS, VisitSchema, 201, body=VisitCreateSchema, etag=True,
                   refusals={409: blocked("Not in review (verification) or not live (monitoring)")})
    def post(self, body, tenant):
        """Schedule a visit (ministry_verifier): a verification visit while in review (→ visit_scheduled), a
        monitoring visit once live"""
        scope = tenant_scope()
        return visit_document(blp.versioned(service.schedule_visit(scope.session, scope.tenant, body, scope.actor)))


@blp.route("/visits/<uuid:visit_id>")
class VisitById(MethodView):
    @blp.operation(READERS, VisitSchema, etag=True)
    def get(self, tenant, visit_id):
        """One visit with its verifiers and verdicts, with an ETag"""
        return visit_document(blp.versioned(_visit(visit_id)))

    @blp.operation(VERIFIERS, VisitSchema, body=VisitUpdateSchema, etag=True,
                   refusals={409: blocked("The visit is completed or cancelled")})
    def patch(self, changes, tenant, visit_id):
        """Change a scheduled visit: date, place, verifiers, note, findings, recommendations; needs If-Match"""
        scope = tenant_scope()
        visit = blp.check_version(_visit(visit_id))
        visit = service.update_visit(scope.session, scope.tenant, visit_id, changes, scope.actor,
                                     expected_version=visit.version)
        return visit_document(blp.versioned(visit))


@blp.route("/visits/<uuid:visit_id>/actions")
class VisitActions(MethodView):
    @blp.operation(VERIFIERS, VisitSchema, body=VisitActionSchema, etag=True,
                   refusals={409: blocked("Verdicts missing, or the visit is no longer scheduled")})
    def post(self, body, tenant, visit_id):
        """complete the visit (verification → application visited; monitoring: with findings) or cancel it
        (ministry_verifier); If-Match optional"""
        scope = tenant_scope()
        visit = _visit(visit_id)
        visit = service.visit_action(scope.session, scope.tenant, visit_id, body["action"], scope.actor,
                                     note=body.get("note"), findings=body.get("findings"),
                                     recommendations=body.get("recommendations"),
                                     expected_version=optional_if_match(version_etag(visit), visit.version))
        return visit_document(blp.versioned(visit))


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>")
class Verdict(MethodView):
    @blp.operation(READERS, VerdictSchema, etag=True)
    def get(self, tenant, visit_id, code):
        """The verdict on one item of a visit (verdict null while there is none), with an ETag"""
        visit, verdict = _verdict(visit_id, code)
        blp.set_etag(verdict_etag(visit, code, verdict))
        return verdict or {"item_code": code, "verdict": None, "note": None, "recorded_by": None,
                           "recorded_at": None, "version": 0}

    @blp.operation(VERIFIERS, VerdictSchema, body=VerdictInputSchema, etag=True,
                   refusals={409: blocked(NOT_RECORDING)})
    def put(self, body, tenant, visit_id, code):
        """Record the verdict on one item: pass, fail or not_applicable (optional items), with a note
        (ministry_verifier); needs If-Match (the ETag of GET on the same path)"""
        scope = tenant_scope()
        visit, current = _verdict(visit_id, code)
        blp.check_etag(verdict_etag(visit, code, current))
        verdict = service.record_verdict(scope.session, scope.tenant, visit_id, code, body["verdict"],
                                         body.get("note"), scope.actor,
                                         expected_version=current.version if current else 0)
        blp.set_etag(verdict_etag(visit, code, verdict))
        return verdict


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>/photos")
class VerdictPhotos(MethodView):
    @blp.operation(READERS, EvidenceSchema(many=True))
    def get(self, tenant, visit_id, code):
        """Photos (or other files) the verifiers attached to an item during a visit"""
        scope = tenant_scope()
        _visit(visit_id)
        return service.list_evidence(scope.session, scope.tenant, code, visit_id)

    @blp.operation(VERIFIERS, EvidenceSchema, 201, files=EvidenceUploadSchema,
                   refusals={409: blocked(NOT_RECORDING), **UPLOAD_REFUSALS})
    def post(self, files, tenant, visit_id, code):
        """Attach a photo to an item of a scheduled verification visit: multipart field `file` (ministry_verifier)"""
        scope, upload = tenant_scope(), files["file"]
        _visit(visit_id)
        return service.store_evidence(scope.session, scope.tenant, code, upload.stream, upload.filename,
                                      scope.actor, file_store(), visit_id=visit_id)


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>/photos/<uuid:evidence_id>")
class VerdictPhotoFile(MethodView):
    @blp.operation(READERS)
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, tenant, visit_id, code, evidence_id):
        """Download a photo of a visit"""
        scope = tenant_scope()
        return file_response(service.get_evidence(scope.session, scope.tenant, code, evidence_id, visit_id))


# --- telco routing ----------------------------------------------------------------------------

@blp.route("/routing")
class Routing(MethodView):
    @blp.operation(READERS, RoutingSchema(many=True))
    def get(self, tenant):
        """Each telco's routing of 112 to the region (requested at approval; empty before)"""
        scope = tenant_scope()
        return service.list_routing(scope.session, scope.tenant)


@blp.route("/routing/<telco>")
class RoutingByTelco(MethodView):
    @blp.operation(READERS, RoutingSchema, etag=True)
    def get(self, tenant, telco):
        """One telco's routing, with an ETag"""
        scope = tenant_scope()
        return blp.versioned(service.get_routing(scope.session, scope.tenant, telco))


@blp.route("/routing/<telco>/actions")
class RoutingActions(MethodView):
    @blp.operation(VERIFIERS, RoutingSchema, body=RoutingActionSchema, etag=True, refusals={
        409: blocked("Not approved yet, already live, or not in the right routing status")})
    def post(self, body, tenant, telco):
        """Track a telco (ministry_verifier): activate, pass_test_call (from_number, called_at), exclude, include.
        The region goes live when every required telco has passed its test call. If-Match optional."""
        scope = tenant_scope()
        expected = None
        if request.if_match:  # before approval there is no routing to name: the service answers 409
            row = service.get_routing(scope.session, scope.tenant, telco)
            expected = optional_if_match(version_etag(row), row.version)
        return blp.versioned(service.routing_action(
            scope.session, scope.tenant, telco, body["action"], scope.actor, note=body.get("note"),
            from_number=body.get("from_number"), called_at=body.get("called_at"), expected_version=expected))
