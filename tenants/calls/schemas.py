from marshmallow import Schema, ValidationError, fields, validate, validates

from .models import CLASSIFICATIONS, EVENTS, STATES


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


class CallClassifySchema(Schema):
    classification = fields.String(required=True, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS),
                                   metadata={"description": "null clears it"})


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
