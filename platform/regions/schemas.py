from flask_smorest.fields import Upload
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


class ExternalImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "true: only say what the file would change (the preview); nothing is written"})


class ExternalImportFileSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "CSV, UTF-8 (a byte order mark is fine): a first row region_code,live_since,note (or "
                       "kode_wilayah,aktif_sejak,catatan), then one row per region; commas or semicolons; dates "
                       "YYYY-MM-DD. The file replaces the whole list."})


class ExternalChangeSchema(Schema):
    kind = fields.String(metadata={"enum": ["new", "changed", "unchanged", "removed"]})
    region_code = fields.String(metadata={"example": "33.75"})
    region_name = fields.String(metadata={"example": "Kota Pekalongan"})
    live_since = fields.Date(allow_none=True, metadata={"description": "None for a removed region"})
    note = fields.String()
    before_since = fields.Date(allow_none=True)
    before_note = fields.String()


class ExternalCountsSchema(Schema):
    new = fields.Integer()
    changed = fields.Integer()
    unchanged = fields.Integer()
    removed = fields.Integer()


class ExternalImportSchema(Schema):
    dry_run = fields.Boolean()
    counts = fields.Nested(ExternalCountsSchema)
    changes = fields.List(fields.Nested(ExternalChangeSchema))
