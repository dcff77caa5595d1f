"""Signing in and out of the web UI, and the landing page of each role.

Failed sign-ins lock an e-mail address for one client address and slow it down for the others
(lockout.py, in PostgreSQL); every sign-in POST is also rate limited per client address through
Flask-Limiter (SIGN_IN_ADDRESS_LIMIT, see security.py). Both apply to any e-mail address, known or
not, so they tell nothing about which accounts exist; the numbers come from the app's config so that
tests can shorten them.
"""

from __future__ import annotations

import functools
import math
import time
from datetime import datetime, timezone

from flask import (Blueprint, Response, current_app, g, has_request_context, make_response, redirect, render_template,
                   request, session, url_for)
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from ..db import request_session
from ..navigation import landing_panels
from ..security import rate_limit, rotate_session
from ..tenancy.context import PLATFORM, set_context
from ..tenancy.models import Tenant
from ..web import safe_next
from . import lockout
from .access import ALLOWED_ROLES_ATTRIBUTE, public
from .forms import SignInForm
from .models import User
from .roles import (AGENCY_RESPONDER, MINISTRY_VERIFIER, NATIONAL_MONITOR, OPERATOR, PLATFORM_ADMIN, REGIONAL_ADMIN,
                    ROLE_LABELS, ROLES, SUPERVISOR)
from .service import attempt_sign_in, principal_of
from .web_session import SESSION_USER_KEY, signed_in_user_id

SESSION_NAME_KEY = "user_name"  # shown in the page header without a query
SESSION_AUTH_TIME_KEY = "auth_time"  # epoch seconds of the sign-in: OpenID auth_time (oauth_grants.AUTH_TIME_KEY)
DEFAULTS = {
    **lockout.DEFAULTS,
    "SIGN_IN_ADDRESS_LIMIT": "30 per minute; 300 per hour",  # sign-in attempts from one client address
}

ROLE_INTROS = {
    PLATFORM_ADMIN: lazy_gettext(
        "You create tenants from the region registry and manage platform users and API clients."),
    MINISTRY_VERIFIER: lazy_gettext(
        "You review regions' applications, visit them in the field, approve them and set 112 live."),
    NATIONAL_MONITOR: lazy_gettext(
        "You compare regions: their readiness for 112 and how their call centres perform."),
    REGIONAL_ADMIN: lazy_gettext(
        "You set up your region's call centre and prepare its application to go live."),
    SUPERVISOR: lazy_gettext(
        "You manage rosters and shift handover and follow every call of your region."),
    OPERATOR: lazy_gettext(
        "You answer calls, classify them and dispatch them to the agencies."),
    AGENCY_RESPONDER: lazy_gettext(
        "You receive dispatches for your agency, acknowledge them and report the follow-up."),
}

bp = Blueprint("identity_web", __name__, template_folder="templates")


@bp.record_once
def _configure(state) -> None:
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


@bp.app_context_processor
def account_context() -> dict:
    """`account` for the layout's header: the signed-in person's name, or None."""
    if not has_request_context():  # e.g. an e-mail rendered by a job
        return {}
    try:
        signed_in = signed_in_user_id() is not None
    except AttributeError:  # no session at all: an error page for a request whose session could not be opened
        signed_in = False
    return {"account": {"name": session.get(SESSION_NAME_KEY) or ""} if signed_in else None}


def local_next(raw: str | None) -> str | None:
    """`next` if it is a path on this site, else None (never an open redirect).

    Stricter than web.safe_next: browsers drop tabs and newlines from URLs, so `/<TAB>/evil.example`
    would become `//evil.example`.
    """
    if not raw or len(raw) > 2048 or not raw.isprintable() or any(char.isspace() for char in raw):
        return None
    return raw if safe_next(raw) == raw else None


