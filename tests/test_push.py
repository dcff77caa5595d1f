"""Live push (platform/push.py): the real push server (`siaga112 push` as a process) on the real Redis.

A stream opens only with a valid token for its own tenant; it hears what committed transactions published
and nothing of rolled-back ones, nor any other tenant's; with Redis really stopped a publish costs nothing
but the push, the stream stays open, and once Redis is back a `resync` comes first and publishes flow again.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from flask import render_template_string, session as flask_session
from itsdangerous import TimestampSigner
from sqlalchemy import select, text

from siaga112.platform.app import create_app
from siaga112.platform.db import app_database
from siaga112.platform.push import publish, push_token
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.directory.models import Agency
from tests.test_up import free_port, wait_for

WAIT = 20.0  # every wait below is bounded by this; none is asserted


@contextmanager
def push_server(env: dict[str, str], port: int | None = None):
    """`siaga112 push` on 127.0.0.1 (a free port unless given), once it is subscribed to Redis; yields its port."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "siaga112.platform.cli", "push", "--host", "127.0.0.1",
                                "--port", str(port)], env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: health(port).get("redis") == "subscribed"), "the push server did not subscribe"
        yield port
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0  # it stops cleanly, open streams and all


def health(port: int) -> dict:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        return json.loads(connection.getresponse().read())
    except OSError:
        return {}


class Stream:
    """An open text/event-stream, read by a thread of its own into a queue of (event, data)."""

    def __init__(self, port: int, tenant_id, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", f"/push/{tenant_id}?token={token}")
        self.response = self.connection.getresponse()
        self.events: queue.Queue = queue.Queue()
        self.reader = None
        if self.status == 200:
            self.opened = self.response.readline()  # the retry hint: the server has registered the stream
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    @property
    def status(self) -> int:
        return self.response.status

    def _read(self) -> None:
        event, data = "message", None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                elif line == "" and data is not None:
                    self.events.put((event, data))
                    event, data = "message", None
        except (OSError, ValueError):
            pass
        self.events.put(("closed", None))

    def next(self, timeout: float = WAIT) -> tuple[str, dict | None]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        if self.reader is not None:
            self.connection.sock.shutdown(socket.SHUT_RDWR)  # the reader sees the end, then the socket goes
            self.reader.join(timeout=WAIT)
        self.connection.close()


@pytest.fixture(scope="module")
def push_port(services):
    with push_server(services.env) as port:
        yield port


@pytest.fixture
def open_stream(app, push_port):
    opened = []

    def open_(tenant_id, port: int = push_port) -> Stream:
        stream = Stream(port, tenant_id, push_token(app.secret_key, tenant_id, uuid.uuid4()))
        opened.append(stream)
        assert stream.status == 200 and stream.opened.startswith(b"retry: ")
        return stream

    yield open_
    for stream in opened:
        stream.close()


def committed(database, tenant_id, *topics: str) -> None:
    with database.transaction(TenantContext(tenant_id)) as session:
        session.execute(text("SELECT 1"))
        for topic in topics:
            publish(session, tenant_id, topic)


class Undone(Exception):
    pass


def rolled_back(database, tenant_id, topic: str) -> None:
    with pytest.raises(Undone):
        with database.transaction(TenantContext(tenant_id)) as session:
            session.execute(text("SELECT 1"))
            publish(session, tenant_id, topic)
            raise Undone


# --- tokens --------------------------------------------------------------------------------------

def test_a_stream_opens_only_with_a_valid_token_for_its_own_tenant(app, tenants, push_port, monkeypatch):
    a, b = tenants["a"]["tenant"].id, tenants["b"]["tenant"].id
    user = uuid.uuid4()
    valid = push_token(app.secret_key, a, user)
    tampered = valid[:-3] + ("AAA" if not valid.endswith("AAA") else "BBB")
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda _signer: int(time.time()) - 12 * 3600 - 60)
        expired = push_token(app.secret_key, a, user)
    refused = {
        "another tenant's token": (a, push_token(app.secret_key, b, user)),
        "expired": (a, expired),
        "tampered": (a, tampered),
        "signed with another key": (a, push_token("not-the-secret-key", a, user)),
        "no token": (a, ""),
        "not a tenant id": ("33.75", valid),
    }
    for reason, (tenant_id, token) in refused.items():
        stream = Stream(push_port, tenant_id, token)
        assert stream.status == 403, reason
        stream.close()
    stream = Stream(push_port, a, valid)
    assert stream.status == 200 and stream.response.getheader("Content-Type") == "text/event-stream"
    stream.close()


