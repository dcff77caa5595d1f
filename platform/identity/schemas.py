from marshmallow import Schema, fields, validate

from ..schemas import PrintableText
from .invitations import status_of
from .roles import TENANT_ROLES


class MemberSchema(Schema):
    id = fields.UUID(dump_only=True)
    user_id = fields.UUID(dump_only=True)
    email = fields.String(dump_only=True, attribute="user.email")
    name = fields.String(dump_only=True, attribute="user.name")
    role = fields.String(dump_only=True, metadata={"enum": list(TENANT_ROLES)})
    agency_id = fields.UUID(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


ROLE_ERROR = "Use a tenant role: regional_admin, supervisor, operator or agency_responder."


class MemberInviteSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = PrintableText(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(required=True, validate=validate.OneOf(TENANT_ROLES, error=ROLE_ERROR))
    agency_id = fields.UUID(load_default=None, allow_none=True)


class InvitationSchema(Schema):
    id = fields.UUID(dump_only=True)
    email = fields.String(dump_only=True, metadata={"description": "As the admin typed it"})
    name = fields.String(dump_only=True, metadata={"description": "As the admin typed it"})
    role = fields.String(dump_only=True, metadata={"enum": list(TENANT_ROLES)})
    agency_id = fields.UUID(dump_only=True, allow_none=True)
    status = fields.Function(lambda invitation: status_of(invitation),
                             metadata={"enum": ["pending", "accepted", "revoked", "expired"]})
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)


class MemberChangeSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(TENANT_ROLES, error=ROLE_ERROR))
    agency_id = fields.UUID(load_default=None, allow_none=True)
