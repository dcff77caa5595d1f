"""The training page: records with their certificates, adding and correcting one, and who is rostered untrained."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed, tenant_scope
from siaga112.platform.identity.roles import REGIONAL_ADMIN
from siaga112.platform.refusals import PAGE_STALE, Refusal, form_error
from siaga112.platform.storage import StorageError
from siaga112.tenants.directory.forms import SelectChoice

from . import service
from .api import READERS, WRITERS, certificate_response, local_today, scoped_record
from .certificates import delete_with_certificate, store_upload
from .forms import DeleteForm, TrainingEditForm, TrainingForm

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


def _with_certificate(form, training, status_page):
    """Store the uploaded certificate with the record, if one came; the page again (with why) if it is refused."""
    upload = form.certificate.data
    if not upload or not upload.filename:
        return None
    try:
        store_upload(request_session(), training, upload, current_access().actor())
    except StorageError as refusal:
        # The record's changes go with their certificate or not at all: the page again shows neither.
        request_session().rollback()
        form_error(form, refusal, "certificate")
        return status_page(form, refusal.status)
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
    scope = tenant_scope()
    try:
        created = service.create_record(scope.session, scope.tenant_id, _fields(form), scope.actor)
    except Refusal as refusal:
        form_error(form, refusal, "course")
        return _training_page(form, 422)
    refused = _with_certificate(form, created, _training_page)
    if refused:
        return refused
    flash(_("Training record added."))
    return redirect(url_for(".training", tenant=tenant))


def _stored_form(found) -> TrainingEditForm:
    form = TrainingEditForm(formdata=None, obj=found)
    form.user_id.data = str(found.user_id)
    return form


def _record_page(found, form: TrainingEditForm | None = None, status: int = 200):
    """The record's page, with `form` as sent, or else filled in with the record as it is stored."""
    form = _stored_form(found) if form is None else form
    return _page("training/record.html", status, record=found, form=_with_people(form))


@bp.get("/tenants/<tenant>/training/<uuid:record_id>")
@roles_allowed(*READERS)
def record(tenant, record_id):
    return _record_page(scoped_record(record_id))


@bp.post("/tenants/<tenant>/training/<uuid:record_id>")
@roles_allowed(*WRITERS)
def change_training(tenant, record_id):
    found = scoped_record(record_id)
    form = _with_people(TrainingEditForm())
    if not form.validate_on_submit():
        return _record_page(found, form, 422)
    if form.version.data != str(found.version):
        flash(_(PAGE_STALE), "error")
        return _record_page(found, status=409)
    scope = tenant_scope()
    try:
        service.update_record(scope.session, found, _fields(form), scope.actor)
    except Refusal as refusal:
        form_error(form, refusal, "course")
        return _record_page(found, form, 422)
    refused = _with_certificate(form, found, lambda f, status: _record_page(found, f, status))
    if refused:
        return refused
    flash(_("Training record saved."))
    return redirect(url_for(".training", tenant=tenant))


@bp.post("/tenants/<tenant>/training/<uuid:record_id>/delete")
@roles_allowed(*WRITERS)
def delete_training(tenant, record_id):
    found = scoped_record(record_id)
    form = DeleteForm()
    if not form.validate_on_submit() or form.version.data != str(found.version):
        flash(_(PAGE_STALE), "error")
        return redirect(url_for(".record", tenant=tenant, record_id=record_id))
    delete_with_certificate(request_session(), found, current_access().actor())
    flash(_("Training record deleted."))
    return redirect(url_for(".training", tenant=tenant))


@bp.get("/tenants/<tenant>/training/<uuid:record_id>/certificate")
@roles_allowed(*READERS)
def certificate(tenant, record_id):
    return certificate_response(scoped_record(record_id))
