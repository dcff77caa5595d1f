"""A dependency that goes away is a degraded platform, never a stopped one: real servers, really stopped.

Redis (a server of the test's own, stopped and started again): people already signed in and new
sign-ins keep working, forms keep their CSRF, the API reads and writes, rate limits fall back to
each process, events wait in the outbox, /readyz says what is missing; when Redis is back the
waiting events go out by themselves. PostgreSQL (an embedded server of the test's own): 503 with
Retry-After, problem+json for the API and a page in both languages for people, and the next request
after it is back is served without a restart. ([W2 1/6] items 1 and 2.)
"""

import shutil
import uuid

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from siaga112.platform.app import create_app
from siaga112.platform.db import Database, app_database, bootstrap, database_urls
from siaga112.platform.config import Settings
from siaga112.platform.embedded import start_postgres, stop_postgres
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.jobs.models import OutboxEvent
from siaga112.platform.jobs.outbox import emit, relay_pending
from siaga112.platform.jobs.queues import OUTBOX, queue, redis_connection
from siaga112.platform.migrate import upgrade
from siaga112.platform.tenancy.context import PLATFORM
from tests.conftest import make_data_dir
from tests.test_sign_in import PASSWORD, csrf_token, post_sign_in

PROBLEM = "application/problem+json"


# --- Redis -----------------------------------------------------------------------------------------

@pytest.fixture
def redis_app(services, restartable_redis):
    app = create_app({**services.env, "SIAGA_REDIS_URL": restartable_redis.url})
    yield app
    app_database(app).dispose()


def people(database, tenants):
    """A regional admin of tenant A (signs in before the outage) and a national monitor (signs in during it)."""
    made = []
    with database.transaction(PLATFORM) as session:
        for role, tenant in (("regional_admin", tenants["a"]["tenant"]), ("national_monitor", None)):
            user = create_user(session, f"outage-{uuid.uuid4().hex[:8]}@example.go.id", f"{role} outage", PASSWORD)
            grant_role(session, user, role, tenant.id if tenant else None)
            made.append(user)
    return made


def pending(database, topic):
    with database.transaction(PLATFORM) as session:
        return session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic,
                                                         OutboxEvent.relayed_at.is_(None))).all()


def test_with_redis_stopped_everything_keeps_working_and_resumes_when_it_is_back(redis_app, restartable_redis, database,
                                                                                  tenants):
    admin, monitor = people(database, tenants)
    slug = tenants["a"]["tenant"].slug
    browser = redis_app.test_client()
    assert post_sign_in(browser, admin.email, PASSWORD).status_code == 302
    with database.transaction(PLATFORM) as session:
        token = {"Authorization": f"Bearer {issue_access_token(session, session.get(User, admin.id))}"}

    restartable_redis.stop()

    # Already signed in: pages and a form POST with its CSRF token.
    assert browser.get("/home").status_code == 200
    form = browser.get(f"/tenants/{slug}/agencies")
    assert form.status_code == 200
    added = browser.post(f"/tenants/{slug}/agencies", data={
        "csrf_token": csrf_token(form.get_data(as_text=True)), "name": f"Damkar {uuid.uuid4().hex[:6]}", "kind": "fire"})
    assert added.status_code == 302, added.get_data(as_text=True)
    # A new sign-in, with its rate limit counted in the process instead of Redis.
    newcomer = redis_app.test_client()
    assert newcomer.get("/sign-in").status_code == 200
    assert post_sign_in(newcomer, monitor.email, PASSWORD).status_code == 302
    assert newcomer.get("/home").status_code == 200
    # The API reads and writes; a write's event waits in the outbox.
    assert redis_app.test_client().get(f"/api/v1/tenants/{slug}/agencies", headers=token).status_code == 200
    number = redis_app.test_client().post(f"/api/v1/tenants/{slug}/numbers", headers=token,
                                          json={"number": f"0285 4{uuid.uuid4().int % 10 ** 5:05d}", "kind": "backup_line"})
    assert number.status_code == 201, number.json
    ready = redis_app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "degraded" and ready.json["missing"] == ["redis"]

    with app_database(redis_app).transaction(PLATFORM) as session:  # an event written now, as a change would
        emit(session, "test.outage.waits", {"n": 1})
    assert pending(database, "test.outage.waits")

    restartable_redis.start()
    connection = redis_connection(restartable_redis.url)
    assert relay_pending(app_database(redis_app), connection) >= 1  # what rq cron does every few seconds
    assert pending(database, "test.outage.waits") == []
    SimpleWorker([queue(OUTBOX, connection)], connection=connection).work(burst=True)
    assert browser.get("/home").status_code == 200


