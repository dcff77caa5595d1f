"""The intake with PostgreSQL really stopped: 503 with Retry-After and nothing half-written; the PBX's retry
after it is back lands exactly once."""

from __future__ import annotations

from sqlalchemy import func, select

from siaga112.platform.app import create_app
from siaga112.platform.audit.service import Actor
from siaga112.platform.db import app_database
from siaga112.platform.identity.oauth_service import create_machine_client
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.calls.models import Call, CallEvent
from siaga112.tenants.directory import service as directory
from tests.test_outages import PROBLEM, own_postgres, pg_ctl  # noqa: F401  (the fixture)
from tests.test_telephony_intake import _basic

LINE = "+62285421112"
BODY = {"event": "answered", "call_id": "1733100000.42", "dialed": LINE, "caller": "+6281234567890",
        "at": "2026-12-02T03:04:05Z", "sequence": 2, "agent": "201"}


def test_with_postgresql_stopped_the_intake_is_503_and_the_retry_lands_once(own_postgres):
    data_dir, env = own_postgres
    app = create_app(env)
    client = app.test_client()
    database = app_database(app)
    system = Actor.system("tests")
    try:
        with database.transaction(PLATFORM) as session:
            tenant = create_tenant(session, "33.75", system)
            machine, secret = create_machine_client(session, tenant, "PBX", system)
        with database.transaction(TenantContext(tenant.id)) as session:
            directory.add_number(session, tenant.id, LINE, "inbound_line", "112", None, system)
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            headers=_basic(machine.client_id, secret)).json["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "1733100000.42-answered-2"}

        pg_ctl(data_dir, "stop", "-m", "fast")
        away = client.post("/api/v1/telephony/events", json=BODY, headers=headers)
        assert away.status_code == 503 and away.mimetype == PROBLEM and away.headers["Retry-After"].isdigit()

        pg_ctl(data_dir, "start", "-o", f"-h '' -k {data_dir / 'pg'}", "-l", str(data_dir / "pg" / "log"))
        with database.transaction(TenantContext(tenant.id)) as session:  # nothing of the refused request was kept
            assert session.scalar(select(func.count()).select_from(Call)) == 0
        retried = client.post("/api/v1/telephony/events", json=BODY, headers=headers)
        assert retried.status_code == 201 and retried.json["call"]["state"] == "in_progress"
        again = client.post("/api/v1/telephony/events", json=BODY, headers=headers)
        assert again.status_code == 200 and again.json["stored"] is False
        with database.transaction(TenantContext(tenant.id)) as session:
            assert session.scalar(select(func.count()).select_from(CallEvent)) == 1
    finally:
        database.dispose()
