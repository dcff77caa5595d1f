"""The onboarding API: the application and its actions, checklist items and evidence, and the pipeline.

Declarations: `blp.operation` says who may call a method, what it takes and answers and which refusals
it documents; the body calls the service. A refusal leaves as problem+json (a 409 with its `code` and
the `missing` list), and the request's unit of work commits. Visits and routing are in api_visits.py
(same blueprint).
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import tenant_scope
from siaga112.platform.identity.roles import (MINISTRY_VERIFIER, NATIONAL_MONITOR, PLATFORM_ADMIN, PLATFORM_ROLES,
                                              REGIONAL_ADMIN)
from siaga112.platform.storage import MAGIC, download, file_store

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
FILE_RESPONSE = {"200": {"description": "The file as uploaded, typed by its content",
                         "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in MAGIC}}}
UPLOAD_REFUSALS = {413: "The file is larger than 20 MB",
                   415: "The content is not PDF, JPEG or PNG, whatever the file name says"}
NOT_EDITABLE = "A computed item, or the application is not a draft / changes requested"


# --- shared plumbing (also used by api_visits) ------------------------------------------------

def blocked(description: str) -> dict:
    """The documentation of a 409 (service.Blocked): problem details with `code` and the `missing` list."""
    return {"schema": OnboardingConflictSchema, "content_type": "application/problem+json", "description": description}


def optional_if_match(etag_data, version: int) -> int | None:
    """The version a POST expects, for the service to check under its lock: None without an If-Match (it is
    optional on POSTs), `version` when the If-Match names this ETag data; Stale (412) otherwise."""
    return version if blp.if_match_given(etag_data) else None


def file_response(evidence):
    """A stored file as a download, typed as sniffed at upload, never rendered by the browser."""
    return download(evidence.key, evidence.content_type, evidence.name, evidence.sha256)


def item_etag(application, state) -> dict:
    data = {"application_id": str(application.id), "code": state.item.code,
            "version": state.answer.version if state.answer else 0,
            "evidence": [str(evidence.id) for evidence in state.evidence]}
    if state.item.computed:
        data["green"] = state.ready
    return data


def _open():
    """The region's application. A first use creates the draft and commits it at once (a deliberate early
    commit): the draft exists from the first read on, whatever the rest of the request answers (a 404 for an
    unknown item, say), so every later read agrees on it."""
    scope = tenant_scope()
    application = service.find_application(scope.session, scope.tenant_id)
    if application is None:
        service.open_application(scope.session, scope.tenant, scope.actor)
        scope.session.commit()  # deliberate, see above
        application = service.find_application(scope.session, scope.tenant_id)
    return application


def _application_view(etag: bool = True):
    scope = tenant_scope()
    application = _open()
    results = service.computed_results(scope.session, scope.tenant, application)
    if etag:
        blp.set_etag(service.etag_data(application, results))
    return service.view(scope.session, scope.tenant, application, scope.actor.role, results)


def _item_state(code: str, computed: bool = True):
    scope = tenant_scope()
    application = _open()
    item = service.item_of(application, code)
    results = service.computed_results(scope.session, scope.tenant, application) if computed and item.computed else {}
    states = service.item_states(scope.session, scope.tenant, application, results)
    state = next(s for s in states if s.item.code == code)
    return application, state


# --- the application --------------------------------------------------------------------------

@blp.route("")
class Application(MethodView):
    @blp.operation(READERS, OnboardingApplicationSchema, etag=True)
    def get(self, tenant):
        """The region's application with every item's state (created as a draft on first use)"""
        return _application_view()


@blp.route("/actions")
class ApplicationActions(MethodView):
    @blp.operation(ACTORS, OnboardingApplicationSchema, body=ApplicationActionSchema, etag=True, refusals={
        409: blocked("Not possible now: `missing` lists why (wrong stage, items not ready, verdicts)"),
        412: "If-Match (optional) is stale: fetch the application again"})
    def post(self, body, tenant):
        """Move the application: submit, withdraw, reopen (regional_admin); start_review, request_changes,
        approve, reject (ministry_verifier). If-Match is optional."""
        scope = tenant_scope()
        expected, results = None, None
        if request.if_match:
            application = service.lock_application(scope.session, scope.tenant, scope.actor)
            results = service.computed_results(scope.session, scope.tenant, application)
            expected = optional_if_match(service.etag_data(application, results), application.version)
        service.act(scope.session, scope.tenant, body["action"], body.get("note"), scope.actor,
                    expected_version=expected, results=results)
        return _application_view()


# --- checklist items and evidence -------------------------------------------------------------

@blp.route("/items")
class Items(MethodView):
    @blp.operation(READERS, ChecklistItemSchema(many=True))
    def get(self, tenant):
        """Every item of the application's checklist with its state, answer, evidence and latest verdict"""
        return _application_view(etag=False).items


