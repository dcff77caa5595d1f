from marshmallow import Schema, fields, validate
from flask_smorest.fields import Upload

from siaga112.platform.schemas import PrintableText
from siaga112.platform.storage import MAGIC

from .service import MAX_RANGE_DAYS


class PersonSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)


class CertificateSchema(Schema):
    name = fields.String(attribute="certificate_name", dump_only=True, metadata={"example": "sertifikat.pdf"})
    content_type = fields.String(attribute="certificate_type", dump_only=True, metadata={"enum": list(MAGIC)})
    size = fields.Integer(attribute="certificate_size", dump_only=True)
    sha256 = fields.String(attribute="certificate_sha256", dump_only=True)
    uploaded_at = fields.DateTime(attribute="certificate_uploaded_at", dump_only=True)


class TrainingRecordSchema(Schema):
    id = fields.UUID(dump_only=True)
    user_id = fields.UUID(dump_only=True)
    person = fields.Nested(PersonSchema, attribute="user", dump_only=True)
    course = fields.String(dump_only=True, metadata={"example": "Pelatihan Operator 112"})
    provider = fields.String(dump_only=True, metadata={"example": "Kementerian Komunikasi dan Digital"})
    completed_on = fields.Date(dump_only=True)
    valid_until = fields.Date(dump_only=True, allow_none=True)
    certificate = fields.Method("_certificate", dump_only=True, allow_none=True,
                                metadata={"type": "object", "nullable": True,
                                          "description": "The uploaded certificate, or null; download it at "
                                                         "…/training-records/{id}/certificate"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def _certificate(self, training):
        return CertificateSchema().dump(training) if training.has_certificate else None


class TrainingRecordCreateSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "A member of this region"})
    course = PrintableText(required=True, validate=validate.Length(min=1, max=160))
    provider = PrintableText(required=True, validate=validate.Length(min=1, max=160))
    completed_on = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "Left out or null: the training does not expire"})


class TrainingRecordUpdateSchema(Schema):
    user_id = fields.UUID()
    course = PrintableText(validate=validate.Length(min=1, max=160))
    provider = PrintableText(validate=validate.Length(min=1, max=160))
    completed_on = fields.Date()
    valid_until = fields.Date(allow_none=True)


class TrainingQuerySchema(Schema):
    user_id = fields.UUID()
    valid_on = fields.Date(metadata={"description": "Only records valid on this date"})


class CertificateUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, JPEG or PNG, at most 10 MB; the content decides, "
                                                          "not the name"})


class UntrainedQuerySchema(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "First local date (default: today)"})
    to = fields.Date(metadata={"description": f"Last local date (default: 29 days after from; at most "
                                              f"{MAX_RANGE_DAYS} days in all)"})


class UntrainedSchema(Schema):
    user_id = fields.UUID()
    name = fields.String()
    email = fields.String()
    first_day = fields.Date(metadata={"description": "The first rostered day without valid training"})
    days = fields.Integer(metadata={"description": "Rostered days without valid training"})
    last_valid_until = fields.Date(allow_none=True)
