"""The platform admin's pages: the people with platform roles, and the API clients.

Same services as the CLI and the API (service.py, password_resets.py, oauth_service.py). A new machine
client's secret is shown once, on the answer to the form that created it (no-store, never in the session
or a redirect), and only its hash is kept.
"""

from __future__ import annotations

import uuid

from flask import current_app, flash, get_flashed_messages, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..db import request_session
from ..buttons import press
from ..refusals import N_, NotFound, Refusal, form_error
from ..regions.models import Region
from ..tenancy.models import Tenant
from . import oauth_service, password_resets, service
from .access import current_access, roles_allowed
from .forms import ConfirmForm, InviteForm
from .lockout import Policy, troubled
from .models import User
from .oauth_models import OAuthClient
from .people import people_rate_limit
from .roles import PLATFORM_ADMIN, PLATFORM_ROLES, ROLE_LABELS
from .views import bp

NO_ACCOUNT = N_("There is no such account.")
NO_CLIENT = N_("There is no such client.")


class ClientForm(FlaskForm):
    tenant = SelectField(lazy_gettext("Region"), validators=[InputRequired(message=lazy_gettext("Choose a region."))])
    name = StringField(lazy_gettext("Name"), validators=[
        InputRequired(message=lazy_gettext("Name the client, e.g. the PBX of the call centre.")),
        Length(max=120, message=lazy_gettext("At most %(max)d characters."))])


def _public_url() -> str:
    return current_app.extensions["siaga112.settings"].public_url


def _back(endpoint: str, action, done):
    return press(url_for(endpoint), action, done)


# --- people with platform roles ---------------------------------------------------------------------

def _people_page(form: InviteForm | None = None, status: int = 200):
    session = request_session()
    grants = list(session.scalars(service.platform_people_query()))
    locked = troubled(session, current_app.secret_key, {g.user.email for g in grants}, Policy.of(current_app.config))
    form = form or InviteForm(formdata=None)
    form.role.choices = [(role, ROLE_LABELS[role]) for role in PLATFORM_ROLES]
    return render_template("identity/platform_people.html", grants=grants, locked=locked, form=form,
                           role_labels=ROLE_LABELS, confirm=ConfirmForm(),
                           messages=get_flashed_messages(with_categories=True)), status


@bp.get("/admin/people")
@roles_allowed(PLATFORM_ADMIN)
def platform_people():
    return _people_page()


@bp.post("/admin/people")
@roles_allowed(PLATFORM_ADMIN)
@people_rate_limit
def add_platform_person():
    form = InviteForm()
    form.role.choices = [(role, ROLE_LABELS[role]) for role in PLATFORM_ROLES]
    del form.agency_id  # platform roles have no agency
    if not form.validate_on_submit():
        return _people_page(form, 422)
    try:
        grant, mailed = service.add_platform_person(request_session(), form.email.data, form.name.data,
                                                    form.role.data, current_access().actor(), _public_url())
    except Refusal as refusal:
        form_error(form, refusal, "email")
        return _people_page(form, refusal.status)
    message = (_("%(email)s is now %(role)s and was e-mailed a link to choose a password.", email=grant.user.email,
                 role=ROLE_LABELS[grant.role]) if mailed else
               _("%(email)s is now %(role)s.", email=grant.user.email, role=ROLE_LABELS[grant.role]))
    flash(message, "done")
    return redirect(url_for(".platform_people"))


