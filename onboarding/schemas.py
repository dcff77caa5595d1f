"""What the onboarding API takes and gives (JSON, snake_case, times in UTC)."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from siaga112.platform.schemas import PrintableText
from siaga112.platform.storage import MAGIC

from .application import ACTIONS
from .checklist import AREAS, KINDS
from .models import (ANSWERS, APPLICATION_STATUSES, ROUTING_STATUSES, TELCOS, VERDICTS, VISIT_KINDS,
                     VISIT_STATUSES)
from .routing import ROUTING_ACTIONS
from .state import MAX_NOTE, STATUS_TEXT
from .visits import MAX_PLACE, MAX_TEXT, MAX_VERIFIERS, VISIT_ACTIONS

NOTE = {"validate": validate.Length(max=MAX_NOTE), "allow_none": True,
        "metadata": {"description": "Free text, shown in the history and the e-mails"}}


def _one_of(values) -> validate.OneOf:
    return validate.OneOf(values, error=f"Use one of: {', '.join(values)}.")


class OnboardingMissingSchema(Schema):
    """One thing that stops an action, or why an item is not ready."""

    code = fields.String(metadata={"description": "Stable code, e.g. unanswered, no_evidence, roster_gaps, "
                                                  "not_passed, status"})
    item = fields.String(allow_none=True, metadata={"description": "The checklist item it is about, if any"})
    message = fields.String(metadata={"description": "English sentence (same as en)"})
    id = fields.String()
    en = fields.String()
    params = fields.Dict(metadata={"description": "The values in the sentence, for pages that word it themselves"})


class OnboardingConflictSchema(Schema):
    """409: problem details with the list of what is missing."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    code = fields.String(metadata={"description": "status (wrong stage), guard (something missing), …"})
    missing = fields.List(fields.Nested(OnboardingMissingSchema))


class EvidenceSchema(Schema):
    id = fields.UUID()
    item_code = fields.String()
    visit_id = fields.UUID(allow_none=True)
    name = fields.String(metadata={"example": "perbup-112.pdf"})
    content_type = fields.String(metadata={"enum": list(MAGIC)})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.UUID(allow_none=True)
    uploaded_at = fields.DateTime()


class ItemAnswerSchema(Schema):
    answer = fields.String(metadata={"enum": list(ANSWERS)})
    note = fields.String(allow_none=True)
    answered_by = fields.UUID(allow_none=True)
    answered_at = fields.DateTime()
    version = fields.Integer()


