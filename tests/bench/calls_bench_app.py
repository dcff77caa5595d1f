"""The app of the calls intake benchmark: the platform's app (create_app) plus one bench-only bare route.

    POST /api/v1/telephony/events                   the real intake: the machine client's token and what is in
                                                    force, the body's schema, routing by the dialled line, the
                                                    Idempotency-Key, the call recomputed from its events, the
                                                    outbox (call.ended), the answer's schema
    POST /api/v1/bench-bare/<tenant_id>/events      the same two rows (a Call and its CallEvent) inserted with
                                                    the ORM into the same tables, and nothing else

The bare route works as the runtime role under row-level security, in the tenant's context — the minimum
that lets it insert at all: the request's session, told the tenant (named in the path, so there is no
routing) before it begins, so the after_begin hook sends that context in its one set_config. No token
check, no schema, no idempotency, no recompute, no outbox; it answers the new call's id. Both routes go
through the same app, the same before/after-request hooks (request guard, rate limiter, request log,
headers), the same unit of work (one commit after the view) and the same connection pool. Bench only:
never registered by the platform itself. gunicorn app spec: `calls_bench_app:create_app()` with
`--chdir tests/bench`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from flask import Blueprint, Flask, request
from siaga112.platform.app import create_app as create_platform_app
from siaga112.platform.db import request_session
from siaga112.platform.tenancy.context import TenantContext, set_context
from siaga112.tenants.calls.models import Call, CallEvent

REAL_PATH = "/api/v1/telephony/events"
BARE_PATH = "/api/v1/bench-bare/{tenant_id}/events"


def bare_intake(tenant_id: uuid.UUID):
    """Insert the event's call and the event, as the PBX sent them; no check of any kind."""
    body = request.get_json()
    at = datetime.fromisoformat(body["at"])
    session = request_session()
    set_context(session, TenantContext(tenant_id))  # before the transaction begins: no extra round trip
    call = Call(tenant_id=tenant_id, pbx_call_id=body["call_id"], dialed_e164=body["dialed"],
                caller_e164=body.get("caller"), offered_at=at)
    session.add(call)
    session.flush()  # the call's id (a server default) is the event's foreign key
    session.add(CallEvent(tenant_id=tenant_id, call_id=call.id, event=body["event"], sequence=body.get("sequence"),
                          at=at, agent=body.get("agent"), idempotency_key=request.headers.get("Idempotency-Key")))
    return {"id": str(call.id)}, 201  # the unit of work flushes the event and commits after the view


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    app = create_platform_app(env)
    bare = Blueprint("bench_bare_calls", __name__, url_prefix="/api/v1/bench-bare")
    bare.add_url_rule("/<uuid:tenant_id>/events", view_func=bare_intake, methods=["POST"])
    app.register_blueprint(bare)
    return app