# --- what a stream hears -------------------------------------------------------------------------

def test_a_stream_hears_committed_publishes_once_each_and_never_a_rolled_back_one(database, tenants, open_stream):
    tenant_id = tenants["a"]["tenant"].id
    stream = open_stream(tenant_id)

    rolled_back(database, tenant_id, "undone")
    committed(database, tenant_id, "calls", "calls", "incidents")  # the same topic twice in one transaction
    committed(database, tenant_id, "roster")

    # Redis delivers in publish order, so whatever came before "calls" would be read first.
    assert stream.next() == ("message", {"topic": "calls"})
    assert stream.next() == ("message", {"topic": "incidents"})
    assert stream.next() == ("message", {"topic": "roster"})


def test_two_tenants_never_hear_each_other(database, tenants, open_stream):
    a, b = tenants["a"]["tenant"].id, tenants["b"]["tenant"].id
    stream_a, stream_b = open_stream(a), open_stream(b)

    committed(database, b, "incidents")
    committed(database, a, "roster")
    committed(database, b, "calls")

    assert stream_a.next() == ("message", {"topic": "roster"})
    assert stream_b.next() == ("message", {"topic": "incidents"})
    assert stream_b.next() == ("message", {"topic": "calls"})  # not A's roster, published in between


def test_only_a_topic_name_reaches_the_browser(database, tenants, open_stream, redis):
    tenant_id = tenants["a"]["tenant"].id
    stream = open_stream(tenant_id)
    redis.publish(f"siaga112:push:{tenant_id}", json.dumps({"topic": "calls", "caller": "0812 3456 7890"}))
    redis.publish(f"siaga112:push:{tenant_id}", json.dumps({"topic": "0812 3456 7890"}))
    committed(database, tenant_id, "incidents")

    assert stream.next() == ("message", {"topic": "calls"})
    assert stream.next() == ("message", {"topic": "incidents"})
    with pytest.raises(ValueError):
        publish(None, tenant_id, "caller 0812 3456 7890")


# --- Redis away ----------------------------------------------------------------------------------

def test_with_redis_stopped_a_publish_costs_only_the_push_and_the_stream_resyncs_when_it_is_back(
        services, restartable_redis, tenants):
    tenant_id = tenants["a"]["tenant"].id
    env = {**services.env, "SIAGA_REDIS_URL": restartable_redis.url}
    app = create_app(env)
    database = app_database(app)
    try:
        with push_server(env) as port:
            stream = Stream(port, tenant_id, push_token(app.secret_key, tenant_id, uuid.uuid4()))
            assert stream.status == 200

            restartable_redis.stop()
            assert wait_for(lambda: health(port).get("redis") == "waiting")
            name = f"Damkar {uuid.uuid4().hex[:8]}"
            with app.app_context(), database.transaction(TenantContext(tenant_id)) as session:
                session.add(Agency(tenant_id=tenant_id, name=name, kind="fire"))
                publish(session, tenant_id, "calls")  # must not raise, nor undo the write
            with database.transaction(PLATFORM) as session:
                assert session.scalars(select(Agency.name).where(Agency.name == name)).one() == name

            restartable_redis.start()
            assert stream.next() == ("resync", {})  # the same stream: it stayed open through the outage

            # This process skips a Redis that just failed for a second or two (dependencies.Breaker).
            def heard_a_publish() -> bool:
                with app.app_context(), database.transaction(TenantContext(tenant_id)) as session:
                    publish(session, tenant_id, "incidents")
                try:
                    return stream.next(timeout=0.5) == ("message", {"topic": "incidents"})
                except queue.Empty:
                    return False

            assert wait_for(heard_a_publish)
            stream.close()
    finally:
        database.dispose()


# --- the page's side -----------------------------------------------------------------------------

def test_a_signed_in_page_gets_its_stream_url_and_the_csp_lets_it_connect(services, tenants):
    app = create_app(services.env)  # push on, at its default address (the session's app has it off)
    client = app.test_client()
    tenant_id = tenants["a"]["tenant"].id
    user_id = tenants["a"]["admin"].id
    with app.test_request_context("/"):
        assert render_template_string("{{ push_url(t) }}", t=tenant_id) == "None"  # nobody signed in
        flask_session["user_id"] = str(user_id)
        url = render_template_string("{{ push_url(t) }}", t=tenant_id)
    base = app.extensions["siaga112.settings"].push_url
    assert url.startswith(f"{base}/push/{tenant_id}?token=")
    from siaga112.platform.push import token_tenant

    assert token_tenant(app.secret_key, url.partition("token=")[2]) == str(tenant_id)
    policy = client.get("/").headers["Content-Security-Policy"]
    assert f"connect-src 'self' {base}" in policy
    app_database(app).dispose()


