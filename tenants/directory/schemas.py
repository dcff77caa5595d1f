from marshmallow import Schema, ValidationError, fields, validate

from siaga112.platform.schemas import PrintableText

from .models import AFFILIATIONS, AGENCY_KINDS, LINE_KINDS, NUMBER_KINDS
from .phone import MAX_INPUT, InvalidNumber, parse_number

KIND_ERROR = f"Use one of: {', '.join(AGENCY_KINDS)}."
AFFILIATION_ERROR = "Use opd (a regional government body), vertical (an instansi vertikal) or other."
NUMBER_KIND_ERROR = f"Use one of: {', '.join(NUMBER_KINDS)}."


class PhoneNumberField(fields.String):
    """A phone number as people write it; loads as its E.164 form, or fails naming this field."""

    def __init__(self, **kwargs):
        metadata = {"example": "(0285) 421112", "maxLength": MAX_INPUT,
                    "description": "Any usual way of writing an Indonesian number: 0285 421112, (0285) 421112, "
                                   "+62 285 421112, 0812-3456-7890"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_number(text)
        except InvalidNumber as error:
            raise ValidationError(str(error)) from None


class ContactSchema(Schema):
    id = fields.UUID(dump_only=True)
    e164 = fields.String(dump_only=True, metadata={"example": "+62285421112"})
    national = fields.String(dump_only=True, metadata={"example": "(0285) 421112"})
    label = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)


class AgencySchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True, metadata={"example": "Polres Pekalongan Kota"})
    kind = fields.String(dump_only=True, metadata={"enum": list(AGENCY_KINDS)})
    affiliation = fields.String(dump_only=True, metadata={"enum": list(AFFILIATIONS)})
    email = fields.String(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True,
                           metadata={"description": "The agency's contact numbers (add them at /numbers)"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class AgencyCreateSchema(Schema):
    name = PrintableText(required=True, validate=validate.Length(min=1, max=160))
    kind = fields.String(required=True, validate=validate.OneOf(AGENCY_KINDS, error=KIND_ERROR))
    affiliation = fields.String(validate=validate.OneOf(AFFILIATIONS, error=AFFILIATION_ERROR),
                                metadata={"description": "Defaults from the kind: police → vertical, "
                                                         "utility/blood/other → other, the rest → opd"})
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    active = fields.Boolean(load_default=True)


class AgencyUpdateSchema(Schema):
    name = PrintableText(validate=validate.Length(min=1, max=160))
    kind = fields.String(validate=validate.OneOf(AGENCY_KINDS, error=KIND_ERROR))
    affiliation = fields.String(validate=validate.OneOf(AFFILIATIONS, error=AFFILIATION_ERROR))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    active = fields.Boolean()


class AgencyQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(AGENCY_KINDS, error=KIND_ERROR))
    active = fields.Boolean()


class NumberSchema(Schema):
    id = fields.UUID(dump_only=True)
    e164 = fields.String(dump_only=True, metadata={"example": "+62285421112"})
    national = fields.String(dump_only=True, metadata={"example": "(0285) 421112"})
    kind = fields.String(dump_only=True, metadata={"enum": list(NUMBER_KINDS)})
    label = fields.String(dump_only=True)
    agency_id = fields.UUID(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class NumberCreateSchema(Schema):
    number = PhoneNumberField(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NUMBER_KINDS, error=NUMBER_KIND_ERROR))
    label = PrintableText(load_default="", validate=validate.Length(max=120))
    agency_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "Required for agency_contact; left out for lines"})


class NumberUpdateSchema(Schema):
    label = PrintableText(validate=validate.Length(max=120))
    active = fields.Boolean()
    agency_id = fields.UUID(metadata={"description": "Another agency of this region (agency contacts only)"})


class NumberQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(NUMBER_KINDS, error=NUMBER_KIND_ERROR))
    agency_id = fields.UUID()
    active = fields.Boolean()


class LookupQuerySchema(Schema):
    dialed = PhoneNumberField(required=True, metadata={"description": "The line that was dialled, written any usual way"})


class LookupTenantSchema(Schema):
    slug = fields.String()
    name = fields.String()
    region_code = fields.String()
    status = fields.String()
    time_zone = fields.String()


class LookupSchema(Schema):
    e164 = fields.String(metadata={"example": "+62285421112"})
    kind = fields.String(metadata={"enum": list(LINE_KINDS)})
    tenant = fields.Nested(LookupTenantSchema)
