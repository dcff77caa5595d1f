"""Real PostgreSQL and Redis for every test: embedded by default, the machine's own by URL.

SIAGA_TEST_DATABASE_URL (a superuser URL, e.g. postgresql:///test) and
SIAGA_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) point the suite at
external servers. Either way each run works in a database of its own, made
and dropped here, with its own owner and runtime roles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from siaga112.platform.tenancy.context import PLATFORM
from psycopg import sql
from sqlalchemy.engine import make_url

from siaga112.platform.config import Settings
from siaga112.platform.db import Database, DatabaseUrls, bootstrap, database_urls
from siaga112.platform.embedded import EmbeddedRedis, start_postgres, stop_postgres
from siaga112.platform.jobs.queues import redis_connection

SERVICE_FIXTURES = {"services", "app", "client", "database", "owner_database", "redis", "fresh_database"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


def make_data_dir(prefix: str = "siaga-test-") -> Path:
    # Under /tmp and world-traversable: pgserver runs postgres as its own user when we are root,
    # and pytest's tmp_path (under a 0700 folder) would be out of its reach.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@dataclass
class Services:
    data_dir: Path
    server_url: str  # superuser URL of the server, any database
    redis_url: str
    env: dict[str, str]
    urls: DatabaseUrls

    def new_database(self, name: str) -> DatabaseUrls:
        admin = make_url(self.server_url).set(database=name).render_as_string(hide_password=False)
        settings = Settings.from_env({**self.env, "SIAGA_DATABASE_URL": admin})
        urls = database_urls(settings)
        bootstrap(urls)
        return urls

    def drop_database(self, urls: DatabaseUrls) -> None:
        maintenance = make_url(urls.admin).set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(urls.database)))
            for role in (urls.runtime_role, urls.owner_role):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def services():
    from siaga112.platform.migrate import upgrade
    from siaga112.platform.regions.service import sync_regions

    data_dir = make_data_dir()
    server_url = os.environ.get("SIAGA_TEST_DATABASE_URL") or start_postgres(data_dir)
    embedded_redis = None
    redis_url = os.environ.get("SIAGA_TEST_REDIS_URL")
    if not redis_url:
        embedded_redis = EmbeddedRedis(data_dir)
        redis_url = embedded_redis.start()
    redis_connection(redis_url).flushdb()

    env = {"SIAGA_DATA_DIR": str(data_dir), "SIAGA_REDIS_URL": redis_url, "SIAGA_LOG_LEVEL": "WARNING"}
    name = f"siaga_test_{uuid.uuid4().hex[:8]}"
    env["SIAGA_DATABASE_URL"] = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    provisional = Services(data_dir, server_url, redis_url, env, urls=None)  # type: ignore[arg-type]
    urls = provisional.new_database(name)
    provisional.urls = urls
    upgrade(urls.owner)
    owner = Database(urls.owner, pool_size=1)
    with owner.transaction(PLATFORM) as session:
        sync_regions(session)
    owner.dispose()

    # Jobs run in-process in tests (rq's SimpleWorker) and read their settings from the environment.
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield provisional
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        provisional.drop_database(urls)
        if embedded_redis:
            embedded_redis.stop()
        stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app(services):
    from siaga112.platform.app import create_app

    # No push server runs beside the session's app: its live pages re-read on their timer (tests/test_push.py and
    # the console's browser test start one of their own).
    application = create_app({**services.env, "SIAGA_PUSH_URL": "off"})
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def database(app):
    """The runtime role's database, as the app uses it."""
    from siaga112.platform.db import app_database

    return app_database(app)


@pytest.fixture(scope="session")
def owner_database(services):
    owner = Database(services.urls.owner, pool_size=1)
    yield owner
    owner.dispose()


@pytest.fixture
def redis(services):
    return redis_connection(services.redis_url)


@pytest.fixture
def restartable_redis():
    """A Redis server of the test's own, which the test may stop and start, whatever server the suite uses."""
    server = EmbeddedRedis(make_data_dir("siaga-redis-"))
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.folder.parent, ignore_errors=True)


@pytest.fixture
def fresh_database(services):
    """An empty database with its own roles, dropped afterwards."""
    urls = services.new_database(f"siaga_fresh_{uuid.uuid4().hex[:8]}")
    yield urls
    services.drop_database(urls)


@pytest.fixture(scope="session")
def tenants(database):
    """Two tenants, Kota Pekalongan (A) and Kota Metro (B), each with an agency and a regional admin."""
    from siaga112.platform.audit.service import Actor
    from siaga112.platform.identity.service import create_user, grant_role
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.platform.tenancy.service import create_tenant
    from siaga112.tenants.directory.models import Agency

    made = {}
    with database.transaction(PLATFORM) as session:
        for key, code in (("a", "33.75"), ("b", "18.72")):
            tenant = create_tenant(session, code, Actor.system("tests"))
            agency = Agency(tenant_id=tenant.id, name=f"Polres {tenant.name}", kind="police")
            session.add(agency)
            admin = create_user(session, f"admin-{tenant.slug}@example.go.id", f"Admin {tenant.name}",
                                "correct horse battery staple")
            session.flush()
            grant_role(session, admin, "regional_admin", tenant.id)
            made[key] = {"tenant": tenant, "agency_id": agency.id, "admin": admin}
    return made


# --- browser tests: Debian's Chromium through Playwright, the real app over HTTP ---------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
RESULTS = Path(__file__).resolve().parent.parent / "test-results"


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app on 127.0.0.1 and a free port, from a background thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; the browser tests drive Debian's Chromium. "
                    "Install it with: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser, live_server, **context_options):
    """A fresh context (no cookies) and the list its page's errors land in: (page, problems)."""
    context_options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(base_url=live_server, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"HTTP {response.status} {response.url}")
            if response.status >= 400 else None)
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}: {request.failure}"))
    return page, problems
