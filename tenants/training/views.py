"""The training page: records with their certificates, adding and correcting one, and who is rostered untrained."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import abort as abort_with

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import REGIONAL_ADMIN
from siaga112.platform.storage import StorageError, file_store
from siaga112.tenants.directory.forms import SelectChoice

from . import service
from .api import READERS, UPLOAD_STATUS, WRITERS, certificate_response, local_today
from .certificates import store_upload
from .forms import DeleteForm, TrainingEditForm, TrainingForm, error_message

bp = Blueprint("tenants_training_web", __name__, template_folder="templates")
FIELDS = ("user_id", "course", "provider", "completed_on", "valid_until")


def _with_people(form):
    people = service.members(request_session(), current_access().tenant.id)
    form.user_id.choices = [SelectChoice(str(person.id), f"{person.name} ({person.email})") for person in people]
    return form


def _page(template: str, status: int = 200, **context):
    access = current_access()
    return render_template(template, tenant=access.tenant, today=local_today(access.tenant),
                           can_write=REGIONAL_ADMIN in access.principal.roles_in(access.tenant.slug), **context), status


def _training_page(form: TrainingForm, status: int = 200):
    access, session = current_access(), request_session()
    first, last = service.default_range(local_today(access.tenant))
    records = session.scalars(service.records_query(access.tenant.id)).all()
    untrained = service.untrained_rostered(session, access.tenant.id, first, last)
    return _page("training/training.html", status, records=records, untrained=untrained, first=first, last=last,
                 form=_with_people(form))


def _fields(form) -> dict:
    values = {name: getattr(form, name).data for name in FIELDS}
    values["user_id"] = uuid.UUID(values["user_id"])
    values["course"], values["provider"] = values["course"].strip(), values["provider"].strip()
    return values


def _save_with_certificate(form, training, status_page):
    """Commit the record, with the uploaded certificate if one came; the page again (with why) if refused."""
    session, upload = request_session(), form.certificate.data
    if not upload or not upload.filename:
        session.commit()
        return None
    try:
        store_upload(session, training, upload, current_access().actor())
    except StorageError as error:
        session.rollback()  # the record's changes go with their certificate or not at all
        form.certificate.errors = [*form.certificate.errors, error_message(error)]
        return status_page(form, UPLOAD_STATUS.get(type(error), 422))
    return None


@bp.get("/tenants/<tenant>/training")
@roles_allowed(*READERS)
def training(tenant):
    return _training_page(TrainingForm())


@bp.post("/tenants/<tenant>/training")
@roles_allowed(*WRITERS)
def add_training(tenant):
    form = _with_people(TrainingForm())
    if not form.validate_on_submit():
        return _training_page(form, 422)
    access, session = current_access(), request_session()
    try:
        created = service.create_record(session, access.tenant.id, _fields(form), access.actor())
    except service.TrainingError as error:
        getattr(form, error.field or "course").errors.append(error_message(error))
        return _training_page(form, 422)
    refused = _save_with_certificate(form, created, _training_page)
    if refused:
        return refused
    flash(_("Training record added."))
    return redirect(url_for(".training", tenant=tenant))


def _record_or_404(record_id):
    try:
        return service.get_record(request_session(), current_access().tenant.id, record_id)
    except service.NotFound:
        abort_with(404)


def _record_page(found, form: TrainingEditForm, status: int = 200):
    return _page("training/record.html", status, record=found, form=_with_people(form))


@bp.get("/tenants/<tenant>/training/<uuid:record_id>")
@roles_allowed(*READERS)
def record(tenant, record_id):
    found = _record_or_404(record_id)
    form = TrainingEditForm(obj=found)
    form.user_id.data = str(found.user_id)
    return _record_page(found, form)


@bp.post("/tenants/<tenant>/training/<uuid:record_id>")
@roles_allowed(*WRITERS)
def change_training(tenant, record_id):
    found = _record_or_404(record_id)
    form = _with_people(TrainingEditForm())
    if not form.validate_on_submit():
        return _record_page(found, form, 422)
    if form.version.data != str(found.version):
        flash(error_message(service.Stale("", code="stale")), "error")
        return _record_page(found, TrainingEditForm(formdata=None, obj=found), 409)
    access, session = current_access(), request_session()
    try:
        service.update_record(session, found, _fields(form), access.actor())
    except service.TrainingError as error:
        getattr(form, error.field or "course").errors.append(error_message(error))
        return _record_page(found, form, 422)
    refused = _save_with_certificate(form, found, lambda f, status: _record_page(found, f, status))
    if refused:
        return refused
    flash(_("Training record saved."))
    return redirect(url_for(".training", tenant=tenant))


@bp.post("/tenants/<tenant>/training/<uuid:record_id>/delete")
@roles_allowed(*WRITERS)
def delete_training(tenant, record_id):
    found = _record_or_404(record_id)
    form = DeleteForm()
    if not form.validate_on_submit() or form.version.data != str(found.version):
        flash(error_message(service.Stale("", code="stale")), "error")
        return redirect(url_for(".record", tenant=tenant, record_id=record_id))
    access, session = current_access(), request_session()
    key = service.delete_record(session, found, access.actor())
    session.commit()
    if key:
        file_store().delete(key)  # only once the row is gone
    flash(_("Training record deleted."))
    return redirect(url_for(".training", tenant=tenant))


@bp.get("/tenants/<tenant>/training/<uuid:record_id>/certificate")
@roles_allowed(*READERS)
def certificate(tenant, record_id):
    return certificate_response(_record_or_404(record_id))
