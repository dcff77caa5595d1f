from marshmallow import Schema, fields, validate

from ..regions.schemas import RegionSchema
from ..schemas import PrintableText
from .models import TENANT_STATUSES


class TenantSchema(Schema):
    id = fields.UUID(dump_only=True)
    slug = fields.String(dump_only=True, metadata={"example": "kota-pekalongan"})
    name = fields.String(dump_only=True, metadata={"example": "Kota Pekalongan"})
    region = fields.Nested(RegionSchema, dump_only=True)
    time_zone = fields.String(dump_only=True, metadata={"example": "Asia/Jakarta"})
    status = fields.String(metadata={"enum": list(TENANT_STATUSES)})
    contact_email = fields.Email(allow_none=True)
    address = PrintableText(allow_none=True, validate=validate.Length(max=300))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TenantCreateSchema(Schema):
    region_code = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9]{2}\.[0-9]{2}$", error="Use the region's Kemendagri code, such as 33.75."),
        metadata={"example": "33.75"})


class TenantUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(TENANT_STATUSES, error="Use one of: prospect, onboarding, live, suspended."))
    contact_email = fields.Email(allow_none=True)
    address = PrintableText(allow_none=True, validate=validate.Length(max=300))
