"""Training records of the people on a tenant's roster, with certificates."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import send_file
from flask.views import MethodView
from flask_smorest import abort
from siaga112.platform.api import ApiBlueprint, SelectPage, refuse
from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import (
    MINISTRY_ROLES,
    PLATFORM_ADMIN,
    REGIONAL_ADMIN,
    SUPERVISOR,
)
from siaga112.platform.storage import (
    MAGIC,
    EmptyUpload,
    StorageError,
    TooLarge,
    UnsupportedContent,
    file_store,
)

from . import service
from .certificates import store_upload
from .schemas import (
    CertificateUploadSchema,
    TrainingQuerySchema,
    TrainingRecordCreateSchema,
    TrainingRecordSchema,
    TrainingRecordUpdateSchema,
    UntrainedQuerySchema,
    UntrainedSchema,
)

blp = ApiBlueprint("training", __name__, url_prefix="/api/v1/tenants/<tenant>",
                   description="Training records of the people on a tenant's roster, with certificates.")

# Supervisors roster people and must know who is trained; the ministry checks training before go-live.
READERS = (REGIONAL_ADMIN, SUPERVISOR, PLATFORM_ADMIN, *MINISTRY_ROLES)
WRITERS = (REGIONAL_ADMIN,)


def _version(training) -> dict:
    return {"id": str(training.id), "version": training.version}


def _record(record_id):
    try:
        return service.get_record(request_session(), current_access().tenant.id, record_id)
    except service.NotFound as error:
        refuse(error)


def local_today(tenant):
    return datetime.now(ZoneInfo(tenant.time_zone)).date()


@blp.route("/training-records")
class TrainingRecords(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(TrainingQuerySchema, location="query")
    @blp.response(200, TrainingRecordSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=500)
    def get(self, query, tenant):
        """The region's training records, by person and newest first"""
        return service.records_query(current_access().tenant.id, query.get("user_id"), query.get("valid_on"))

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(TrainingRecordCreateSchema)
    @blp.response(201, TrainingRecordSchema)
    def post(self, body, tenant):
        """Record a course a member completed (regional_admin); upload its certificate with PUT …/certificate"""
        access, session = current_access(), request_session()
        try:
            training = service.create_record(session, access.tenant.id, body, access.actor())
        except service.TrainingError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(training))
        return training


@blp.route("/training-records/missing")
class UntrainedPeople(MethodView):
    @roles_allowed(*READERS)
    @blp.arguments(UntrainedQuerySchema, location="query")
    @blp.response(200, UntrainedSchema(many=True))
    def get(self, query, tenant):
        """Rostered people without valid training on some of their roster days (default: the next 30 days)"""
        access = current_access()
        first, last = service.default_range(query.get("from_") or local_today(access.tenant))
        last = query.get("to") or last
        try:
            return service.untrained_rostered(request_session(), access.tenant.id, first, last)
        except service.TrainingError as error:
            refuse(error, location="query")


@blp.route("/training-records/<uuid:record_id>")
class TrainingRecordById(MethodView):
    @roles_allowed(*READERS)
    @blp.etag
    @blp.response(200, TrainingRecordSchema)
    def get(self, tenant, record_id):
        """One training record, with an ETag"""
        training = _record(record_id)
        blp.set_etag(_version(training))
        return training

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(TrainingRecordUpdateSchema)
    @blp.response(200, TrainingRecordSchema)
    @blp.alt_response(412, description="The If-Match ETag is stale: fetch the record again")
    def patch(self, changes, tenant, record_id):
        """Correct a training record; needs If-Match"""
        access, session = current_access(), request_session()
        training = _record(record_id)
        blp.check_etag(_version(training))
        try:
            service.update_record(session, training, changes, access.actor())
        except service.TrainingError as error:
            refuse(error)
        session.commit()
        blp.set_etag(_version(training))
        return training

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.response(204)
    def delete(self, tenant, record_id):
        """Delete a training record and its certificate; needs If-Match"""
        access, session = current_access(), request_session()
        training = _record(record_id)
        blp.check_etag(_version(training))
        try:
            key = service.delete_record(session, training, access.actor())
        except service.TrainingError as error:
            refuse(error)
        session.commit()
        if key:
            file_store().delete(key)  # only once the row is gone: a failed commit keeps row and file together


@blp.route("/training-records/<uuid:record_id>/certificate")
class Certificate(MethodView):
    @roles_allowed(*READERS)
    @blp.doc(responses={"200": {"description": "The certificate as uploaded, typed by its content",
                                "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in MAGIC}}})
    def get(self, tenant, record_id):
        """Download the record's certificate (the same roles that may read the record)"""
        return certificate_response(_record(record_id))

    @roles_allowed(*WRITERS)
    @blp.etag
    @blp.arguments(CertificateUploadSchema, location="files")
    @blp.response(200, TrainingRecordSchema)
    @blp.alt_response(413, description="The file is larger than 10 MB")
    @blp.alt_response(415, description="The content is not PDF, JPEG or PNG, whatever the file name says")
    def put(self, files, tenant, record_id):
        """Upload (or replace) the certificate: multipart field `file`; needs If-Match"""
        access, session = current_access(), request_session()
        training = _record(record_id)
        blp.check_etag(_version(training))
        try:
            store_upload(session, training, files["file"], access.actor())
        except StorageError as error:
            upload_refused(error)
        except service.TrainingError as error:
            refuse(error)
        blp.set_etag(_version(training))
        return training


def certificate_response(training):
    """The stored certificate as a download, typed as sniffed at upload, never rendered by the browser."""
    store = file_store()
    if not training.has_certificate or not store.exists(training.certificate_key):
        abort(404, message="This training record has no certificate; upload one with PUT.")
    response = send_file(store.open(training.certificate_key), mimetype=training.certificate_type, as_attachment=True,
                         download_name=training.certificate_name, etag=training.certificate_sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


UPLOAD_STATUS = {TooLarge: 413, UnsupportedContent: 415, EmptyUpload: 422}


def upload_refused(error: StorageError):
    """413 too large, 415 not PDF/JPEG/PNG by content, 422 (naming the field) empty."""
    status = UPLOAD_STATUS.get(type(error), 422)
    if status == 422:
        abort(422, message=str(error), errors={"files": {"file": [str(error)]}})
    abort(status, message=str(error))
