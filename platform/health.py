"""Liveness (/healthz) and readiness (/readyz) probes.

/readyz is 200 while this process can serve requests: the database answers at the schema's head.
Redis away does not make it unready (every use of Redis has a fallback, see dependencies.py; a
probe that failed on it would take every web process out of service at once and turn a degraded
platform into a stopped one): the answer then says "degraded" and what is missing, and how many
outbox events wait for Redis to come back.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify
from sqlalchemy import text

from .db import app_database
from .dependencies import redis_breaker
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
    url = current_app.config["SIAGA_REDIS_URL"]
    # Through the process's breaker: a probe must answer within its timeout, not wait out Redis's.
    if redis_breaker(url).call(lambda: redis_connection(url).ping(), fallback=False):
        return True, "ok"
    return False, ("unreachable; serving without it (rate limits per process, events wait in the outbox, "
                   "jobs run when it is back)")


def _pending_events() -> int | None:
    try:
        with app_database().engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM outbox WHERE relayed_at IS NULL"))
    except Exception:  # noqa: BLE001  (reported by the database check already)
        return None


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    report = {name: why for name, (_, why) in checks.items()}
    database_ok, redis_ok = checks["database"][0], checks["redis"][0]
    if database_ok:
        body = {"status": "ready" if redis_ok else "degraded", "checks": report}
        if not redis_ok:
            body["missing"] = ["redis"]
            body["outbox_pending"] = _pending_events()
        return jsonify(body)
    failing = ", ".join(name for name, (ok, _) in checks.items() if not ok)
    response = jsonify(type="about:blank", title="Service Unavailable", status=503,
                       detail=f"Not ready: {failing}. See `checks`.", instance="/readyz",
                       request_id=g.get("request_id"), checks=report)
    response.status_code = 503
    response.mimetype = PROBLEM_JSON
    return response
