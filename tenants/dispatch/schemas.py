from marshmallow import Schema, fields, validate

from siaga112.platform.storage import MAX_UPLOAD_BYTES

from .models import (ACTIONS, CHANNELS, MAX_AFTER_MINUTES, MAX_STEPS, STATUSES, STEP_ACTIONS, TRANSFER_DIRECTIONS,
                     TRANSFER_KINDS, VIAS, WEBHOOK_EVENTS)
from .timeline import KINDS


class AgencyRefSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class PhotoSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    sha256 = fields.String(dump_only=True)
    uploaded_at = fields.DateTime(dump_only=True)
    uploaded_via = fields.String(dump_only=True, metadata={"enum": list(VIAS)})


class DispatchSchema(Schema):
    id = fields.UUID(dump_only=True)
    incident_id = fields.UUID(dump_only=True)
    agency = fields.Nested(AgencyRefSchema, dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    channel = fields.String(dump_only=True, metadata={"enum": list(CHANNELS)})
    note = fields.String(dump_only=True, allow_none=True)
    sent_at = fields.DateTime(dump_only=True)
    acknowledged_at = fields.DateTime(dump_only=True, allow_none=True)
    acknowledged_via = fields.String(dump_only=True, allow_none=True, metadata={"enum": list(VIAS)})
    acknowledged_name = fields.String(dump_only=True, allow_none=True)
    on_scene_at = fields.DateTime(dump_only=True, allow_none=True)
    report_text = fields.String(dump_only=True, allow_none=True)
    reported_at = fields.DateTime(dump_only=True, allow_none=True)
    reported_via = fields.String(dump_only=True, allow_none=True, metadata={"enum": list(VIAS)})
    done_at = fields.DateTime(dump_only=True, allow_none=True)
    cancelled_at = fields.DateTime(dump_only=True, allow_none=True)
    cancelled_reason = fields.String(dump_only=True, allow_none=True)
    photos = fields.List(fields.Nested(PhotoSchema), dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class DispatchQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class AgencyDispatchQuerySchema(Schema):
    open = fields.Boolean(load_default=True, metadata={"description": "Only those not done nor cancelled"})


DispatchCreateSchema = Schema.from_dict({
    "agency_ids": fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=20),
                              metadata={"description": "The agencies to send the incident to (GET …/dispatch-proposal "
                                                       "names those its category goes to)"}),
    "channel": fields.String(load_default="platform", validate=validate.OneOf(CHANNELS),
                             metadata={"description": "platform: the agency is notified (e-mail with a link, its "
                                                      "webhook); phone: the operator called it and logs that"}),
    "note": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000)),
}, name="DispatchCreateSchema")

DispatchActionSchema = Schema.from_dict({
    "action": fields.String(required=True, validate=validate.OneOf(ACTIONS)),
    "text": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000),
                          metadata={"description": "The follow-up report (action report)"}),
    "name": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120),
                          metadata={"description": "Who acknowledges, as they name themselves (a link, a system)"}),
    "reason": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                            metadata={"description": "Why the call centre cancels (action cancel)"}),
}, name="DispatchActionSchema")


class PhotoUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": f"JPEG or PNG, at most {MAX_UPLOAD_BYTES // 2**20} MB"})


class ProposalSchema(Schema):
    proposed = fields.List(fields.Nested(AgencyRefSchema), dump_only=True,
                           metadata={"description": "The active agencies the incident's category goes to"})
    agencies = fields.List(fields.Nested(AgencyRefSchema), dump_only=True,
                           metadata={"description": "Every active agency of the region"})


class StepSchema(Schema):
    after_minutes = fields.Integer(required=True, validate=validate.Range(1, MAX_AFTER_MINUTES),
                                   metadata={"description": "Minutes after the dispatch was sent, unacknowledged"})
    action = fields.String(required=True, validate=validate.OneOf(STEP_ACTIONS))


class EscalationPolicySchema(Schema):
    steps = fields.List(fields.Nested(StepSchema), required=True, validate=validate.Length(max=MAX_STEPS))
    national_default = fields.Boolean(dump_only=True,
                                      metadata={"description": "True while the region has not set its own steps"})


class TimelineEntrySchema(Schema):
    at = fields.DateTime(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(KINDS)})
    agency = fields.String(dump_only=True, allow_none=True)
    detail = fields.String(dump_only=True, allow_none=True)
    call_id = fields.UUID(dump_only=True, allow_none=True)


class WebhookSchema(Schema):
    id = fields.UUID(dump_only=True)
    agency = fields.Nested(AgencyRefSchema, dump_only=True)
    url = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(dump_only=True, metadata={
        "description": "The HMAC-SHA256 key of X-Siaga112-Signature (t=<unix time>,v1=<hex of HMAC over "
                       "'<t>.<body>'>): shown this once; register a new webhook to change it"})


WebhookCreateSchema = Schema.from_dict({
    "agency_id": fields.UUID(required=True),
    "url": fields.String(required=True, validate=validate.Length(min=8, max=500),
                         metadata={"description": "https:// (http:// only to this machine, for testing)"}),
}, name="WebhookCreateSchema")


class DeliverySchema(Schema):
    id = fields.UUID(dump_only=True, metadata={"description": "The event id (X-Siaga112-Event), the same on retries"})
    event = fields.String(dump_only=True, metadata={"enum": list(WEBHOOK_EVENTS)})
    dispatch_id = fields.UUID(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    attempts = fields.Integer(dump_only=True)
    delivered_at = fields.DateTime(dump_only=True, allow_none=True)
    last_status = fields.Integer(dump_only=True, allow_none=True)
    last_error = fields.String(dump_only=True, allow_none=True)


class RegionRefSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class TransferSchema(Schema):
    id = fields.UUID(dump_only=True)
    direction = fields.String(dump_only=True, metadata={"enum": list(TRANSFER_DIRECTIONS),
                                                        "description": "out: handed over by this region; in: received"})
    kind = fields.String(dump_only=True, metadata={"enum": list(TRANSFER_KINDS), "description":
                         "transferred: the other region (live on Siaga112) has its own incident; referred: it is not "
                         "live on the platform, and the caller was referred"})
    peer_region = fields.Nested(RegionRefSchema, dump_only=True)
    peer_incident_number = fields.String(dump_only=True, allow_none=True)
    peer_status = fields.String(dump_only=True, allow_none=True,
                                metadata={"description": "The other side's incident status, now"})
    peer_112_status = fields.String(dump_only=True, allow_none=True,
                                    metadata={"description": "A referral: the other region's 112 status then"})
    note = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


TransferCreateSchema = Schema.from_dict({
    "region_code": fields.String(required=True, validate=validate.Regexp(r"^[0-9]{2}\.[0-9]{2}$"),
                                 metadata={"description": "The kabupaten/kota the place is in, e.g. 33.26"}),
    "note": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                          metadata={"description": "What the receiving region should know (not the caller's number)"}),
}, name="TransferCreateSchema")


class NeighbourSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "Its 112 status: live, onboarding, prospect, "
                                                                   "suspended, external, not_onboarded"})