class VerdictSchema(Schema):
    item_code = fields.String()
    verdict = fields.String(allow_none=True, metadata={"enum": list(VERDICTS)})
    note = fields.String(allow_none=True)
    recorded_by = fields.UUID(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class ChecklistItemSchema(Schema):
    """A checklist item of the application with its state (dumped from service.ItemState)."""

    code = fields.Function(lambda s: s.item.code)
    area = fields.Function(lambda s: s.item.area, metadata={"enum": list(AREAS)})
    area_title = fields.Function(lambda s: AREAS[s.item.area].as_dict(), metadata={"type": "object"})
    title = fields.Function(lambda s: s.item.title.as_dict(), metadata={"type": "object"})
    kind = fields.Function(lambda s: s.item.kind, metadata={"enum": list(KINDS)})
    mandatory = fields.Function(lambda s: s.item.mandatory, metadata={"type": "boolean"})
    evidence_required = fields.Function(lambda s: s.item.evidence_required, metadata={"type": "boolean"})
    evidence_hint = fields.Function(lambda s: s.item.evidence_hint.as_dict() if s.item.evidence_hint else None,
                                    metadata={"type": "object", "nullable": True})
    state = fields.Function(lambda s: s.state, metadata={
        "enum": ["unanswered", "answered_no", "needs_evidence", "ready", "green", "red"],
        "description": "declared: unanswered | answered_no | needs_evidence | ready; computed: green | red"})
    ready = fields.Function(lambda s: s.ready, metadata={"type": "boolean"})
    reason = fields.Function(lambda s: s.reason, metadata={
        "type": "object", "nullable": True, "description": "Why it is not ready (as in `missing`); null when ready "
                                                          "or optional"})
    fact = fields.Function(lambda s: s.fact.as_dict() if s.fact else None, metadata={
        "type": "object", "nullable": True, "description": "What the platform itself recorded for a declared item "
                                                          "(the simulation exercise: the region's test calls)"})
    answer = fields.Function(lambda s: ItemAnswerSchema().dump(s.answer) if s.answer else None,
                             metadata={"type": "object", "nullable": True})
    evidence = fields.Function(lambda s: EvidenceSchema(many=True).dump(s.evidence),
                               metadata={"type": "array", "items": {"type": "object"}})
    verdict = fields.Function(lambda s: VerdictSchema().dump(s.verdict) if s.verdict else None,
                              metadata={"type": "object", "nullable": True,
                                        "description": "The verdict of the latest verification visit"})


class OnboardingHistorySchema(Schema):
    id = fields.UUID()
    subject = fields.String(metadata={"enum": ["application", "visit", "routing"]})
    subject_id = fields.UUID(allow_none=True)
    action = fields.String()
    from_ = fields.String(attribute="from_status", data_key="from", allow_none=True)
    to = fields.String(attribute="to_status")
    note = fields.String(allow_none=True)
    actor_kind = fields.String()
    actor_id = fields.String()
    role = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OnboardingApplicationSchema(Schema):
    """The application with every item's state (dumped from service.ApplicationView)."""

    id = fields.Function(lambda v: str(v.application.id), metadata={"type": "string", "format": "uuid"})
    tenant = fields.Function(lambda v: v.tenant.slug, metadata={"type": "string"})
    tenant_name = fields.Function(lambda v: v.tenant.name, metadata={"type": "string"})
    region_code = fields.Function(lambda v: v.tenant.region_code, metadata={"type": "string"})
    tenant_status = fields.Function(lambda v: v.tenant.status, metadata={"type": "string"})
    status = fields.Function(lambda v: v.application.status, metadata={"enum": list(APPLICATION_STATUSES)})
    status_title = fields.Function(lambda v: STATUS_TEXT[v.application.status].as_dict(), metadata={"type": "object"})
    checklist_version = fields.Function(lambda v: v.application.checklist_version, metadata={"type": "integer"})
    submitted_at = fields.Function(lambda v: _time(v.application.submitted_at), metadata={"type": "string", "nullable": True})
    approved_at = fields.Function(lambda v: _time(v.application.approved_at), metadata={"type": "string", "nullable": True})
    live_at = fields.Function(lambda v: _time(v.application.live_at), metadata={"type": "string", "nullable": True})
    created_at = fields.Function(lambda v: _time(v.application.created_at), metadata={"type": "string"})
    updated_at = fields.Function(lambda v: _time(v.application.updated_at), metadata={"type": "string"})
    progress = fields.Function(lambda v: v.progress, metadata={
        "type": "object", "description": "Mandatory items ready: {ready, total, percent}"})
    actions = fields.Function(lambda v: v.actions, metadata={
        "type": "array", "items": {"type": "string"},
        "description": "Actions of POST …/onboarding/actions your role may try now (guards may still refuse)"})
    missing_for_submit = fields.Function(lambda v: v.missing_for_submit, metadata={
        "type": "array", "items": {"type": "object"}, "description": "What stops a submission now"})
    items = fields.Function(lambda v: ChecklistItemSchema(many=True).dump(v.items), metadata={"type": "array",
                                                                                    "items": {"type": "object"}})
    history = fields.Function(lambda v: OnboardingHistorySchema(many=True).dump(v.history), metadata={
        "type": "array", "items": {"type": "object"}, "description": "Newest first"})


def _time(value):
    return value.isoformat() if value else None


class ApplicationActionSchema(Schema):
    action = fields.String(required=True, validate=_one_of(tuple(ACTIONS)), metadata={
        "description": "regional_admin: submit, withdraw, reopen; ministry_verifier: start_review, request_changes, "
                       "approve, reject. Visits and routing have their own actions."})
    note = PrintableText(**NOTE)


class AnswerInputSchema(Schema):
    answer = fields.String(required=True, validate=_one_of(ANSWERS))
    note = PrintableText(**NOTE)


class EvidenceUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, JPEG or PNG, at most 20 MB; the content decides, "
                                                          "not the name"})


class VisitVerifierSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    email = fields.String()


class VisitSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": list(VISIT_KINDS)})
    status = fields.String(metadata={"enum": list(VISIT_STATUSES)})
    scheduled_for = fields.Date()
    place = fields.String()
    note = fields.String(allow_none=True)
    findings = fields.String(allow_none=True)
    recommendations = fields.String(allow_none=True)
    verifiers = fields.List(fields.Nested(VisitVerifierSchema))
    verdicts = fields.List(fields.Nested(VerdictSchema), metadata={"description": "Verification visits"})
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class VisitCreateSchema(Schema):
    kind = fields.String(load_default="verification", validate=_one_of(VISIT_KINDS), metadata={
        "description": "verification (while in review) or monitoring (once live)"})
    scheduled_for = fields.Date(required=True)
    place = PrintableText(required=True, validate=validate.Length(min=1, max=MAX_PLACE))
    verifier_ids = fields.List(fields.UUID(), validate=validate.Length(max=MAX_VERIFIERS), load_default=list,
                               metadata={"description": "Ministry verifiers on the visit (default: you)"})
    note = PrintableText(**NOTE)


class VisitUpdateSchema(Schema):
    scheduled_for = fields.Date()
    place = PrintableText(validate=validate.Length(min=1, max=MAX_PLACE))
    verifier_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=MAX_VERIFIERS))
    note = PrintableText(**NOTE)
    findings = PrintableText(validate=validate.Length(max=MAX_TEXT), allow_none=True)
    recommendations = PrintableText(validate=validate.Length(max=MAX_TEXT), allow_none=True)


class VisitActionSchema(Schema):
    action = fields.String(required=True, validate=_one_of(VISIT_ACTIONS), metadata={
        "description": "complete (verification: a verdict on every mandatory item; monitoring: findings) or cancel"})
    note = PrintableText(**NOTE)
    findings = PrintableText(validate=validate.Length(max=MAX_TEXT), allow_none=True)
    recommendations = PrintableText(validate=validate.Length(max=MAX_TEXT), allow_none=True)


class VerdictInputSchema(Schema):
    verdict = fields.String(required=True, validate=_one_of(VERDICTS), metadata={
        "description": "not_applicable only for items that are not mandatory"})
    note = PrintableText(**NOTE)


class RoutingSchema(Schema):
    id = fields.UUID()
    telco = fields.String(metadata={"enum": list(TELCOS)})
    telco_name = fields.String()
    required = fields.Boolean()
    status = fields.String(metadata={"enum": list(ROUTING_STATUSES)})
    requested_at = fields.DateTime()
    requested_by = fields.UUID(allow_none=True)
    activated_at = fields.DateTime(allow_none=True)
    activated_by = fields.UUID(allow_none=True)
    test_call_at = fields.DateTime(allow_none=True)
    test_call_by = fields.UUID(allow_none=True)
    test_call_from = fields.String(allow_none=True, metadata={"example": "+6281234567890"})
    note = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer()


class RoutingActionSchema(Schema):
    action = fields.String(required=True, validate=_one_of(ROUTING_ACTIONS), metadata={
        "description": "activate (requested → active), pass_test_call (active → test_call_passed), exclude (a telco "
                       "that does not serve the region; needs a note), include"})
    note = PrintableText(**NOTE)
    from_number = fields.String(validate=validate.Length(max=40), allow_none=True, metadata={
        "description": "pass_test_call: the number the test call came from, written any usual way",
        "example": "0812-3456-7890"})
    called_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "pass_test_call: when the call was made (default: now)"})


class PipelineQuerySchema(Schema):
    stage = fields.List(fields.String(validate=_one_of(APPLICATION_STATUSES)), metadata={
        "description": "Only these stages (repeat the parameter for several)"})
    province = fields.String(validate=validate.Regexp(r"^[0-9]{2}$", error="A province code has two digits, e.g. 33."),
                             metadata={"example": "33"})
    q = PrintableText(validate=validate.Length(max=100), metadata={"description": "Part of the region's name"})


class PipelineItemSchema(Schema):
    id = fields.UUID()
    tenant = fields.String(attribute="tenant.slug")
    tenant_name = fields.String(attribute="tenant.name")
    region_code = fields.String(attribute="tenant.region_code")
    province_code = fields.String(attribute="tenant.region.province_code")
    province_name = fields.String(attribute="tenant.region.province.name")
    tenant_status = fields.String(attribute="tenant.status")
    stage = fields.String(attribute="status", metadata={"enum": list(APPLICATION_STATUSES)})
    checklist_version = fields.Integer()
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    live_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
