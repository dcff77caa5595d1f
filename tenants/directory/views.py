"""The directory's pages: agencies (with their contacts) and numbers. Same services and roles as the API.

Each page has a GET for its readers and POSTs for its writers on separate view functions, so
`roles_allowed` decides who may change what, as it does for the API.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import REGIONAL_ADMIN
from siaga112.platform.refusals import PAGE_STALE, Conflict, Refusal, form_error
from siaga112.platform.web import chosen_id

from . import service
from .api import READERS, WRITERS
from .forms import (AFFILIATION_LABELS, KIND_LABELS, NUMBER_KIND_LABELS, AgencyEditForm, AgencyForm, NumberForm,
                    SelectChoice, VersionForm)

bp = Blueprint("tenants_directory_web", __name__, template_folder="templates")
LABELS = {"kind_labels": KIND_LABELS, "affiliation_labels": AFFILIATION_LABELS, "number_kind_labels": NUMBER_KIND_LABELS}


def can_write() -> bool:
    access = current_access()
    return REGIONAL_ADMIN in access.principal.roles_in(access.tenant.slug)


def _page(template: str, status: int = 200, **context):
    return render_template(template, tenant=current_access().tenant, can_write=can_write(), **LABELS, **context), status


def _agency(agency_id: uuid.UUID):
    return service.get_agency(request_session(), current_access().tenant.id, agency_id)


def _status(refusal: Refusal) -> int:
    return 409 if isinstance(refusal, Conflict) else 422


# --- agencies -------------------------------------------------------------------------------------

def _agencies_page(form: AgencyForm, status: int = 200):
    agencies = request_session().scalars(service.agencies_query(current_access().tenant.id)).all()
    return _page("directory/agencies.html", status, agencies=agencies, form=form)


@bp.get("/tenants/<tenant>/agencies")
@roles_allowed(*READERS)
def agencies(tenant):
    return _agencies_page(AgencyForm())


@bp.post("/tenants/<tenant>/agencies")
@roles_allowed(*WRITERS)
def add_agency(tenant):
    form = AgencyForm()
    if not form.validate_on_submit():
        return _agencies_page(form, 422)
    access, session = current_access(), request_session()
    fields = {"name": form.name.data.strip(), "kind": form.kind.data, "affiliation": form.affiliation.data or None,
              "email": (form.email.data or "").strip() or None}
    try:
        agency = service.create_agency(session, access.tenant.id, fields, access.actor())
        if form.contact_number.e164:
            service.add_number(session, access.tenant.id, form.contact_number.e164, "agency_contact",
                               (form.contact_label.data or "").strip(), agency.id, access.actor())
    except Refusal as refusal:
        session.rollback()  # the agency and its number go in together or not at all: the list shows neither
        form_error(form, refusal, "contact_number" if refusal.field in ("number", "agency_id") else "name")
        return _agencies_page(form, _status(refusal))
    flash(_("Agency %(name)s added.", name=agency.name))
    return redirect(url_for(".agencies", tenant=tenant))


def _agency_page(agency, form: AgencyEditForm, status: int = 200):
    return _page("directory/agency.html", status, agency=agency, form=form)


@bp.get("/tenants/<tenant>/agencies/<uuid:agency_id>")
@roles_allowed(*READERS)
def agency(tenant, agency_id):
    found = _agency(agency_id)
    return _agency_page(found, AgencyEditForm(obj=found))


@bp.post("/tenants/<tenant>/agencies/<uuid:agency_id>")
@roles_allowed(*WRITERS)
def change_agency(tenant, agency_id):
    found = _agency(agency_id)
    form = AgencyEditForm()
    if not form.validate_on_submit():
        return _agency_page(found, form, 422)
    if form.version.data != str(found.version):
        flash(_(PAGE_STALE), "error")
        return _agency_page(found, AgencyEditForm(formdata=None, obj=found), 409)
    access, session = current_access(), request_session()
    changes = {"name": form.name.data.strip(), "kind": form.kind.data, "affiliation": form.affiliation.data,
               "email": (form.email.data or "").strip() or None, "active": form.active.data}
    try:
        service.update_agency(session, found, changes, access.actor())
    except Refusal as refusal:
        form_error(form, refusal, "name")
        return _agency_page(found, form, _status(refusal))
    flash(_("Agency %(name)s saved.", name=found.name))
    return redirect(url_for(".agencies", tenant=tenant))


# --- numbers --------------------------------------------------------------------------------------

def _number_form(form: NumberForm | None = None) -> NumberForm:
    form = form or NumberForm()
    agencies = request_session().scalars(service.agencies_query(current_access().tenant.id, active=True)).all()
    form.agency_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(agency.id), agency.name) for agency in agencies]
    return form


def _numbers_page(form: NumberForm, status: int = 200):
    tenant_id = current_access().tenant.id
    session = request_session()
    numbers = session.scalars(service.numbers_query(tenant_id)).all()
    agency_names = {agency.id: agency.name for agency in session.scalars(service.agencies_query(tenant_id))}
    return _page("directory/numbers.html", status, numbers=numbers, agency_names=agency_names, form=form,
                 action_form=VersionForm())


@bp.get("/tenants/<tenant>/numbers")
@roles_allowed(*READERS)
def numbers(tenant):
    return _numbers_page(_number_form())


@bp.post("/tenants/<tenant>/numbers")
@roles_allowed(*WRITERS)
def add_number(tenant):
    form = _number_form()
    if not form.validate_on_submit():
        return _numbers_page(form, 422)
    access, session = current_access(), request_session()
    agency_id = chosen_id(form.agency_id.data)
    try:
        number = service.add_number(session, access.tenant.id, form.number.e164, form.kind.data,
                                    (form.label.data or "").strip(), agency_id, access.actor())
    except Refusal as refusal:
        form_error(form, refusal, "number")
        return _numbers_page(form, _status(refusal))
    flash(_("Number %(number)s added.", number=number.national))
    return redirect(url_for(".numbers", tenant=tenant))


def _number_action(number_id: uuid.UUID, act) -> object:
    """Run a row action on a number if the reader saw its current version; back to the list either way."""
    access, session = current_access(), request_session()
    form = VersionForm()
    number = service.get_number(session, access.tenant.id, number_id)
    if not form.validate_on_submit() or form.version.data != number.version:
        flash(_(PAGE_STALE), "error")
        return redirect(url_for(".numbers", tenant=access.tenant.slug))
    try:
        message = act(session, number, access.actor())
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
        return redirect(url_for(".numbers", tenant=access.tenant.slug))
    flash(message)
    return redirect(url_for(".numbers", tenant=access.tenant.slug))


@bp.post("/tenants/<tenant>/numbers/<uuid:number_id>/active")
@roles_allowed(*WRITERS)
def toggle_number(tenant, number_id):
    def act(session, number, actor):
        service.update_number(session, number, {"active": not number.active}, actor)
        return (_("Number %(number)s is active again.", number=number.national) if number.active
                else _("Number %(number)s is deactivated.", number=number.national))

    return _number_action(number_id, act)


@bp.post("/tenants/<tenant>/numbers/<uuid:number_id>/delete")
@roles_allowed(*WRITERS)
def delete_number(tenant, number_id):
    def act(session, number, actor):
        national = number.national
        service.remove_number(session, number, actor)
        return _("Number %(number)s removed.", number=national)

    return _number_action(number_id, act)
