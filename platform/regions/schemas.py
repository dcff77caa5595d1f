from marshmallow import Schema, fields, validate

from ..schemas import PrintableText
from .models import KINDS


class ProvinceSchema(Schema):
    code = fields.String(metadata={"example": "33"})
    name = fields.String(metadata={"example": "Jawa Tengah"})
    time_zone = fields.String(metadata={"example": "Asia/Jakarta"})


class RegionSchema(Schema):
    code = fields.String(metadata={"description": "Kemendagri code", "example": "33.75"})
    name = fields.String(metadata={"example": "Kota Pekalongan"})
    kind = fields.String(metadata={"enum": list(KINDS)})
    province = fields.Nested(ProvinceSchema(only=("code", "name")))
    time_zone = fields.String(metadata={"description": "IANA time zone of the province", "example": "Asia/Jakarta"})


class RegionQuerySchema(Schema):
    province = fields.String(
        validate=validate.Regexp(r"^[0-9]{2}$", error="Use a two-digit province code, such as 33 for Jawa Tengah."),
        metadata={"description": "Province code", "example": "33"})
    kind = fields.String(validate=validate.OneOf(KINDS, error="Use kabupaten or kota."))
    q = PrintableText(validate=validate.Length(min=1, max=100), metadata={"description": "Part of the region's name"})