def test_with_push_off_pages_get_no_stream(services, tenants):
    app = create_app({**services.env, "SIAGA_PUSH_URL": "off"})
    try:
        with app.test_request_context("/"):
            flask_session["user_id"] = str(tenants["a"]["admin"].id)
            assert render_template_string("{{ push_url(t) }}", t=tenants["a"]["tenant"].id) == "None"
        assert "connect-src 'self';" in app.test_client().get("/").headers["Content-Security-Policy"]
    finally:
        app_database(app).dispose()


# --- a live page in Chromium: what the console will do ---------------------------------------------

DEMO_PAGE = """{% extends "layout.html" %}{% block title %}Demo{% endblock %}{% block content %}
{% set stream = push_url(tenant_id) %}{% if stream %}<meta name="siaga-push" content="{{ stream }}">{% endif %}
<script src="{{ url_for('static', filename='js/live.js') }}" defer></script>
<section id="live" data-live-src="/demo/live/part" data-live-topics="calls incidents">{{ part }}</section>
<section id="other" data-live-src="/demo/live/part" data-live-topics="roster">{{ part }}</section>
<input id="note" aria-label="note"><span id="since" data-since="{{ since }}">0:00</span>
{% endblock %}"""


@pytest.fixture
def demo_site(services, tenants, redis):
    """An app of its own with a live page whose part shows a counter kept in Redis, its push server beside it."""
    import threading
    from datetime import datetime, timedelta, timezone

    from flask import render_template_string as render
    from werkzeug.serving import make_server

    from siaga112.platform.identity.access import public

    web_port, push_port = free_port(), free_port()
    env = {**services.env, "SIAGA_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
           "SIAGA_PUSH_URL": f"http://127.0.0.1:{push_port}"}
    app = create_app(env)
    tenant_id = tenants["a"]["tenant"].id
    key = f"demo:{uuid.uuid4().hex}"
    redis.set(key, 0)

    def part() -> str:
        return f"calls: {int(redis.get(key))}"

    started = (datetime.now(timezone.utc) - timedelta(minutes=2, seconds=5)).isoformat()
    app.add_url_rule("/demo/live", "demo_live", public(
        lambda: render(DEMO_PAGE, tenant_id=tenant_id, part=part(), since=started)))
    app.add_url_rule("/demo/live/part", "demo_live_part", public(part))
    server = make_server("127.0.0.1", web_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def change(topic: str) -> None:
        redis.incr(key)
        committed(app_database(app), tenant_id, topic)

    try:
        with push_server(env, push_port):
            yield f"http://127.0.0.1:{web_port}", f"{env['SIAGA_PUSH_URL']}/push/{tenant_id}?token=", change
    finally:
        server.shutdown()
        server.server_close()
        app_database(app).dispose()


@pytest.mark.browser
def test_a_live_page_re_reads_its_part_on_its_topics_and_shows_the_truth_without_script(browser, demo_site, database):
    from tests.conftest import open_page
    from tests.test_sign_in import PASSWORD, make_person

    base, stream, change = demo_site
    page, problems = open_page(browser, base)
    page.goto("/sign-in")
    page.get_by_label("Alamat e-mail").fill(make_person(database))
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/home")
    page.goto("/demo/live")
    assert page.locator("#live").inner_text() == "calls: 0"
    assert page.locator('meta[name="siaga-push"]').get_attribute("content").startswith(stream)
    page.wait_for_function("() => /^2:0[5-9]$|^2:[1-5][0-9]$/.test(document.getElementById('since').textContent)")

    page.locator("#note").focus()
    change("calls")
    page.wait_for_function("() => document.getElementById('live').textContent === 'calls: 1'")
    assert page.locator("#other").inner_text() == "calls: 0"  # its topic was not named
    assert page.evaluate("document.activeElement.id") == "note"
    change("roster")
    page.wait_for_function("() => document.getElementById('other').textContent === 'calls: 2'")
    assert problems == []  # no CSP refusal, no failed stream

    quiet, quiet_problems = open_page(browser, base, java_script_enabled=False)
    quiet.goto("/demo/live")
    assert quiet.locator("#live").inner_text() == "calls: 2"  # the server-rendered truth
    change("calls")
    quiet.reload()
    assert quiet.locator("#live").inner_text() == "calls: 3"
    assert quiet_problems == []
