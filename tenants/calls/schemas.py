from marshmallow import Schema, ValidationError, fields, validate, validates

from .models import (CALLBACK_OUTCOMES, CALLBACK_REASONS, CLASSIFICATIONS, EVENTS, HAND_STATUSES, INCIDENT_STATUSES,
                     LOCATION_METHODS, PRIORITIES, STATES)


class LocationSchema(Schema):
    """A position as Advanced Mobile Location (AML) delivers it, with what the caller said."""

    text = fields.String(attribute="location_text", allow_none=True, metadata={"description": "What the caller said"})
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    radius_m = fields.Integer(attribute="location_radius_m", allow_none=True)
    method = fields.String(attribute="location_method", allow_none=True, metadata={"enum": list(LOCATION_METHODS)})
    at = fields.DateTime(attribute="location_at", allow_none=True)


class AmlSchema(Schema):
    """The position the PBX or gateway received with the call (AML SMS or HTTPS)."""

    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_m = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100_000))
    method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOCATION_METHODS[:-1]))
    at = fields.AwareDateTime(load_default=None, allow_none=True)


class CategoryRefSchema(Schema):
    code = fields.String()


class TelephonyEventSchema(Schema):
    """One event of a call, as the PBX or gateway sends it (docs/telephony.md maps Asterisk and Twilio to it)."""

    event = fields.String(required=True, validate=validate.OneOf(EVENTS), metadata={"example": "answered"})
    call_id = fields.String(required=True, validate=validate.Length(min=1, max=120),
                            metadata={"description": "The PBX's own id of the call", "example": "1733100000.42"})
    dialed = fields.String(required=True, validate=validate.Length(min=1, max=40),
                           metadata={"description": "The 112 line that was dialled", "example": "+62285421112"})
    caller = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                           metadata={"description": "The caller's number; null or \"anonymous\" when withheld",
                                     "example": "+6281234567890"})
    at = fields.AwareDateTime(required=True, metadata={"description": "When it happened, RFC 3339 on the PBX's clock",
                                                        "example": "2026-12-02T03:04:05Z"})
    sequence = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2**31 - 1))
    agent = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120),
                          metadata={"description": "The operator's extension or e-mail", "example": "201"})
    location = fields.Nested(AmlSchema, load_default=None, allow_none=True,
                             metadata={"description": "Optional position of the caller (AML)"})

    @validates("call_id")
    def _printable(self, value, **_kwargs):
        if not value.isprintable():
            raise ValidationError("The call id has printable characters only.")


class CallSchema(Schema):
    """A call without the caller's number (personal data: read through its own, recorded, access)."""

    id = fields.UUID(dump_only=True)
    pbx_call_id = fields.String(dump_only=True)
    dialed = fields.String(attribute="dialed_e164", dump_only=True)
    caller_withheld = fields.Function(lambda call: call.caller_e164 is None, dump_only=True,
                                      metadata={"type": "boolean"})
    state = fields.String(dump_only=True, metadata={"enum": list(STATES)})
    classification = fields.String(dump_only=True, allow_none=True, metadata={"enum": list(CLASSIFICATIONS)})
    offered_at = fields.DateTime(dump_only=True, allow_none=True)
    answered_at = fields.DateTime(dump_only=True, allow_none=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)
    answer_seconds = fields.Float(dump_only=True, allow_none=True)
    talk_seconds = fields.Float(dump_only=True, allow_none=True)
    agent = fields.String(dump_only=True, allow_none=True)
    operator_id = fields.UUID(dump_only=True, allow_none=True)
    is_test = fields.Boolean(dump_only=True, metadata={"description": "Made before the region went live: counts "
                                                                      "for onboarding, never for national figures"})
    source = fields.String(dump_only=True)
    # Read only when the call has one: a call without a category costs no query (the intake answers every event).
    category = fields.Function(lambda call: call.category.code if call.category_id else None, dump_only=True,
                               metadata={"type": "string", "nullable": True,
                                         "description": "The code of the region's category"})
    location = fields.Nested(LocationSchema, dump_only=True, allow_none=True)
    notes = fields.String(dump_only=True, allow_none=True)
    incident_id = fields.UUID(dump_only=True, allow_none=True)


class CallerSchema(Schema):
    repeat_false_calls = fields.Integer(dump_only=True, metadata={
        "description": "Prank and ghost calls from this number in the last 30 days"})


class IntakeSchema(Schema):
    stored = fields.Boolean(dump_only=True, metadata={"description": "False: this event was already stored"})
    call = fields.Nested(CallSchema, dump_only=True)
    caller = fields.Function(lambda intake: {
        "repeat_false_calls": intake.repeat_false_calls, "blocked": intake.block is not None,
        "blocked_until": intake.block.expires_at.isoformat() if intake.block else None, "advice": intake.advice},
        dump_only=True, metadata={"type": "object", "description": (
            "What is known of the caller: prank and ghost calls from the number in the last 30 days, whether a "
            "supervisor's block is in force, and the advice: `warn_and_queue_low` (play the warning, queue at low "
            "priority: never drop the call, a prank caller can have a real emergency) or `normal`")})


class CallQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    classification = fields.String(load_default=None, validate=validate.OneOf((*CLASSIFICATIONS, "none")),
                                   metadata={"description": "`none`: not classified yet"})
    incident_id = fields.UUID(load_default=None, metadata={"description": "The calls of one incident"})
    since = fields.AwareDateTime(load_default=None, metadata={"description": "Offered at or after (RFC 3339)"})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "Offered before (RFC 3339)"})


