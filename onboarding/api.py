"""The onboarding API: the application and its actions, checklist items and evidence, and the pipeline.

Thin: parse, check the role, call the service, commit, answer. Visits and routing are in
api_visits.py (same blueprint).
"""

from __future__ import annotations

from flask import abort as flask_abort
from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest import abort
from werkzeug.exceptions import Conflict as HTTPConflict

from siaga112.platform.api import ApiBlueprint, SelectPage, refuse
from siaga112.platform.db import request_session
from siaga112.platform.errors import problem
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import (MINISTRY_VERIFIER, NATIONAL_MONITOR, PLATFORM_ADMIN, PLATFORM_ROLES,
                                              REGIONAL_ADMIN)
from siaga112.platform.storage import MAGIC, EmptyUpload, StorageError, TooLarge, UnsupportedContent, file_store

from . import service
from .schemas import (ApplicationActionSchema, AnswerInputSchema, OnboardingApplicationSchema, EvidenceSchema, EvidenceUploadSchema,
                      ChecklistItemSchema, OnboardingConflictSchema, PipelineItemSchema, PipelineQuerySchema)

blp = ApiBlueprint("onboarding", __name__, url_prefix="/api/v1/tenants/<tenant>/onboarding",
                   description="A region's onboarding application: checklist, evidence, visits, telco routing.")
pipeline_blp = ApiBlueprint("onboarding_pipeline", __name__, url_prefix="/api/v1/onboarding",
                            description="Every region's onboarding application, for the national pipeline.")

