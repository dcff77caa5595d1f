"""Training records of the people on a tenant's roster, with certificates."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask.views import MethodView
from siaga112.platform.api import ApiBlueprint, SelectPage
from siaga112.platform.identity.access import roles_allowed, tenant_scope
from siaga112.platform.identity.roles import (
    MINISTRY_ROLES,
    PLATFORM_ADMIN,
    REGIONAL_ADMIN,
    SUPERVISOR,
)
from siaga112.platform.refusals import N_, NotFound
from siaga112.platform.storage import MAGIC, download

from . import service
from .certificates import delete_with_certificate, store_upload
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
PAGE = {"pager": SelectPage, "page_size": 50, "max_page_size": 500}


def scoped_record(record_id):
    """The path's training record in the request's tenant (a 404 refusal if the region has no such record)."""
    scope = tenant_scope()
    return service.get_record(scope.session, scope.tenant_id, record_id)


def local_today(tenant):
    return datetime.now(ZoneInfo(tenant.time_zone)).date()


@blp.route("/training-records")
class TrainingRecords(MethodView):
    @blp.operation(READERS, TrainingRecordSchema(many=True), query=TrainingQuerySchema, page=PAGE)
    def get(self, query, tenant):
        """The region's training records, by person and newest first"""
        return service.records_query(tenant_scope().tenant_id, query.get("user_id"), query.get("valid_on"))

    @blp.operation(WRITERS, TrainingRecordSchema, 201, body=TrainingRecordCreateSchema, etag=True)
    def post(self, body, tenant):
        """Record a course a member completed (regional_admin); upload its certificate with PUT …/certificate"""
        scope = tenant_scope()
        return blp.versioned(service.create_record(scope.session, scope.tenant_id, body, scope.actor))


@blp.route("/training-records/missing")
class UntrainedPeople(MethodView):
    @blp.operation(READERS, UntrainedSchema(many=True), query=UntrainedQuerySchema)
    def get(self, query, tenant):
        """Rostered people without valid training on some of their roster days (default: the next 30 days)"""
        scope = tenant_scope()
        first, last = service.default_range(query.get("from_") or local_today(scope.tenant))
        return service.untrained_rostered(scope.session, scope.tenant_id, first, query.get("to") or last)


@blp.route("/training-records/<uuid:record_id>")
class TrainingRecordById(MethodView):
    @blp.operation(READERS, TrainingRecordSchema, etag=True)
    def get(self, tenant, record_id):
        """One training record, with an ETag"""
        return blp.versioned(scoped_record(record_id))

    @blp.operation(WRITERS, TrainingRecordSchema, body=TrainingRecordUpdateSchema, etag=True,
                   refusals={412: "The If-Match ETag is stale: fetch the record again"})
    def patch(self, changes, tenant, record_id):
        """Correct a training record; needs If-Match"""
        scope = tenant_scope()
        training = blp.check_version(scoped_record(record_id))
        return blp.versioned(service.update_record(scope.session, training, changes, scope.actor))

    @blp.operation(WRITERS, status=204, etag=True)
    def delete(self, tenant, record_id):
        """Delete a training record and its certificate; needs If-Match"""
        scope = tenant_scope()
        training = blp.check_version(scoped_record(record_id))
        delete_with_certificate(scope.session, training, scope.actor)


@blp.route("/training-records/<uuid:record_id>/certificate")
class Certificate(MethodView):
    @roles_allowed(*READERS)
    @blp.doc(responses={"200": {"description": "The certificate as uploaded, typed by its content",
                                "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in MAGIC}}})
    def get(self, tenant, record_id):
        """Download the record's certificate (the same roles that may read the record)"""
        return certificate_response(scoped_record(record_id))

    @blp.operation(WRITERS, TrainingRecordSchema, files=CertificateUploadSchema, etag=True,
                   refusals={413: "The file is larger than 10 MB",
                             415: "The content is not PDF, JPEG or PNG, whatever the file name says"})
    def put(self, files, tenant, record_id):
        """Upload (or replace) the certificate: multipart field `file`; needs If-Match"""
        scope = tenant_scope()
        training = blp.check_version(scoped_record(record_id))
        store_upload(scope.session, training, files["file"], scope.actor)
        return blp.versioned(training)


def certificate_response(training):
    """The stored certificate as a download, typed as sniffed at upload, never rendered by the browser."""
    if not training.has_certificate:
        raise NotFound(N_("This training record has no certificate yet."))
    return download(training.certificate_key, training.certificate_type, training.certificate_name,
                    training.certificate_sha256)