class CallLogSchema(Schema):
    """A call logged by hand: when it came in, and (if so) when it was answered and ended."""

    offered_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(load_default=None, allow_none=True)
    ended_at = fields.AwareDateTime(load_default=None, allow_none=True)
    caller = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    classification = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS))


class CallerNumberSchema(Schema):
    caller = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "E.164; null when withheld or erased after the retention period", "example": "+6281234567890"})


class BlockSchema(Schema):
    """A block in force, without the number it blocks."""

    id = fields.UUID(dump_only=True)
    from_call_id = fields.UUID(dump_only=True)
    reason = fields.String(dump_only=True)
    created_by = fields.UUID(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)


class BlockCreateSchema(Schema):
    call_id = fields.UUID(required=True, metadata={"description": "A call of the caller to block"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    hours = fields.Integer(load_default=None, allow_none=True, metadata={"description": "24 by default, at most 168"})


# --- what is recorded of a call, and its incident --------------------------------------------------------

def _located_fields() -> dict:
    """The location fields a person types in (a change: absent keys are left as they are)."""
    return {
        "location_text": fields.String(allow_none=True, validate=validate.Length(max=500)),
        "latitude": fields.Float(allow_none=True, validate=validate.Range(-90, 90)),
        "longitude": fields.Float(allow_none=True, validate=validate.Range(-180, 180)),
        "location_radius_m": fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000)),
    }


CallUpdateSchema = Schema.from_dict({
    "classification": fields.String(allow_none=True, validate=validate.OneOf(CLASSIFICATIONS),
                                    metadata={"description": "null clears it"}),
    "category": fields.String(allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": "The code of one of the region's active categories"}),
    "notes": fields.String(allow_none=True, validate=validate.Length(max=4000)),
    "incident_id": fields.UUID(allow_none=True, metadata={"description": "Attach to an open incident; null detaches"}),
    **_located_fields()}, name="CallUpdateSchema")


class IncidentSchema(Schema):
    id = fields.UUID(dump_only=True)
    number = fields.String(dump_only=True, metadata={"example": "PKL-2026-000123"})
    priority = fields.String(dump_only=True, metadata={"enum": list(PRIORITIES)})
    status = fields.String(dump_only=True, metadata={"enum": list(INCIDENT_STATUSES)})
    summary = fields.String(dump_only=True)
    category = fields.Pluck(CategoryRefSchema, "code", dump_only=True, allow_none=True)
    location = fields.Nested(LocationSchema, dump_only=True, allow_none=True)
    call_ids = fields.Function(lambda incident: [str(call.id) for call in incident.calls], dump_only=True,
                               metadata={"type": "array", "items": {"type": "string", "format": "uuid"}})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    closed_reason = fields.String(dump_only=True, allow_none=True)


class IncidentQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(INCIDENT_STATUSES))


IncidentCreateSchema = Schema.from_dict({
    "call_id": fields.UUID(required=True, metadata={"description": "The call the incident is opened from"}),
    "summary": fields.String(required=True, validate=validate.Length(min=1, max=1000)),
    "priority": fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES)),
    "category": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": "The call's category unless given"}),
    **_located_fields()}, name="IncidentCreateSchema")

IncidentUpdateSchema = Schema.from_dict({
    "summary": fields.String(validate=validate.Length(min=1, max=1000)),
    "priority": fields.String(validate=validate.OneOf(PRIORITIES)),
    "category": fields.String(allow_none=True, validate=validate.Length(max=40)),
    "status": fields.String(validate=validate.OneOf(HAND_STATUSES),
                            metadata={"description": "A supervisor closes (with closed_reason) or reopens"}),
    "closed_reason": fields.String(allow_none=True, validate=validate.Length(max=500)),
    **_located_fields()}, name="IncidentUpdateSchema")


# --- the floor: callbacks, handovers, extensions ------------------------------------------------------------

class CallbackSchema(Schema):
    id = fields.UUID(dump_only=True)
    call_id = fields.UUID(dump_only=True)
    reason = fields.String(dump_only=True, metadata={"enum": list(CALLBACK_REASONS)})
    outcome = fields.String(dump_only=True, allow_none=True, metadata={"enum": list(CALLBACK_OUTCOMES)})
    note = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    done_at = fields.DateTime(dump_only=True, allow_none=True)
    done_by = fields.UUID(dump_only=True, allow_none=True)


class CallbackQuerySchema(Schema):
    done = fields.Boolean(load_default=False, metadata={"description": "true: the ones done, newest first"})


class CallbackUpdateSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(CALLBACK_OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class HandoverSchema(Schema):
    id = fields.UUID(dump_only=True)
    note = fields.String(dump_only=True)
    written_by = fields.UUID(dump_only=True, allow_none=True)
    written_at = fields.DateTime(dump_only=True)
    acknowledged_by = fields.UUID(dump_only=True, allow_none=True)
    acknowledged_at = fields.DateTime(dump_only=True, allow_none=True)


class HandoverCreateSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ExtensionSchema(Schema):
    extension = fields.String(dump_only=True, metadata={"example": "201"})
    user_id = fields.UUID(dump_only=True)


class ExtensionSetSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "An operator or supervisor of the region"})


class CallSettingsSchema(Schema):
    caller_retention_days = fields.Integer(required=True, validate=validate.Range(1, 3650), metadata={
        "description": "Days a caller's number is kept before the retention job erases it (90 by default; the call "
                       "itself stays)", "example": 90})
