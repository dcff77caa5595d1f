"""Browser sessions, CSRF protection and rate limits.

Sessions (Flask-Session machinery, PostgreSQL store: sessions.py): the browser
holds only a random id in the `siaga_session` cookie, HttpOnly and
SameSite=Lax; the data lives in the web_sessions table and expires after
SESSION_IDLE without a request. They live in PostgreSQL, not Redis, because
PostgreSQL must be up for any page to work anyway, while Redis may go away
without signing anyone out. The cookie is Secure when SIAGA_PUBLIC_URL is https
(the normal case behind a TLS-terminating proxy) or when the request itself
came over https; plain-http development and tests get a cookie without Secure,
which browsers would otherwise drop. Sign-in calls `rotate_session()` so the id
changes (no session fixation); sign-out clears the session, which deletes it.

CSRF (Flask-WTF): every POST/PUT/PATCH/DELETE needs the session's token
(the `csrf_token` form field or an X-CSRFToken header), except the JSON API
under /api/ and the OAuth endpoints /oauth/token, /oauth/revoke and
/oauth/userinfo: they authenticate with bearer tokens or client credentials
and never with the session cookie (identity/access.py ignores the cookie
under /api/), so a forged cross-site request has no credential to ride on.
Tokens live as long as the session (no separate time limit), so a page left
open through a shift can still sign out.

Rate limits (Flask-Limiter, moving window, counted in Redis under
`siaga:limits`): no global limit. While Redis is away, Flask-Limiter counts in
each process's memory instead (its in-memory fallback) and goes back to Redis
by itself when Redis answers again: limits hold per process, no request fails. Decorate a view with `rate_limit(...)`,
which takes the arguments of Flask-Limiter's `Limiter.limit` and applies them
with the limiter of the app serving the request (each app has its own limiter
in `app.extensions["siaga112.limiter"]`, see `app_limiter()`; a module-level
Limiter would follow whichever app was created last, e.g. a test's app whose
Redis is unreachable). A refused request gets 429 with Retry-After: an HTML
page for people, application/problem+json under /api/ and /oauth/.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta
from functools import wraps
from typing import Callable

from flask import Flask, current_app, has_request_context, make_response, request, session
from flask_babel import ngettext
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from .db import app_database
from .errors import DatabaseUnavailable, handle_http_exception, wants_html
from .jobs.queues import redis_connection
from .sessions import PostgresSessions, store_unreachable


SESSION_COOKIE = "siaga_session"
SESSION_IDLE = timedelta(hours=12)  # longer than a shift (8.5 h), so nobody is signed out mid-shift
LIMITS_KEY_PREFIX = "siaga:limits"
LIMITER = "siaga112.limiter"
_PREPARED_VIEWS = "siaga112.rate_limited_views"

# Authenticated by bearer tokens or client credentials, never by the session cookie.
CSRF_EXEMPT_PREFIXES = ("/api/",)
CSRF_EXEMPT_PATHS = frozenset({"/oauth/token", "/oauth/revoke", "/oauth/userinfo"})


def cookie_secure(app: Flask) -> bool:
    return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def limits_storage_uri(redis_url: str) -> str:
    """The `limits` library's name for the same Redis: it spells a Unix socket `redis+unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def csrf_exempt(path: str) -> bool:
    return path.startswith(CSRF_EXEMPT_PREFIXES) or path in CSRF_EXEMPT_PATHS


def rotate_session() -> None:
    """Give the current session a new id (and drop the old one from Redis): call it when someone signs in."""
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)


