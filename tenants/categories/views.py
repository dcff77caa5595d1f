"""The incident categories pages: the list with the agencies each goes to, adding one, changing one."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import abort as abort_with

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import REGIONAL_ADMIN
from siaga112.tenants.directory.forms import SelectChoice
from siaga112.tenants.directory.service import agencies_query

from . import service
from .api import READERS, WRITERS
from .forms import CategoryEditForm, CategoryForm, error_message

bp = Blueprint("tenants_categories_web", __name__, template_folder="templates")


def _tenant_id():
    """The path's tenant, its national categories seeded if this is their first read (see service)."""
    session, tenant_id = request_session(), current_access().tenant.id
    if service.ensure_national_categories(session, tenant_id):
        session.commit()
    return tenant_id


def _with_agencies(form):
    agencies = request_session().scalars(agencies_query(current_access().tenant.id)).all()
    form.agency_ids.choices = [SelectChoice(str(agency.id), agency.name if agency.active else f"{agency.name} (—)")
                               for agency in agencies]
    return form, {agency.id: agency for agency in agencies}


def _page(template: str, status: int = 200, **context):
    access = current_access()
    return render_template(template, tenant=access.tenant, english=str(get_locale()) == "en",
                           can_write=REGIONAL_ADMIN in access.principal.roles_in(access.tenant.slug), **context), status


def _agency_ids(form) -> list[uuid.UUID] | None:
    """The checked agencies; None (and the reason on the field) if one is not an agency id at all."""
    try:
        return [uuid.UUID(value) for value in form.agency_ids.data or []]
    except ValueError:
        form.agency_ids.errors = [*form.agency_ids.errors, error_message(service.Invalid("", code="agency_unknown"))]
        return None


def _list_page(form: CategoryForm, status: int = 200):
    categories = request_session().scalars(service.categories_query(_tenant_id())).all()
    form, agencies = _with_agencies(form)
    return _page("categories/categories.html", status, categories=categories, agencies=agencies, form=form)


@bp.get("/tenants/<tenant>/categories")
@roles_allowed(*READERS)
def categories(tenant):
    return _list_page(CategoryForm())


@bp.post("/tenants/<tenant>/categories")
@roles_allowed(*WRITERS)
def add_category(tenant):
    form, _agencies = _with_agencies(CategoryForm())
    valid = form.validate_on_submit()  # first: validating resets the fields' errors
    agency_ids = _agency_ids(form)
    if not valid or agency_ids is None:
        return _list_page(form, 422)
    access, session = current_access(), request_session()
    fields = {"code": form.code.data.strip(), "name_id": form.name_id.data.strip(), "name_en": form.name_en.data.strip(),
              "emergency": form.emergency.data, "agency_ids": agency_ids}
    try:
        category = service.create_category(session, _tenant_id(), fields, access.actor())
    except service.CategoryError as error:
        target = form.agency_ids if error.field == "agency_ids" else form.code
        target.errors = [*target.errors, error_message(error)]
        return _list_page(form, 409 if isinstance(error, service.Conflict) else 422)
    session.commit()
    flash(_("Category %(name)s added.", name=category.name_id))
    return redirect(url_for(".categories", tenant=tenant))


def _category_or_404(code: str):
    try:
        return service.get_category(request_session(), _tenant_id(), code)
    except service.NotFound:
        abort_with(404)


def _edit_page(category, form: CategoryEditForm, status: int = 200):
    form, _agencies = _with_agencies(form)
    return _page("categories/category.html", status, category=category, form=form)


@bp.get("/tenants/<tenant>/categories/<code>")
@roles_allowed(*READERS)
def category(tenant, code):
    found = _category_or_404(code)
    form = CategoryEditForm(obj=found)
    form.agency_ids.data = [str(agency_id) for agency_id in found.agency_ids]
    return _edit_page(found, form)


@bp.post("/tenants/<tenant>/categories/<code>")
@roles_allowed(*WRITERS)
def change_category(tenant, code):
    found = _category_or_404(code)
    form, _agencies = _with_agencies(CategoryEditForm())
    valid = form.validate_on_submit()  # first: validating resets the fields' errors
    agency_ids = _agency_ids(form)
    if not valid or agency_ids is None:
        return _edit_page(found, form, 422)
    if form.version.data != str(found.version):
        flash(error_message(service.Stale("", code="stale")), "error")
        fresh = CategoryEditForm(formdata=None, obj=found)
        fresh.agency_ids.data = [str(agency_id) for agency_id in found.agency_ids]
        return _edit_page(found, fresh, 409)
    changes = {"name_id": form.name_id.data.strip(), "name_en": form.name_en.data.strip(), "active": form.active.data,
               "agency_ids": agency_ids}
    if not found.national:
        changes["emergency"] = form.emergency.data
    access, session = current_access(), request_session()
    try:
        service.update_category(session, found, changes, access.actor())
    except service.CategoryError as error:
        form.agency_ids.errors = [*form.agency_ids.errors, error_message(error)]
        return _edit_page(found, form, 422)
    session.commit()
    flash(_("Category %(name)s saved.", name=found.name_id))
    return redirect(url_for(".categories", tenant=tenant))
