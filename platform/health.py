"""Liveness (/healthz) and readiness (/readyz) probes."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify
from sqlalchemy import text

from .db import app_database
from .errors import PROBLEM_JSON
from .identity.access import public
from .jobs.queues import redis_connection
from .migrate import current_revisions, heads

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


def _check_database() -> tuple[bool, str]:
    try:
        with app_database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(current_revisions(connection))
    except Exception as error:  # any failure to reach the database means not ready
        return False, f"unreachable: {type(error).__name__}"
    expected = set(heads())
    if current != expected:
        return False, f"schema at {sorted(current) or 'nothing'}, expected {sorted(expected)}: run `siaga112 db upgrade`"
    return True, "ok"


def _check_redis() -> tuple[bool, str]:
    try:
        redis_connection(current_app.config["SIAGA_REDIS_URL"]).ping()
    except Exception as error:  # any failure to reach Redis means not ready
        return False, f"unreachable: {type(error).__name__}"
    return True, "ok"


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    report = {name: why for name, (_, why) in checks.items()}
    if all(ok for ok, _ in checks.values()):
        return jsonify(status="ready", checks=report)
    failing = ", ".join(name for name, (ok, _) in checks.items() if not ok)
    response = jsonify(type="about:blank", title="Service Unavailable", status=503,
                       detail=f"Not ready: {failing}. See `checks`.", instance="/readyz",
                       request_id=g.get("request_id"), checks=report)
    response.status_code = 503
    response.mimetype = PROBLEM_JSON
    return response