def app_limiter(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions[LIMITER]


def rate_limit(limit_value: str | Callable[[], str], **options) -> Callable:
    """Flask-Limiter's `@limiter.limit(limit_value, **options)`, with the limiter of the app serving the request.

    Stack several on one view as with Flask-Limiter. For example, on the token endpoint::

        @rate_limit("30 per minute", key_func=client_id_of_request)
    """

    def decorate(view: Callable) -> Callable:
        if getattr(view, "siaga112_rate_limited", None) is view:  # already ours: one wrapper, several limits
            view.siaga112_rate_limits.append((limit_value, options))
            return view
        raw = view

        @wraps(raw)
        def limited(*args, **kwargs):
            return _prepared(limited, raw)(*args, **kwargs)

        limited.siaga112_rate_limited = limited
        limited.siaga112_rate_limits = [(limit_value, options)]
        return limited

    return decorate


_prepare_lock = threading.Lock()


def _prepared(limited: Callable, raw: Callable) -> Callable:
    """The view wrapped by this app's limiter (once per app), innermost limit first, as decorators stack."""
    app = current_app._get_current_object()
    prepared = app.extensions.get(_PREPARED_VIEWS, {})
    found = prepared.get(limited)
    if found is None:
        if LIMITER not in app.extensions:
            return raw  # an app without init_security: no limits
        with _prepare_lock:
            found = prepared.get(limited)
            if found is None:
                found = raw
                for value, options in limited.siaga112_rate_limits:
                    found = app.extensions[LIMITER].limit(value, **options)(found)
                prepared[limited] = found
    return found


def retry_after_seconds(default: int = 60) -> int:
    """Seconds until the limit this request broke lets the next one through."""
    limit = app_limiter().current_limit if LIMITER in current_app.extensions else None
    if limit is None:
        return default
    return max(1, math.ceil(limit.window[0] - time.time()))  # reset_at rounds up a further second


def _too_many_requests(error: RateLimitExceeded):
    seconds = retry_after_seconds()
    if error.response is not None:  # the view's own page (e.g. the sign-in form saying when to try again)
        response = error.response
    else:
        if wants_html():
            minutes = math.ceil(seconds / 60)
            error.page_detail = ngettext("Too many requests. Please wait %(num)s minute and try again.",
                                         "Too many requests. Please wait %(num)s minutes and try again.", minutes)
        else:
            error.description = f"Too many requests; retry after {seconds} seconds (see Retry-After)."
        response = make_response(handle_http_exception(error))
    response.headers.setdefault("Retry-After", str(seconds))
    return response


def _csrf_failed(error: CSRFError):
    if wants_html():
        error.page_detail = _("This form has expired or did not come from Siaga112. "
                              "Go back, reload the page and try again.")
    return handle_http_exception(error)


def init_security(app: Flask) -> None:
    settings = app.extensions.get("siaga112.settings")
    public_url = getattr(settings, "public_url", "")
    redis_url = app.config["SIAGA_REDIS_URL"]
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=public_url.startswith("https://"),
        SESSION_REFRESH_EACH_REQUEST=True,
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, with the exemptions by path
        WTF_CSRF_TIME_LIMIT=None,  # as long as the session
    )
    redis = redis_connection(redis_url)
    # Not permanent: the cookie ends with the browser; the store forgets the session after SESSION_IDLE.
    app.session_interface = PostgresSessions(app, app_database(app), permanent=False, secure_when=cookie_secure)

    # Created before the CSRF hook, so a request without a token still counts against the limits.
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=limits_storage_uri(redis_url),
        storage_options={"connection_pool": redis.connection_pool, "key_prefix": LIMITS_KEY_PREFIX},
        strategy="moving-window",
        headers_enabled=False,
        in_memory_fallback_enabled=True,  # while Redis is away: count per process, fail no request
        swallow_errors=True,
    )
    app.extensions[LIMITER] = limiter
    app.extensions[_PREPARED_VIEWS] = {}

    csrf = CSRFProtect(app)

    @app.before_request
    def check_csrf():
        if not app.config["WTF_CSRF_ENABLED"] or csrf_exempt(request.path):
            return
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and store_unreachable():
            # The form's token lives in the session, which could not be read: say the database is away
            # (503, try again) rather than that the form has expired.
            raise DatabaseUnavailable()
        csrf.protect(apply_exemptions=True)

    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.register_error_handler(CSRFError, _csrf_failed)
