"""The onboarding API, continued: field visits (verdicts and photos) and telco routing."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from siaga112.platform.api import SelectPage
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.storage import StorageError, file_store

from . import service
from .api import (FILE_RESPONSE, READERS, VERIFIERS, blp, fail, file_response, if_match_ok, stale, upload_refused)
from .schemas import (EvidenceSchema, EvidenceUploadSchema, OnboardingConflictSchema, RoutingActionSchema, RoutingSchema,
                      VerdictInputSchema, VerdictSchema, VisitActionSchema, VisitCreateSchema, VisitSchema,
                      VisitUpdateSchema)

CONFLICT = {"schema": OnboardingConflictSchema, "content_type": "application/problem+json"}


def visit_document(visit) -> dict:
    session = request_session()
    document = {column: getattr(visit, column) for column in VisitSchema().fields if hasattr(visit, column)}
    document["verifiers"] = service.verifiers_of(session, visit)
    document["verdicts"] = sorted(service.verdicts_of(session, visit).values(), key=lambda v: v.item_code)
    return document


def visit_etag(visit) -> dict:
    return {"id": str(visit.id), "version": visit.version}


def verdict_etag(visit, code, verdict) -> dict:
    return {"visit_id": str(visit.id), "code": code, "version": verdict.version if verdict else 0}


def routing_etag(row) -> dict:
    return {"id": str(row.id), "telco": row.telco, "version": row.version}


def _visit(visit_id):
    try:
        return service.get_visit(request_session(), current_access().tenant, visit_id)
    except service.OnboardingError as error:
        fail(error)


def _verdict(visit_id, code):
    """The visit and its verdict on `code` (None while there is none); 404 for an item not on its checklist."""
    session, visit = request_session(), _visit(visit_id)
    try:
        service.item_of(service.find_application(session, visit.tenant_id), code)
    except service.OnboardingError as error:
        fail(error)
    return visit, service.find_verdict(session, visit, code)


# --- visits -----------------------------------------------------------------------------------

@blp.route("/visits")
class Visits(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=200)
    def get(self, tenant):
        """The region's visits, newest first: verification visits before approval, monitoring visits after go-live"""
        return service.visits_query(current_access().tenant.id)

    @roles_allowed(*VERIFIERS)
    @blp.etag
    @blp.arguments(VisitCreateSchema)
    @blp.response(201, VisitSchema)
    @blp.alt_response(409, description="Not in review (verification) or not live (monitoring)", **CONFLICT)
    def post(self, body, tenant):
        """Schedule a visit (ministry_verifier): a verification visit while in review (→ visit_scheduled), a
        monitoring visit once live"""
        access, session = current_access(), request_session()
        try:
            visit = service.schedule_visit(session, access.tenant, body, access.actor())
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        blp.set_etag(visit_etag(visit))
        return visit_document(visit)


@blp.route("/visits/<uuid:visit_id>")
class VisitById(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, VisitSchema)
    def get(self, tenant, visit_id):
        """One visit with its verifiers and verdicts, with an ETag"""
        visit = _visit(visit_id)
        blp.set_etag(visit_etag(visit))
        return visit_document(visit)

    @roles_allowed(*VERIFIERS)
    @blp.etag
    @blp.arguments(VisitUpdateSchema)
    @blp.response(200, VisitSchema)
    @blp.alt_response(409, description="The visit is completed or cancelled", **CONFLICT)
    def patch(self, changes, tenant, visit_id):
        """Change a scheduled visit: date, place, verifiers, note, findings, recommendations; needs If-Match"""
        access, session = current_access(), request_session()
        visit = _visit(visit_id)
        blp.check_etag(visit_etag(visit))
        try:
            visit = service.update_visit(session, access.tenant, visit_id, changes, access.actor(),
                                         expected_version=visit.version)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        blp.set_etag(visit_etag(visit))
        return visit_document(visit)


