"""The platform admin's tenants page: every region on the platform, and a new tenant from the registry.

The same service as `POST /api/v1/tenants` and `siaga112 tenant create` (service.py). Creating a tenant
emits tenant.created (the contexts set the region up from it); the platform admin then invites the
region's first regional admin from its People page.
"""

from __future__ import annotations

from flask import Blueprint, flash, get_flashed_messages, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..db import request_session
from ..identity.access import current_access, roles_allowed
from ..identity.roles import PLATFORM_ADMIN
from ..refusals import Refusal, form_error
from ..regions.models import Region
from . import service
from .models import Tenant

bp = Blueprint("tenancy_web", __name__, template_folder="templates")


class TenantForm(FlaskForm):
    region_code = StringField(lazy_gettext("Region code"), validators=[
        InputRequired(message=lazy_gettext("Enter the region's code, e.g. 33.75 for Kota Pekalongan.")),
        Length(max=20, message=lazy_gettext("At most %(max)d characters."))])


def _page(form: TenantForm | None = None, status: int = 200):
    session = request_session()
    tenants = session.execute(select(Tenant, Region.name).join(Region, Region.code == Tenant.region_code)
                              .order_by(Region.name)).all()
    without = session.execute(select(Region.code, Region.name).outerjoin(Tenant, Tenant.region_code == Region.code)
                              .where(Tenant.id.is_(None), Region.code.contains(".")).order_by(Region.name)).all()
    return render_template("tenancy/tenants.html", tenants=tenants, without=without,
                           form=form or TenantForm(formdata=None),
                           messages=get_flashed_messages(with_categories=True)), status


@bp.get("/admin/tenants")
@roles_allowed(PLATFORM_ADMIN)
def tenants():
    return _page()


@bp.post("/admin/tenants")
@roles_allowed(PLATFORM_ADMIN)
def create_tenant():
    form = TenantForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    code = form.region_code.data.strip().split(" ")[0]  # the datalist offers "33.75 Kota Pekalongan"
    try:
        tenant = service.create_tenant(request_session(), code, current_access().actor())
    except Refusal as refusal:
        form_error(form, refusal, "region_code")
        return _page(form, refusal.status)
    flash(_("%(region)s is on Siaga112 now. Invite its first regional admin from its People page.",
            region=tenant.name), "done")
    return redirect(url_for(".tenants"))


def register_navigation(app) -> None:
    from ..navigation import add_menu_entry

    add_menu_entry(app, "tenancy_web.tenants", lazy_gettext("Tenants"), order=50)
