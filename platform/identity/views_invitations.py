"""The pages an e-mailed link opens: an invitation (sign in, or choose a password, and accept the role) and
a password reset (choose a new password).

The token in the link is the credential, so the pages are public and read in platform context; they
show only what the link's holder was sent anyway (the region, the role, their own e-mail address).
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from ..db import request_session
from ..refusals import Refusal, form_error
from ..security import rotate_session
from ..tenancy.context import PLATFORM, set_context
from . import invitations, password_resets
from .access import public
from .forms import AcceptForm, ChoosePasswordForm, NewPasswordForm
from .views import ROLE_LABELS, SESSION_AUTH_TIME_KEY, SESSION_NAME_KEY, bp, current_user
from .web_session import SESSION_USER_KEY


def _opened(token: str) -> invitations.Opened:
    db = request_session()
    set_context(db, PLATFORM)
    return invitations.open_invitation(db, token)


def _page(opened: invitations.Opened, form, status: int = 200):
    user = current_user()
    return render_template("identity/invitation.html", opened=opened, form=form, user=user,
                           role_label=ROLE_LABELS[opened.invitation.role]), status


@bp.get("/invitations/<token>")
@public
def invitation(token: str):
    opened = _opened(token)
    form = ChoosePasswordForm(name=opened.invitation.name) if opened.needs_password else AcceptForm()
    return _page(opened, form)


@bp.post("/invitations/<token>")
@public
def accept_invitation(token: str):
    opened = _opened(token)
    form = ChoosePasswordForm() if opened.needs_password else AcceptForm()
    if not form.validate_on_submit():
        return _page(opened, form, 422)
    db = request_session()
    try:
        if opened.needs_password:
            membership = invitations.accept(db, token, None, form.name.data, form.password.data)
        else:
            membership = invitations.accept(db, token, current_user())
    except Refusal as refusal:
        db.rollback()
        form_error(form, refusal, "password" if opened.needs_password else None)
        return _page(opened, form, refusal.status)
    account = membership.user
    if session.get(SESSION_USER_KEY) != str(account.id):
        session.clear()
        session[SESSION_USER_KEY] = str(account.id)
        session[SESSION_AUTH_TIME_KEY] = int(time.time())
        rotate_session()
    session[SESSION_NAME_KEY] = account.name
    flash(_("Welcome: you are now %(role)s of %(region)s.", role=ROLE_LABELS[membership.role],
            region=opened.tenant.name))
    return redirect(url_for(".home"))


# --- a link to set a new password (password_resets.py) ---------------------------------------------------

def _reset_page(opened: password_resets.Opened, form: NewPasswordForm, status: int = 200):
    return render_template("identity/password_reset.html", opened=opened, form=form), status


@bp.get("/password-reset/<token>")
@public
def password_reset(token: str):
    db = request_session()
    set_context(db, PLATFORM)
    return _reset_page(password_resets.open_reset(db, token), NewPasswordForm())


@bp.post("/password-reset/<token>")
@public
def set_new_password(token: str):
    db = request_session()
    set_context(db, PLATFORM)
    opened = password_resets.open_reset(db, token)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return _reset_page(opened, form, 422)
    try:
        user = password_resets.complete_reset(db, token, form.password.data, current_app.secret_key)
    except Refusal as refusal:
        db.rollback()
        form_error(form, refusal, "password")
        return _reset_page(opened, form, refusal.status)
    session.clear()
    session[SESSION_USER_KEY] = str(user.id)
    session[SESSION_NAME_KEY] = user.name
    session[SESSION_AUTH_TIME_KEY] = int(time.time())
    rotate_session()
    flash(_("Your new password is set, and you are signed in. Your other sessions were signed out."))
    return redirect(url_for(".home"))
