"""The incident categories pages: the list with the agencies each goes to, adding one, changing one."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed, tenant_scope
from siaga112.platform.identity.roles import REGIONAL_ADMIN
from siaga112.platform.refusals import PAGE_STALE, Conflict, Invalid, Refusal, form_error
from siaga112.tenants.directory.forms import SelectChoice
from siaga112.tenants.directory.service import agencies_query

from . import service
from .api import READERS, WRITERS, scoped_category, seeded_scope
from .forms import CategoryEditForm, CategoryForm

bp = Blueprint("tenants_categories_web", __name__, template_folder="templates")


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
        form_error(form, Invalid(service.AGENCY_UNKNOWN, "agency_ids"))
        return None


def _list_page(form: CategoryForm, status: int = 200):
    categories = request_session().scalars(service.categories_query(seeded_scope().tenant_id)).all()
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
    fields = {"code": form.code.data.strip(), "name_id": form.name_id.data.strip(), "name_en": form.name_en.data.strip(),
              "emergency": form.emergency.data, "agency_ids": agency_ids}
    scope = seeded_scope()
    try:
        category = service.create_category(scope.session, scope.tenant_id, fields, scope.actor)
    except Refusal as refusal:
        form_error(form, refusal, "code")
        return _list_page(form, 409 if isinstance(refusal, Conflict) else 422)
    flash(_("Category %(name)s added.", name=category.name_id))
    return redirect(url_for(".categories", tenant=tenant))


def _stored_form(found) -> CategoryEditForm:
    form = CategoryEditForm(formdata=None, obj=found)
    form.agency_ids.data = [str(agency_id) for agency_id in found.agency_ids]
    return form


def _edit_page(category, form: CategoryEditForm | None = None, status: int = 200):
    """The category's page, with `form` as sent, or else filled in with the category as it is stored."""
    form, _agencies = _with_agencies(_stored_form(category) if form is None else form)
    return _page("categories/category.html", status, category=category, form=form)


@bp.get("/tenants/<tenant>/categories/<code>")
@roles_allowed(*READERS)
def category(tenant, code):
    return _edit_page(scoped_category(code))


@bp.post("/tenants/<tenant>/categories/<code>")
@roles_allowed(*WRITERS)
def change_category(tenant, code):
    found = scoped_category(code)
    form, _agencies = _with_agencies(CategoryEditForm())
    valid = form.validate_on_submit()  # first: validating resets the fields' errors
    agency_ids = _agency_ids(form)
    if not valid or agency_ids is None:
        return _edit_page(found, form, 422)
    if form.version.data != str(found.version):
        flash(_(PAGE_STALE), "error")
        return _edit_page(found, status=409)
    changes = {"name_id": form.name_id.data.strip(), "name_en": form.name_en.data.strip(), "active": form.active.data,
               "agency_ids": agency_ids}
    if not found.national:
        changes["emergency"] = form.emergency.data
    scope = tenant_scope()
    try:
        service.update_category(scope.session, found, changes, scope.actor)
    except Refusal as refusal:
        form_error(form, refusal, "agency_ids")
        return _edit_page(found, form, 422)
    flash(_("Category %(name)s saved.", name=found.name_id))
    return redirect(url_for(".categories", tenant=tenant))