def _user(session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(NO_ACCOUNT)
    return user


@bp.post("/admin/people/<uuid:user_id>/roles/<role>/revoke")
@roles_allowed(PLATFORM_ADMIN)
def revoke_platform_role(user_id, role):
    return _back(".platform_people",
                 lambda session, access: service.revoke_platform_role(session, user_id, role, access.actor()),
                 lambda grant: _("%(email)s is no longer %(role)s.", email=grant.user.email,
                                 role=ROLE_LABELS[grant.role]))


@bp.post("/admin/people/<uuid:user_id>/password-reset")
@roles_allowed(PLATFORM_ADMIN)
@people_rate_limit
def platform_password_reset(user_id):
    def reset(session, access):
        user = _user(session, user_id)
        password_resets.request_reset(session, user, access.actor(), _public_url())
        return user

    return _back(".platform_people", reset, lambda user: _(
        "A link to choose a new password was e-mailed to %(email)s; it works once, for 24 hours.", email=user.email))


@bp.post("/admin/people/<uuid:user_id>/unlock")
@roles_allowed(PLATFORM_ADMIN)
def platform_unlock(user_id):
    def lift(session, access):
        user = _user(session, user_id)
        service.unlock_sign_in(session, user, current_app.secret_key, access.actor())
        return user

    return _back(".platform_people", lift, lambda user: _("%(name)s can sign in again.", name=user.name))


# --- API clients --------------------------------------------------------------------------------------

def _clients_page(form: ClientForm | None = None, created: tuple | None = None, status: int = 200):
    session = request_session()
    clients = list(session.scalars(select(OAuthClient).order_by(OAuthClient.revoked_at.is_not(None),
                                                                 OAuthClient.created_at.desc())))
    form = form or ClientForm(formdata=None)
    form.tenant.choices = _tenant_choices(session)
    return render_template("identity/clients.html", clients=clients, form=form, created=created,
                           confirm=ConfirmForm(), messages=get_flashed_messages(with_categories=True)), status


def _tenant_choices(session) -> list[tuple[str, str]]:
    rows = session.execute(select(Tenant.slug, Region.name).join(Region, Region.code == Tenant.region_code)
                           .order_by(Region.name)).all()
    return [("", lazy_gettext("— choose —"))] + [(slug, name) for slug, name in rows]


@bp.get("/admin/clients")
@roles_allowed(PLATFORM_ADMIN)
def clients():
    return _clients_page()


@bp.post("/admin/clients")
@roles_allowed(PLATFORM_ADMIN)
def create_client():
    session = request_session()
    form = ClientForm()
    form.tenant.choices = _tenant_choices(session)
    if not form.validate_on_submit():
        return _clients_page(form, status=422)
    tenant = session.scalar(select(Tenant).where(Tenant.slug == form.tenant.data))
    try:
        client, secret = oauth_service.create_machine_client(session, tenant, form.name.data,
                                                             current_access().actor())
    except Refusal as refusal:
        form_error(form, refusal, "name")
        return _clients_page(form, status=refusal.status)
    return _clients_page(created=(client, secret), status=201)


@bp.post("/admin/clients/<client_id>/revoke")
@roles_allowed(PLATFORM_ADMIN)
def revoke_client(client_id):
    def revoke(session, access):
        client = oauth_service.find_client(session, client_id)
        if client is None:
            raise NotFound(NO_CLIENT)
        return oauth_service.revoke_client(session, client, access.actor())

    return _back(".clients", revoke, lambda client: _(
        "%(name)s can no longer get tokens; its tokens stop working within seconds.", name=client.name))


def platform_admin_panel(session, _tenant, _principal):
    from markupsafe import Markup
    from sqlalchemy import func

    from .models import PlatformRole

    figures = {
        "tenants": session.scalar(select(func.count()).select_from(Tenant)),
        "people": session.scalar(select(func.count(func.distinct(PlatformRole.user_id)))),
        "clients": session.scalar(select(func.count()).select_from(OAuthClient).where(OAuthClient.revoked_at.is_(None))),
    }
    return Markup(render_template("identity/landing/platform_admin.html", figures=figures))


def register_navigation(app) -> None:
    from ..navigation import add_landing_panel, add_menu_entry

    add_menu_entry(app, "identity_web.platform_people", lazy_gettext("People"), order=60)
    add_menu_entry(app, "identity_web.clients", lazy_gettext("API clients"), order=70)
    add_landing_panel(app, PLATFORM_ADMIN, platform_admin_panel)