READERS = (REGIONAL_ADMIN, PLATFORM_ADMIN, MINISTRY_VERIFIER, NATIONAL_MONITOR)
ACTORS = (REGIONAL_ADMIN, MINISTRY_VERIFIER)
REGION = (REGIONAL_ADMIN,)
VERIFIERS = (MINISTRY_VERIFIER,)
UPLOAD_STATUS = {TooLarge: 413, UnsupportedContent: 415, EmptyUpload: 422}
FILE_RESPONSE = {"200": {"description": "The file as uploaded, typed by its content",
                         "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in MAGIC}}}


# --- shared plumbing (also used by api_visits) ------------------------------------------------

def fail(error: service.OnboardingError, location: str = "json"):
    """The problem response of a refusal; a 409 carries `code` and the machine-readable `missing` list."""
    if error.status != 409:
        refuse(error, location)
    http_error = HTTPConflict()
    http_error.data = {"message": str(error)}
    response = problem(http_error)
    body = response.get_json()
    body.update(code=error.code, missing=[missing.as_dict() for missing in error.missing])
    response.set_data(current_app.json.dumps(body))
    flask_abort(response)


def upload_refused(error: StorageError):
    """413 too large, 415 not PDF/JPEG/PNG by content, 422 (naming the field) empty."""
    status = UPLOAD_STATUS.get(type(error), 422)
    if status == 422:
        abort(422, message=str(error), errors={"files": {"file": [str(error)]}})
    abort(status, message=str(error))


def if_match_ok(etag_data) -> bool:
    """True when the request sent no If-Match, or one matching this ETag data (POSTs: If-Match is optional)."""
    if not request.if_match:
        return True
    return request.if_match.contains(blp._generate_etag(etag_data))


def stale():
    abort(412, message="Someone else changed this meanwhile; fetch it again and reapply your change.")


def file_response(evidence):
    """A stored file as a download, typed as sniffed at upload, never rendered by the browser."""
    store = file_store()
    if not store.exists(evidence.key):
        abort(404, message="This file is missing from storage; upload it again.")
    response = send_file(store.open(evidence.key), mimetype=evidence.content_type, as_attachment=True,
                         download_name=evidence.name, etag=evidence.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def item_etag(application, state) -> dict:
    data = {"application_id": str(application.id), "code": state.item.code,
            "version": state.answer.version if state.answer else 0,
            "evidence": [str(evidence.id) for evidence in state.evidence]}
    if state.item.computed:
        data["green"] = state.ready
    return data


def _open():
    """The region's application; a first use creates the draft and commits it, so every later read agrees."""
    access, session = current_access(), request_session()
    application = service.find_application(session, access.tenant.id)
    if application is None:
        service.open_application(session, access.tenant, access.actor())
        session.commit()
        application = service.find_application(session, access.tenant.id)
    return application


def _application_view(etag: bool = True):
    access, session = current_access(), request_session()
    application = _open()
    results = service.computed_results(session, access.tenant, application)
    if etag:
        blp.set_etag(service.etag_data(application, results))
    return service.view(session, access.tenant, application, access.role, results)


def _item_state(code: str, computed: bool = True):
    access, session = current_access(), request_session()
    application = _open()
    try:
        item = service.item_of(application, code)
    except service.OnboardingError as error:
        fail(error)
    results = service.computed_results(session, access.tenant, application) if computed and item.computed else {}
    state = next(s for s in service.item_states(session, access.tenant, application, results) if s.item.code == code)
    return application, state


# --- the application --------------------------------------------------------------------------

@blp.route("")
class Application(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, OnboardingApplicationSchema)
    def get(self, tenant):
        """The region's application with every item's state (created as a draft on first use)"""
        return _application_view()


@blp.route("/actions")
class ApplicationActions(MethodView):
    @roles_allowed(*ACTORS)
    @blp.etag
    @blp.arguments(ApplicationActionSchema)
    @blp.response(200, OnboardingApplicationSchema)
    @blp.alt_response(409, schema=OnboardingConflictSchema, content_type="application/problem+json",
                      description="Not possible now: `missing` lists why (wrong stage, items not ready, verdicts)")
    @blp.alt_response(412, description="If-Match (optional) is stale: fetch the application again")
    def post(self, body, tenant):
        """Move the application: submit, withdraw, reopen (regional_admin); start_review, request_changes,
        approve, reject (ministry_verifier). If-Match is optional."""
        access, session = current_access(), request_session()
        expected, results = None, None
        try:
            if request.if_match:
                application = service.lock_application(session, access.tenant, access.actor())
                results = service.computed_results(session, access.tenant, application)
                if not if_match_ok(service.etag_data(application, results)):
                    stale()
                expected = application.version
            service.act(session, access.tenant, body["action"], body.get("note"), access.actor(),
                        expected_version=expected, results=results)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        return _application_view()


# --- checklist items and evidence -------------------------------------------------------------

@blp.route("/items")
class Items(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, ChecklistItemSchema(many=True))
    def get(self, tenant):
        """Every item of the application's checklist with its state, answer, evidence and latest verdict"""
        return _application_view(etag=False).items


@blp.route("/items/<code>")
class ItemByCode(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, ChecklistItemSchema)
    def get(self, tenant, code):
        """One item with its state, with an ETag"""
        application, state = _item_state(code)
        blp.set_etag(item_etag(application, state))
        return state

    @roles_allowed(*REGION)
    @blp.etag
    @blp.arguments(AnswerInputSchema)
    @blp.response(200, ChecklistItemSchema)
    @blp.alt_response(409, schema=OnboardingConflictSchema, content_type="application/problem+json",
                      description="A computed item, or the application is not a draft / changes requested")
    def put(self, body, tenant, code):
        """Answer a declared item yes or no, with a note (regional_admin, while editable); needs If-Match"""
        access, session = current_access(), request_session()
        try:
            service.lock_application(session, access.tenant, access.actor())
            application, state = _item_state(code, computed=False)
            if state.item.declared:  # a computed item is refused below (409), whatever the If-Match
                blp.check_etag(item_etag(application, state))
            service.answer_item(session, access.tenant, code, body["answer"], body.get("note"), access.actor(),
                                expected_version=state.answer.version if state.answer else 0)
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        application, state = _item_state(code)
        blp.set_etag(item_etag(application, state))
        return state


@blp.route("/items/<code>/evidence")
class Evidence(MethodView):
    @roles_allowed(*READERS)
    @blp.response(200, EvidenceSchema(many=True))
    def get(self, tenant, code):
        """The evidence files of an item (at most 50), oldest first"""
        access = current_access()
        try:
            return service.list_evidence(request_session(), access.tenant, code)
        except service.OnboardingError as error:
            fail(error)

    @roles_allowed(*REGION)
    @blp.arguments(EvidenceUploadSchema, location="files")
    @blp.response(201, EvidenceSchema)
    @blp.alt_response(409, schema=OnboardingConflictSchema, content_type="application/problem+json",
                      description="A computed item, or the application is not a draft / changes requested")
    @blp.alt_response(413, description="The file is larger than 20 MB")
    @blp.alt_response(415, description="The content is not PDF, JPEG or PNG, whatever the file name says")
    def post(self, files, tenant, code):
        """Attach evidence to a declared item: multipart field `file`, PDF/JPEG/PNG, at most 20 MB (regional_admin)"""
        access, session = current_access(), request_session()
        upload = files["file"]
        try:
            return service.store_evidence(session, access.tenant, code, upload.stream, upload.filename,
                                          access.actor(), file_store())
        except StorageError as error:
            upload_refused(error)
        except service.OnboardingError as error:
            fail(error)


@blp.route("/items/<code>/evidence/<uuid:evidence_id>")
class EvidenceFile(MethodView):
    @roles_allowed(*READERS)
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, tenant, code, evidence_id):
        """Download an evidence file (the roles that may read the application)"""
        try:
            evidence = service.get_evidence(request_session(), current_access().tenant, code, evidence_id)
        except service.OnboardingError as error:
            fail(error)
        return file_response(evidence)

    @roles_allowed(*REGION)
    @blp.response(204)
    @blp.alt_response(409, schema=OnboardingConflictSchema, content_type="application/problem+json",
                      description="The application is not a draft / changes requested")
    def delete(self, tenant, code, evidence_id):
        """Remove an evidence file (regional_admin, while editable)"""
        access, session = current_access(), request_session()
        try:
            key = service.remove_evidence(session, access.tenant, code, evidence_id, access.actor())
        except service.OnboardingError as error:
            fail(error)
        session.commit()
        file_store().delete(key)  # only once the row is gone


# --- the national pipeline --------------------------------------------------------------------

@pipeline_blp.route("")
class Pipeline(MethodView):
    @roles_allowed(*PLATFORM_ROLES)
    @pipeline_blp.arguments(PipelineQuerySchema, location="query")
    @pipeline_blp.response(200, PipelineItemSchema(many=True))
    @pipeline_blp.paginate(SelectPage, page_size=50, max_page_size=600)
    def get(self, query):
        """Every region's application with its stage, by region code (platform roles); filter by stage, province, q"""
        return service.pipeline_query(query.get("stage"), query.get("province"), query.get("q"))
