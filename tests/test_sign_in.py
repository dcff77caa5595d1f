"""Web sign-in: the form, server-side sessions in PostgreSQL, CSRF, lockout and rate limits, the landing pages."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select, update

from siaga112.platform.db import Database, app_database, init_database
from siaga112.platform.errors import init_errors
from siaga112.platform.identity import views as identity_views
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.regions import views as regions_views
from siaga112.platform.sessions import WebSession
from siaga112.platform.security import (SESSION_COOKIE, app_limiter, csrf_exempt, init_security,
                                        limits_storage_uri, rate_limit)
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.web import init_web

PASSWORD = "sembilan-satu-satu-dua"
GENERIC_FAILURE_ID = "Alamat e-mail atau kata sandi salah."


@pytest.fixture(autouse=True)
def fresh_limits(app):
    """Every test starts with no sign-in attempts counted (the limits live in the session's Redis)."""
    app_limiter(app).reset()
    yield
    app_limiter(app).reset()


def make_person(database, role: str | None = None, tenant_id=None, agency_id=None, name="Sari Wulandari") -> str:
    email = f"sari.{uuid.uuid4().hex[:10]}@example.go.id"
    with database.transaction(PLATFORM) as session:
        user = create_user(session, email, name, PASSWORD)
        if role:
            grant_role(session, user, role, tenant_id, agency_id)
    return email


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in_form(client, path: str = "/sign-in") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return csrf_token(response.get_data(as_text=True))


def post_sign_in(client, email: str, password: str, path: str = "/sign-in", token: str | None = None, **kwargs):
    token = token if token is not None else sign_in_form(client, path)
    return client.post(path, data={"email": email, "password": password, "csrf_token": token}, **kwargs)


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def alert_of(response) -> str:
    found = re.search(r'<p id="sign-in-error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    return unescape(found.group(1)).strip() if found else ""


def session_id(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def set_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{SESSION_COOKIE}=")]
    assert len(headers) == 1, response.headers
    return headers[0]


# --- the form and a good sign-in ---------------------------------------------------------------

def test_sign_in_page_is_in_bahasa_indonesia_with_a_csrf_token(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Masuk ke Siaga112" in text_of(response)
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert 'type="email"' in html and 'type="password"' in html
    assert csrf_token(html)


def test_sign_in_page_in_english_on_request(client):
    client.set_cookie("lang", "en")
    text = text_of(client.get("/sign-in"))
    assert "Sign in to Siaga112" in text and "E-mail address" in text and "Password" in text


def test_good_sign_in_lands_on_the_landing_page_of_the_role(client, database):
    email = make_person(database, "ministry_verifier", name="Dewi Lestari")
    response = post_sign_in(client, email.upper(), PASSWORD)  # e-mail addresses compare without case
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"

    home = client.get("/home")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert 'data-role="ministry_verifier"' in html
    assert re.search(r"<h1>\s*Verifikator kementerian\s*</h1>", html)
    text = text_of(home)
    assert "Seluruh Indonesia" in text  # a platform role applies everywhere
    assert "Dewi Lestari" in text  # the header shows who is signed in …
    assert 'id="account"' in html and "Keluar" in text  # … and a sign-out button
    assert 'href="/api/v1/docs"' in html and 'href="/"' in html


def test_tenant_roles_land_on_a_page_naming_their_region(client, database, tenants):
    a = tenants["a"]
    email = make_person(database, "operator", a["tenant"].id)
    with database.transaction(PLATFORM) as session:
        user = session.query(User).filter_by(email=email).one()
        grant_role(session, user, "agency_responder", a["tenant"].id, a["agency_id"])
    assert post_sign_in(client, email, PASSWORD).status_code == 302

    client.set_cookie("lang", "en")
    home = client.get("/home")
    html = home.get_data(as_text=True)
    assert 'data-role="operator"' in html  # the wider of the two roles
    assert re.search(r"<h1>\s*Operator\s*</h1>", html)
    rows = re.findall(r'<tr data-role="(\w+)">\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', html)
    region = a["tenant"].name
    assert rows == [("operator", "Operator", region), ("agency_responder", "Agency responder", region)]


def test_a_person_without_a_role_is_told_so(client, database):
    email = make_person(database)
    post_sign_in(client, email, PASSWORD)
    home = client.get("/home")
    assert home.status_code == 200
    assert 'data-role=""' in home.get_data(as_text=True)
    assert "Anda belum memiliki peran di Siaga112" in text_of(home)


def test_home_needs_a_signed_in_person(client):
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/home"


def test_sign_in_follows_a_local_next(client, database):
    email = make_person(database, "platform_admin")
    target = "/oauth/authorize?response_type=code&client_id=abc&state=xyz"
    path = "/sign-in?" + "next=" + target.replace("?", "%3F").replace("&", "%26").replace("=", "%3D")
    response = post_sign_in(client, email, PASSWORD, path=path)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "http:evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", " //evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_pointing_off_site_is_refused(client, database, target):
    email = make_person(database, "national_monitor")
    response = post_sign_in(client, email, PASSWORD, path="/sign-in?next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_a_signed_in_person_opening_the_form_goes_home_or_signs_in_again(client, database):
    email = make_person(database, "national_monitor", name="Putu Ayu")
    post_sign_in(client, email, PASSWORD)
    response = client.get("/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/home"

    # Sent with a `next` (OpenID prompt=login): the form, to prove it again; a new session id after.
    before = session_id(client)
    again = client.get("/sign-in?next=/api/v1/docs")
    assert again.status_code == 200
    assert "Anda sudah masuk sebagai Putu Ayu. Masuk lagi untuk melanjutkan." in text_of(again)
    response = post_sign_in(client, email, PASSWORD, path="/sign-in?next=/api/v1/docs")
    assert response.status_code == 302 and response.headers["Location"] == "/api/v1/docs"
    assert session_id(client) not in (None, before)


# --- failures say nothing about which accounts exist -------------------------------------------

def test_wrong_password_and_unknown_email_get_the_same_answer(client, database):
    email = make_person(database, "platform_admin")
    wrong_password = post_sign_in(client, email, PASSWORD + "x")
    unknown_email = post_sign_in(client, f"nobody.{uuid.uuid4().hex[:8]}@example.go.id", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert alert_of(response) == GENERIC_FAILURE_ID
    assert client.get("/home").status_code == 302  # not signed in

    client.set_cookie("lang", "en")
    assert alert_of(post_sign_in(client, email, "not it")) == "The e-mail address or the password is not correct."


def test_a_deactivated_person_cannot_sign_in_and_is_signed_out(client, database):
    email = make_person(database, "platform_admin")
    assert post_sign_in(client, email, PASSWORD).status_code == 302
    assert client.get("/home").status_code == 200
    with database.transaction(PLATFORM) as session:
        session.execute(update(User).where(User.email == email).values(active=False))
    assert client.get("/home").status_code == 302  # the session ends at the next page
    assert alert_of(post_sign_in(client, email, PASSWORD)) == GENERIC_FAILURE_ID


def test_empty_fields_are_pointed_out(client):
    token = sign_in_form(client)
    response = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": token})
    assert response.status_code == 200
    text = text_of(response)
    assert "Isi alamat e-mail Anda." in text and "Isi kata sandi Anda." in text


# --- CSRF --------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_sign_in_without_a_valid_csrf_token_is_refused(client, database, token):
    email = make_person(database, "platform_admin")
    sign_in_form(client)  # the session exists and has a token; the request just does not carry it
    data = {"email": email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/sign-in", data=data, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "Formulir ini sudah kedaluwarsa atau tidak berasal dari Siaga112" in text_of(response)
    assert client.get("/home").status_code == 302


def test_a_token_of_another_session_is_refused(client, app, database):
    email = make_person(database, "platform_admin")
    other_token = sign_in_form(app.test_client())
    sign_in_form(client)
    assert post_sign_in(client, email, PASSWORD, token=other_token).status_code == 400


def test_csrf_exemptions_are_only_the_bearer_token_endpoints():
    for path in ("/api/v1/tenants", "/api/v1/tenants/kota-metro/members", "/oauth/token", "/oauth/revoke",
                 "/oauth/userinfo"):
        assert csrf_exempt(path), path
    for path in ("/sign-in", "/sign-out", "/oauth/authorize", "/oauth/token/x", "/apiv1", "/api", "/home", "/"):
        assert not csrf_exempt(path), path


def test_the_api_takes_no_csrf_token_and_no_session_cookie(client, database):
    response = client.post("/api/v1/tenants", json={"region_code": "18.04"})
    assert response.status_code == 401  # refused for want of a bearer token, not of a CSRF token
    assert response.mimetype == "application/problem+json"

    post_sign_in(client, make_person(database, "platform_admin"), PASSWORD)
    riding = client.post("/api/v1/tenants", json={"region_code": "18.04"})  # what a forged cross-site POST would be
    assert riding.status_code == 401  # the cookie is no credential on the API, which is why it needs no CSRF token


# --- lockout per e-mail address and the limit per client address -------------------------------

def test_five_failures_lock_the_address_even_for_the_right_password(client, database):
    email = make_person(database, "platform_admin")
    other = make_person(database, "platform_admin")
    for _ in range(5):
        assert alert_of(post_sign_in(client, email, "wrong password!")) == GENERIC_FAILURE_ID

    locked = post_sign_in(client, email, PASSWORD)
    assert locked.status_code == 429
    assert 840 <= int(locked.headers["Retry-After"]) <= 900
    assert re.fullmatch(r"Terlalu banyak percobaan masuk yang gagal untuk alamat e-mail ini\. "
                        r"Coba lagi dalam 15 menit \(pukul \d\d\.\d\d WIB\)\.", alert_of(locked)), alert_of(locked)
    assert client.get("/home").status_code == 302

    client.set_cookie("lang", "en")
    english = post_sign_in(client, email, PASSWORD)
    assert english.status_code == 429
    assert re.fullmatch(r"Too many failed sign-ins for this e-mail address\. Try again in 15 minutes "
                        r"\(at \d{1,2}:\d\d\s[AP]M WIB\)\.", alert_of(english)), alert_of(english)

    # Another person from the same browser is not affected.
    assert post_sign_in(client, other, PASSWORD).status_code == 302


def test_unknown_addresses_lock_the_same_way(client):
    email = f"nobody.{uuid.uuid4().hex[:8]}@example.go.id"
    answers = [post_sign_in(client, email, PASSWORD) for _ in range(6)]
    assert [response.status_code for response in answers] == [200] * 5 + [429]


def test_successes_do_not_count_towards_the_lock(client, database):
    email = make_person(database, "platform_admin")
    for _ in range(4):
        post_sign_in(client, email, "wrong password!")
    for _ in range(3):
        assert post_sign_in(client, email, PASSWORD).status_code == 302
        client.post("/sign-out", data={"csrf_token": csrf_token(client.get("/home").get_data(as_text=True))})
    assert post_sign_in(client, email, PASSWORD).status_code == 302


def test_the_lock_lifts_when_the_window_has_passed(client, database, app, monkeypatch):
    # Long enough for five argon2 checks on a slow machine, short enough to wait for.
    monkeypatch.setitem(app.config, "SIGN_IN_WINDOW_SECONDS", 4)
    email = make_person(database, "platform_admin")
    token = sign_in_form(client)
    for _ in range(5):
        post_sign_in(client, email, "wrong password!", token=token)
    locked = post_sign_in(client, email, PASSWORD, token=token)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 4
    time.sleep(int(locked.headers["Retry-After"]) + 0.2)
    assert post_sign_in(client, email, PASSWORD).status_code == 302


def test_too_many_attempts_from_one_address_get_429(app, database, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ADDRESS_LIMIT", "3 per minute")
    email = make_person(database, "platform_admin")
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.112.0.7"
    for _ in range(3):
        assert post_sign_in(office, f"nobody.{uuid.uuid4().hex[:8]}@example.go.id", PASSWORD).status_code == 200
    refused = post_sign_in(office, email, PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert alert_of(refused).startswith("Terlalu banyak percobaan masuk dari jaringan Anda. Coba lagi dalam 1 menit")
    assert office.get("/sign-in").status_code == 200  # only the POST is limited

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.112.0.8"
    assert post_sign_in(elsewhere, email, PASSWORD).status_code == 302


# --- the session cookie and its life -----------------------------------------------------------

def test_session_cookie_is_httponly_samesite_lax_and_secure_over_https(client, app, monkeypatch):
    plain = set_cookie_header(client.get("/sign-in"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Path=/" in plain
    assert "Secure" not in plain  # http (development, tests): a Secure cookie would never come back
    assert "Expires" not in plain  # ends with the browser; the store forgets it after 12 idle hours

    secure = set_cookie_header(app.test_client().get("/sign-in", base_url="https://siaga112.example"))
    assert "Secure" in secure and "HttpOnly" in secure and "SameSite=Lax" in secure

    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # SIAGA_PUBLIC_URL is https (behind a proxy)
    assert "Secure" in set_cookie_header(app.test_client().get("/sign-in"))


def test_a_redis_outage_leaves_the_signed_in_person_signed_in(services, database):
    from siaga112.platform.app import create_app

    email = make_person(database, "platform_admin")
    app = create_app({**services.env, "SIAGA_REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    client = app.test_client()
    try:
        assert post_sign_in(client, email, PASSWORD).status_code == 302
        assert client.get("/home").status_code == 200
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    finally:
        app_database(app).dispose()


def test_anonymous_public_pages_make_no_session(client):
    response = client.get("/")
    assert response.status_code == 200
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE)]


def stored_session(database, session_id):
    """The web_sessions row of a session id (the table keeps only the id's SHA-256)."""
    with database.transaction(PLATFORM) as db:
        return db.scalar(select(WebSession).where(WebSession.id_hash == hashlib.sha256(session_id.encode()).digest()))


def test_session_lives_in_postgresql_and_its_id_changes_at_sign_in(client, app, database):
    email = make_person(database, "platform_admin")
    sign_in_form(client)
    before = session_id(client)
    assert before and stored_session(database, before) is not None

    assert post_sign_in(client, email, PASSWORD).status_code == 302
    after = session_id(client)
    assert after and after != before
    assert stored_session(database, before) is None
    stored = stored_session(database, after)
    with database.transaction(PLATFORM) as db:
        assert stored.user_id == db.scalar(select(User.id).where(User.email == email))
    lifetime = stored.expires_at - datetime.now(timezone.utc)
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)

    planted = app.test_client()  # someone who knew the id from before sign-in
    planted.set_cookie(SESSION_COOKIE, before)
    assert planted.get("/home").status_code == 302


def test_sign_out_needs_post_with_csrf_and_ends_the_session(client, app, database):
    email = make_person(database, "platform_admin")
    post_sign_in(client, email, PASSWORD)
    signed_in = session_id(client)
    home = client.get("/home")
    token = csrf_token(home.get_data(as_text=True))  # the header's sign-out form

    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/home").status_code == 200  # still signed in

    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?signed_out=1"
    assert session_id(client) is None
    assert stored_session(database, signed_in) is None
    assert "Anda telah keluar." in text_of(client.get(response.headers["Location"]))
    assert client.get("/home").status_code == 302

    replayed = app.test_client()
    replayed.set_cookie(SESSION_COOKIE, signed_in)
    assert replayed.get("/home").status_code == 302


# --- rate limits for other routes: 429 with Retry-After, problem+json for the API --------------

@pytest.fixture(scope="module")
def limited_app(services):
    """A second app on the same Redis with a rate-limited API route and page: each app has its own limiter."""
    app = Flask("siaga112.platform", root_path=str(Path(regions_views.__file__).parent.parent),
                instance_path=str(services.data_dir / "limited-instance"))
    app.config.update(SECRET_KEY="test", SIAGA_REDIS_URL=services.redis_url, TESTING=True)
    init_database(app, Database(services.urls.runtime, pool_size=1))
    init_errors(app)
    init_web(app, [])
    init_security(app)
    app.register_blueprint(regions_views.bp)
    app.register_blueprint(identity_views.bp)  # the error page links to the sign-in page

    @app.get("/api/v1/ping")
    @rate_limit("2 per minute")
    def api_ping():
        return {"pong": True}

    @app.get("/ping")
    @rate_limit("1 per minute")
    @rate_limit("5 per hour")
    def page_ping():
        return "pong"

    app_limiter(app).reset()
    return app


def test_rate_limited_api_answers_problem_json_with_retry_after(limited_app):
    client = limited_app.test_client()
    assert [client.get("/api/v1/ping").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/v1/ping")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Retry-After" in refused.json["detail"]


def test_rate_limited_page_answers_html_with_retry_after(limited_app):
    client = limited_app.test_client()
    assert client.get("/ping", headers={"Accept": "text/html"}).status_code == 200
    refused = client.get("/ping", headers={"Accept": "text/html"})
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Terlalu banyak permintaan. Tunggu 1 menit, lalu coba lagi." in text_of(refused)


def test_limits_storage_uri_for_a_unix_socket():
    assert limits_storage_uri("unix:///var/siaga/redis/redis.sock") == "redis+unix:///var/siaga/redis/redis.sock"
    assert limits_storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
