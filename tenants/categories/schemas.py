from marshmallow import Schema, fields, validate

from siaga112.platform.schemas import PrintableText

from .models import CODE_PATTERN

CODE_ERROR = "Use lower-case letters, digits and single underscores, starting with a letter (e.g. gas_leak)."


class CategorySchema(Schema):
    code = fields.String(dump_only=True, metadata={"example": "tidal_flood"})
    name_id = fields.String(dump_only=True, metadata={"example": "Banjir rob"})
    name_en = fields.String(dump_only=True, metadata={"example": "Tidal flood (rob)"})
    emergency = fields.Boolean(dump_only=True)
    national = fields.Boolean(dump_only=True, metadata={"description": "A national default: renamed or disabled, "
                                                                       "never deleted"})
    active = fields.Boolean(dump_only=True)
    agency_ids = fields.List(fields.UUID(), dump_only=True,
                             metadata={"description": "The agencies calls of this category go to"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


def _agency_ids(**kwargs):
    return fields.List(fields.UUID(), validate=validate.Length(max=50), **kwargs)


class CategoryCreateSchema(Schema):
    code = fields.String(required=True, validate=[validate.Length(min=2, max=40),
                                                  validate.Regexp(CODE_PATTERN, error=CODE_ERROR)])
    name_id = PrintableText(required=True, validate=validate.Length(min=1, max=120))
    name_en = PrintableText(required=True, validate=validate.Length(min=1, max=120))
    emergency = fields.Boolean(required=True)
    active = fields.Boolean(load_default=True)
    agency_ids = _agency_ids(load_default=list)


class CategoryUpdateSchema(Schema):
    name_id = PrintableText(validate=validate.Length(min=1, max=120))
    name_en = PrintableText(validate=validate.Length(min=1, max=120))
    emergency = fields.Boolean(metadata={"description": "Only of the region's own categories"})
    active = fields.Boolean()
    agency_ids = _agency_ids(metadata={"description": "Replaces the agencies this category goes to"})


class CategoryQuerySchema(Schema):
    active = fields.Boolean()
    emergency = fields.Boolean()
