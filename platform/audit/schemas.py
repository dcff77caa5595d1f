from marshmallow import Schema, fields


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    created_at = fields.DateTime()
    actor_kind = fields.String()
    actor_id = fields.String()
    role = fields.String(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    hash = fields.String()
