"""The signed-in person of a browser session (shared by the sign-in pages and the OAuth authorize endpoint)."""

from __future__ import annotations

import uuid

from flask import session

SESSION_USER_KEY = "user_id"


def signed_in_user_id() -> uuid.UUID | None:
    raw = session.get(SESSION_USER_KEY)
    try:
        return uuid.UUID(raw) if raw else None
    except (TypeError, ValueError):
        return None