@blp.route("/items/<code>")
class ItemByCode(MethodView):
    @blp.operation(READERS, ChecklistItemSchema, etag=True)
    def get(self, tenant, code):
        """One item with its state, with an ETag"""
        application, state = _item_state(code)
        blp.set_etag(item_etag(application, state))
        return state

    @blp.operation(REGION, ChecklistItemSchema, body=AnswerInputSchema, etag=True,
                   refusals={409: blocked(NOT_EDITABLE)})
    def put(self, body, tenant, code):
        """Answer a declared item yes or no, with a note (regional_admin, while editable); needs If-Match"""
        scope = tenant_scope()
        service.lock_application(scope.session, scope.tenant, scope.actor)
        application, state = _item_state(code, computed=False)
        if state.item.declared:  # a computed item is refused below (409), whatever the If-Match
            blp.check_etag(item_etag(application, state))
        service.answer_item(scope.session, scope.tenant, code, body["answer"], body.get("note"), scope.actor,
                            expected_version=state.answer.version if state.answer else 0)
        application, state = _item_state(code)
        blp.set_etag(item_etag(application, state))
        return state


@blp.route("/items/<code>/evidence")
class Evidence(MethodView):
    @blp.operation(READERS, EvidenceSchema(many=True))
    def get(self, tenant, code):
        """The evidence files of an item (at most 50), oldest first"""
        scope = tenant_scope()
        return service.list_evidence(scope.session, scope.tenant, code)

    @blp.operation(REGION, EvidenceSchema, 201, files=EvidenceUploadSchema,
                   refusals={409: blocked(NOT_EDITABLE), **UPLOAD_REFUSALS})
    def post(self, files, tenant, code):
        """Attach evidence to a declared item: multipart field `file`, PDF/JPEG/PNG, at most 20 MB (regional_admin)"""
        scope, upload = tenant_scope(), files["file"]
        return service.store_evidence(scope.session, scope.tenant, code, upload.stream, upload.filename,
                                      scope.actor, file_store())


@blp.route("/items/<code>/evidence/<uuid:evidence_id>")
class EvidenceFile(MethodView):
    @blp.operation(READERS)
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, tenant, code, evidence_id):
        """Download an evidence file (the roles that may read the application)"""
        scope = tenant_scope()
        return file_response(service.get_evidence(scope.session, scope.tenant, code, evidence_id))

    @blp.operation(REGION, status=204,
                   refusals={409: blocked("The application is not a draft / changes requested")})
    def delete(self, tenant, code, evidence_id):
        """Remove an evidence file (regional_admin, while editable)"""
        scope = tenant_scope()
        service.remove_evidence(scope.session, scope.tenant, code, evidence_id, scope.actor, file_store())


# --- the national pipeline --------------------------------------------------------------------

@pipeline_blp.route("")
class Pipeline(MethodView):
    @pipeline_blp.operation(PLATFORM_ROLES, PipelineItemSchema(many=True), query=PipelineQuerySchema,
                            page={"pager": SelectPage, "page_size": 50, "max_page_size": 600})
    def get(self, query):
        """Every region's application with its stage, by region code (platform roles); filter by stage, province, q"""
        return service.pipeline_query(query.get("stage"), query.get("province"), query.get("q"))