def _refusal(seconds: int, message_for) -> Response:
    """The sign-in page again, 429, saying when to try again (in minutes, and the time in WIB)."""
    minutes = math.ceil(seconds / 60)
    at = format_time(datetime.fromtimestamp(time.time() + seconds, timezone.utc), "short")
    response = make_response(_render_sign_in(SignInForm(), error=message_for(minutes, at)), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _held(wait: lockout.Held) -> Response:
    if wait.reason == "slowed":
        response = make_response(_render_sign_in(SignInForm(), error=ngettext(
            "This e-mail address has had many failed sign-ins from several places. Wait %(num)s second "
            "before the next try.",
            "This e-mail address has had many failed sign-ins from several places. Wait %(num)s seconds "
            "before the next try.", wait.seconds)), 429)
        response.headers["Retry-After"] = str(wait.seconds)
        return response
    return _refusal(wait.seconds, lambda minutes, at: ngettext(
        "Too many failed sign-ins for this e-mail address. Try again in %(num)s minute (at %(time)s WIB).",
        "Too many failed sign-ins for this e-mail address. Try again in %(num)s minutes (at %(time)s WIB).",
        minutes, time=at))


def _address_limited(limit):
    return _refusal(max(1, math.ceil(limit.window[0] - time.time())), lambda minutes, at: ngettext(
        "Too many sign-in attempts from your network. Try again in %(num)s minute (at %(time)s WIB).",
        "Too many sign-in attempts from your network. Try again in %(num)s minutes (at %(time)s WIB).",
        minutes, time=at))


def _render_sign_in(form: SignInForm, error: str | None = None) -> str:
    return render_template("identity/sign_in.html", form=form, error=error,
                           next=local_next(request.args.get("next")),
                           signed_out=request.method == "GET" and request.args.get("signed_out") == "1",
                           signed_in_as=session.get(SESSION_NAME_KEY) if signed_in_user_id() else None)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@rate_limit(lambda: current_app.config["SIGN_IN_ADDRESS_LIMIT"], key_func=get_remote_address, methods=["POST"],
            on_breach=_address_limited)
def sign_in():
    target = local_next(request.args.get("next"))
    if request.method == "GET" and signed_in_user_id() is not None and target is None:
        return redirect(url_for(".home"))
    # Signed in and sent here with a `next` (e.g. OpenID's prompt=login): the form again, to prove it anew.
    form = SignInForm()
    if not form.validate_on_submit():
        return _render_sign_in(form)
    db = request_session()
    set_context(db, PLATFORM)  # people are platform-wide
    outcome = attempt_sign_in(db, form.email.data, form.password.data, get_remote_address(),
                              lockout.Policy.of(current_app.config), current_app.secret_key)
    if isinstance(outcome, lockout.Held):
        return _held(outcome)
    if outcome is None:
        return _render_sign_in(form, _("The e-mail address or the password is not correct."))
    user = outcome
    session.clear()
    session[SESSION_USER_KEY] = str(user.id)
    session[SESSION_NAME_KEY] = user.name
    session[SESSION_AUTH_TIME_KEY] = int(time.time())
    rotate_session()  # a new session id: one planted before sign-in is worth nothing
    return redirect(target or url_for(".home"))


@bp.post("/sign-out")
@public
def sign_out():
    session.clear()  # deletes the stored session and the cookie
    return redirect(url_for(".sign_in", signed_out=1))


def signed_in_page(view):
    """A page for any signed-in person (whatever their roles); others are sent to the sign-in page first."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user()
        if user is None:
            return redirect(url_for("identity_web.sign_in", next=request.full_path.rstrip("?")))
        g.user = user
        return view(*args, **kwargs)

    # Every role may open it; a person without any role is let in too, to read that they have none.
    setattr(wrapper, ALLOWED_ROLES_ATTRIBUTE, ROLES)
    return wrapper


def current_user() -> User | None:
    """The signed-in, active person of the session; a session of a removed or deactivated person is ended."""
    user_id = signed_in_user_id()
    if user_id is None:
        return None
    db = request_session()
    set_context(db, PLATFORM)
    user = db.get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return None
    return user


@bp.get("/home")
@signed_in_page
def home():
    """The landing page after sign-in: the work of each role the person holds (the contexts' panels, see
    navigation.py), widest role first, and where each role applies."""
    db = request_session()
    principal = principal_of(db, g.user)
    held = [grant.role for grant in principal.grants]
    role = next((role for role in ROLES if role in held), None)  # the widest role first
    tenants = {tenant.id: tenant for tenant in db.scalars(
        select(Tenant).where(Tenant.id.in_(principal.tenant_ids())))} if principal.tenant_ids() else {}
    grants = sorted(principal.grants, key=lambda grant: (ROLES.index(grant.role),
                                                         tenants[grant.tenant_id].name if grant.tenant_id else ""))
    return render_template("identity/home.html", user=g.user, role=role, role_labels=ROLE_LABELS,
                           role_intro=ROLE_INTROS.get(role), grants=grants, tenants=tenants,
                           panels=landing_panels(db, principal, tenants))
