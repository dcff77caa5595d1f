"""A region's people, for its regional admin (and the platform admin): members, invitations, and what can be
done to each — invite, resend, withdraw, change a role, remove a role, send a link to set a new password,
lift a sign-in lock. The same services as the API (service.py, invitations.py, password_resets.py).

The invitation form posts to the page's own address, so a refused form answers there (422, with what was
typed kept and focus on the first field in error) and a reload shows the page again. The buttons post to
their own addresses and come back to the page (Post/Redirect/Get) with what was done, or why not.
"""

from __future__ import annotations

from flask import current_app, flash, get_flashed_messages, redirect, render_template, url_for
from flask_babel import gettext as _

from ..db import request_session
from ..buttons import press
from ..refusals import Refusal, form_error
from ..web import chosen_id
from . import invitations, password_resets, service
from .access import current_access, roles_allowed
from .forms import ConfirmForm, InviteForm, RoleForm
from .lockout import Policy, troubled
from .people import people_rate_limit
from .roles import OPERATOR, PLATFORM_ADMIN, REGIONAL_ADMIN, ROLE_LABELS, TENANT_ROLES
from .views import bp

MANAGERS = (REGIONAL_ADMIN, PLATFORM_ADMIN)


def _public_url() -> str:
    return current_app.extensions["siaga112.settings"].public_url


def _page(form: InviteForm | None = None, status: int = 200):
    access, session = current_access(), request_session()
    tenant = access.tenant
    agencies = service.agencies_of(session, tenant.id)
    members = list(session.scalars(service.members_query(tenant.id)))
    pending = list(session.scalars(invitations.invitations_query(tenant.id)))
    locked = troubled(session, current_app.secret_key, [m.user.email for m in members], Policy.of(current_app.config))
    return render_template(
        "identity/people.html", tenant=tenant, members=members, pending=pending, locked=locked,
        agency_names=dict(agencies), role_labels=ROLE_LABELS, status_of=invitations.status_of,
        form=form or InviteForm(formdata=None, role=OPERATOR).offer(TENANT_ROLES, agencies),  # the usual invitee
        role_form=lambda m: RoleForm(formdata=None, role=m.role, agency_id=str(m.agency_id or "")).offer(
            TENANT_ROLES, agencies),
        confirm=ConfirmForm(), messages=get_flashed_messages(with_categories=True)), status


@bp.get("/tenants/<tenant>/people")
@roles_allowed(*MANAGERS)
def people(tenant):
    return _page()


@bp.post("/tenants/<tenant>/people")
@roles_allowed(*MANAGERS)
@people_rate_limit
def invite(tenant):
    access, session = current_access(), request_session()
    form = InviteForm().offer(TENANT_ROLES, service.agencies_of(session, access.tenant.id))
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        granted = invitations.invite(session, access.tenant, form.email.data, form.name.data, form.role.data,
                                     chosen_id(form.agency_id.data), access.actor(), _public_url())
    except Refusal as refusal:
        form_error(form, refusal, "email")
        return _page(form, refusal.status)
    if isinstance(granted, invitations.Invitation):
        flash(_("An invitation was e-mailed to %(email)s; the role is theirs once they accept it.",
                email=granted.email), "done")
    else:
        flash(_("%(name)s is now also %(role)s.", name=granted.user.name, role=ROLE_LABELS[granted.role]), "done")
    return redirect(url_for(".people", tenant=tenant))


def _act(tenant: str, action, done):
    return press(url_for(".people", tenant=tenant), action, done)


def _member(session, access, membership_id):
    return service.get_member(session, access.tenant.id, membership_id)


@bp.post("/tenants/<tenant>/people/members/<uuid:membership_id>/role")
@roles_allowed(*MANAGERS)
def change_role(tenant, membership_id):
    form = RoleForm()

    def change(session, access):
        return service.change_member(session, _member(session, access, membership_id), form.role.data,
                                     chosen_id(form.agency_id.data), access.actor())

    return _act(tenant, change, lambda m: _("%(name)s is now %(role)s.", name=m.user.name, role=ROLE_LABELS[m.role]))


@bp.post("/tenants/<tenant>/people/members/<uuid:membership_id>/remove")
@roles_allowed(*MANAGERS)
def remove_member(tenant, membership_id):
    def remove(session, access):
        membership = _member(session, access, membership_id)
        label = _("%(name)s is no longer %(role)s here.", name=membership.user.name,
                  role=ROLE_LABELS[membership.role])
        service.revoke_member(session, membership, access.actor())
        return label

    return _act(tenant, remove, lambda label: label)


@bp.post("/tenants/<tenant>/people/members/<uuid:membership_id>/password-reset")
@roles_allowed(*MANAGERS)
@people_rate_limit
def reset_password(tenant, membership_id):
    def reset(session, access):
        membership = _member(session, access, membership_id)
        password_resets.request_reset(session, membership.user, access.actor(), _public_url(), access.tenant.id,
                                      access.tenant.name)
        return membership.user

    return _act(tenant, reset, lambda user: _(
        "A link to choose a new password was e-mailed to %(email)s; it works once, for 24 hours.", email=user.email))


@bp.post("/tenants/<tenant>/people/members/<uuid:membership_id>/unlock")
@roles_allowed(*MANAGERS)
def unlock(tenant, membership_id):
    def lift(session, access):
        membership = _member(session, access, membership_id)
        service.unlock_sign_in(session, membership.user, current_app.secret_key, access.actor(), access.tenant.id)
        return membership.user

    return _act(tenant, lift, lambda user: _("%(name)s can sign in again.", name=user.name))


@bp.post("/tenants/<tenant>/people/invitations/<uuid:invitation_id>/resend")
@roles_allowed(*MANAGERS)
@people_rate_limit
def resend_invitation(tenant, invitation_id):
    def resend(session, access):
        invitation = invitations.get_invitation(session, access.tenant.id, invitation_id)
        return invitations.resend(session, access.tenant, invitation, access.actor(), _public_url())

    return _act(tenant, resend, lambda invitation: _(
        "The invitation was e-mailed again to %(email)s with a new link; the earlier link no longer works.",
        email=invitation.email))


@bp.post("/tenants/<tenant>/people/invitations/<uuid:invitation_id>/withdraw")
@roles_allowed(*MANAGERS)
def withdraw_invitation(tenant, invitation_id):
    def withdraw(session, access):
        invitation = invitations.get_invitation(session, access.tenant.id, invitation_id)
        invitations.withdraw(session, invitation, access.actor())
        return invitation

    return _act(tenant, withdraw, lambda invitation: _(
        "The invitation of %(email)s was withdrawn; its link no longer works.", email=invitation.email))


def register_navigation(app) -> None:
    from flask_babel import lazy_gettext

    from ..navigation import add_menu_entry

    add_menu_entry(app, "identity_web.people", lazy_gettext("People"), tenant=True, order=80)