def test_a_write_does_not_wait_on_a_redis_that_is_gone(redis_app, restartable_redis, database, tenants):
    """After one failure the process skips Redis for a while instead of waiting out a timeout per request."""
    from siaga112.platform.dependencies import redis_breaker

    admin, _monitor = people(database, tenants)
    with database.transaction(PLATFORM) as session:
        token = {"Authorization": f"Bearer {issue_access_token(session, session.get(User, admin.id))}"}
    restartable_redis.stop()
    client = redis_app.test_client()
    slug = tenants["a"]["tenant"].slug
    for _ in range(3):
        body = {"name": f"BPBD {uuid.uuid4().hex[:6]}", "kind": "disaster"}
        assert client.post(f"/api/v1/tenants/{slug}/agencies", json=body, headers=token).status_code == 201
    breaker = redis_breaker(restartable_redis.url)
    assert breaker.down and not breaker.available()


# --- PostgreSQL ----------------------------------------------------------------------------------

@pytest.fixture
def own_postgres(services):
    """An embedded PostgreSQL of the test's own, migrated, that the test may stop and start."""
    data_dir = make_data_dir("siaga-pg-")
    env = {**services.env, "SIAGA_DATA_DIR": str(data_dir), "SIAGA_DATABASE_URL": ""}
    server_url = start_postgres(data_dir)
    urls = database_urls(Settings.from_env({**env, "SIAGA_DATABASE_URL": server_url}))
    bootstrap(urls)
    upgrade(urls.owner)
    owner = Database(urls.owner, pool_size=1)
    with owner.transaction(PLATFORM) as session:
        from siaga112.platform.regions.service import sync_regions

        sync_regions(session)
    owner.dispose()
    yield data_dir, {**env, "SIAGA_DATABASE_URL": server_url}
    stop_postgres(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def pg_ctl(data_dir, *args):
    import os

    from pgserver._commands import pg_ctl as run

    run(["-w", *args], pgdata=data_dir / "pg", user="pgserver" if os.geteuid() == 0 else None)


def test_with_postgresql_stopped_every_request_is_503_and_the_next_after_it_is_back_is_served(own_postgres):
    data_dir, env = own_postgres
    app = create_app(env)
    client = app.test_client()
    try:
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
        pg_ctl(data_dir, "stop", "-m", "fast")

        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
        text = page.get_data(as_text=True)
        assert "sementara tidak tersedia" in text and "temporarily unavailable" in text
        assert "Content-Security-Policy" in page.headers
        api = client.get("/api/v1/regions/33.75")
        assert api.status_code == 503 and api.mimetype == PROBLEM and api.headers["Retry-After"].isdigit()
        assert "database" in api.json["detail"]
        assert client.get("/sign-in", headers={"Accept": "text/html"}).status_code == 200  # the form needs no query
        signing_in = client.post("/sign-in", data={"email": "a@example.go.id", "password": "x" * 12, "csrf_token": "t"},
                                 headers={"Accept": "text/html"})
        assert signing_in.status_code == 503  # the database is away, not the form expired
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("unreachable")

        pg_ctl(data_dir, "start", "-o", f"-h '' -k {data_dir / 'pg'}", "-l", str(data_dir / "pg" / "log"))
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200  # same app, no restart
        assert client.get("/api/v1/regions/33.75").json["name"] == "Kota Pekalongan"
    finally:
        app_database(app).dispose()