@blp.route("/visits/<uuid:visit_id>/actions")
class VisitActions(MethodView):
    @roles_allowed(*VERIFIERS)
    @blp.etag
    @blp.arguments(VisitActionSchema)
    @blp.response(200, VisitSchema)
    @blp.alt_response(409, description="Verdicts missing, or the visit is no longer scheduled", **CONFLICT)
    def post(self, body, tenant, visit_id):
        """complete the visit (verification → application visited; monitoring: with findings) or cancel it
        (ministry_verifier); If-Match optional"""
        access, session = current_access(), request_session()
        visit = _visit(visit_id)
        expected = None
        if request.if_match:
            if not if_match_ok(visit_etag(visit)):
                stale()
            expected = visit.version
        try:
            visit = service.visit_action(session, access.tenant, visit_id, body["action"], access.actor(),
                                         note=body.get("note"), findings=body.get("findings"),
                                         recommendations=body.get("recommendations"), expected_version=expected)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        blp.set_etag(visit_etag(visit))
        return visit_document(visit)


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>")
class Verdict(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, VerdictSchema)
    def get(self, tenant, visit_id, code):
        """The verdict on one item of a visit (verdict null while there is none), with an ETag"""
        visit, verdict = _verdict(visit_id, code)
        blp.set_etag(verdict_etag(visit, code, verdict))
        return verdict or {"item_code": code, "verdict": None, "note": None, "recorded_by": None,
                           "recorded_at": None, "version": 0}

    @roles_allowed(*VERIFIERS)
    @blp.etag
    @blp.arguments(VerdictInputSchema)
    @blp.response(200, VerdictSchema)
    @blp.alt_response(409, description="The visit is not a scheduled verification visit", **CONFLICT)
    def put(self, body, tenant, visit_id, code):
        """Record the verdict on one item: pass, fail or not_applicable (optional items), with a note
        (ministry_verifier); needs If-Match (the ETag of GET on the same path)"""
        access, session = current_access(), request_session()
        visit, current = _verdict(visit_id, code)
        blp.check_etag(verdict_etag(visit, code, current))
        try:
            verdict = service.record_verdict(session, access.tenant, visit_id, code, body["verdict"], body.get("note"),
                                             access.actor(), expected_version=current.version if current else 0)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        blp.set_etag(verdict_etag(visit, code, verdict))
        return verdict


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>/photos")
class VerdictPhotos(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, EvidenceSchema(many=True))
    def get(self, tenant, visit_id, code):
        """Photos (or other files) the verifiers attached to an item during a visit"""
        _visit(visit_id)
        try:
            return service.list_evidence(request_session(), current_access().tenant, code, visit_id)
        except service.OnboardingError as error:
            fail(error)

    @roles_allowed(*VERIFIERS)
    @blp.arguments(EvidenceUploadSchema, location="files")
    @blp.response(201, EvidenceSchema)
    @blp.alt_response(409, description="The visit is not a scheduled verification visit", **CONFLICT)
    @blp.alt_response(413, description="The file is larger than 20 MB")
    @blp.alt_response(415, description="The content is not PDF, JPEG or PNG, whatever the file name says")
    def post(self, files, tenant, visit_id, code):
        """Attach a photo to an item of a scheduled verification visit: multipart field `file` (ministry_verifier)"""
        access, session = current_access(), request_session()
        _visit(visit_id)
        upload = files["file"]
        try:
            return service.store_evidence(session, access.tenant, code, upload.stream, upload.filename,
                                          access.actor(), file_store(), visit_id=visit_id)
        except StorageError as error:
            upload_refused(error)
        except service.OnboardingError as error:
            fail(error)


@blp.route("/visits/<uuid:visit_id>/verdicts/<code>/photos/<uuid:evidence_id>")
class VerdictPhotoFile(MethodView):
    @roles_allowed(*READERS)
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, tenant, visit_id, code, evidence_id):
        """Download a photo of a visit"""
        try:
            photo = service.get_evidence(request_session(), current_access().tenant, code, evidence_id, visit_id)
        except service.OnboardingError as error:
            fail(error)
        return file_response(photo)


# --- telco routing ----------------------------------------------------------------------------

@blp.route("/routing")
class Routing(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, RoutingSchema(many=True))
    def get(self, tenant):
        """Each telco's routing of 112 to the region (requested at approval; empty before)"""
        return service.list_routing(request_session(), current_access().tenant)


@blp.route("/routing/<telco>")
class RoutingByTelco(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, RoutingSchema)
    def get(self, tenant, telco):
        """One telco's routing, with an ETag"""
        try:
            row = service.get_routing(request_session(), current_access().tenant, telco)
        except service.OnboardingError as error:
            fail(error)
        blp.set_etag(routing_etag(row))
        return row


@blp.route("/routing/<telco>/actions")
class RoutingActions(MethodView):
    @roles_allowed(*VERIFIERS)
    @blp.etag
    @blp.arguments(RoutingActionSchema)
    @blp.response(200, RoutingSchema)
    @blp.alt_response(409, description="Not approved yet, already live, or not in the right routing status",
                      **CONFLICT)
    def post(self, body, tenant, telco):
        """Track a telco (ministry_verifier): activate, pass_test_call (from_number, called_at), exclude, include.
        The region goes live when every required telco has passed its test call. If-Match optional."""
        access, session = current_access(), request_session()
        expected = None
        try:
            if request.if_match:
                row = service.get_routing(session, access.tenant, telco)
                if not if_match_ok(routing_etag(row)):
                    stale()
                expected = row.version
            row = service.routing_action(session, access.tenant, telco, body["action"], access.actor(),
                                         note=body.get("note"), from_number=body.get("from_number"),
                                         called_at=body.get("called_at"), expected_version=expected)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        blp.set_etag(routing_etag(row))
        return row
