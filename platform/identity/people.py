"""What admins do to people, rate limited per admin: invitations, resends and password resets send e-mail.

A stolen admin session must not turn the platform into a mail cannon, nor an admin's script hammer a
region: every such POST counts against PEOPLE_ACTION_LIMIT of the person (or client) doing it, on the
pages and the API alike.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address

from ..security import rate_limit

DEFAULT_LIMIT = "60 per hour; 300 per day"


def _actor_key() -> str:
    from .access import current_principal

    principal = current_principal()
    return f"people:{principal.subject}" if principal is not None else f"people@{get_remote_address()}"


def people_rate_limit(view):
    return rate_limit(lambda: current_app.config.get("PEOPLE_ACTION_LIMIT", DEFAULT_LIMIT), key_func=_actor_key,
                      methods=["POST"])(view)
