"""Signing in and out through the real form in Debian's Chromium (Playwright), the real app served over HTTP."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.security import SESSION_COOKIE, app_limiter
from siaga112.platform.tenancy.context import PLATFORM

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "sembilan-satu-satu-dua"


@pytest.fixture(scope="module")
def live_server(app):
    """The session's app on 127.0.0.1 and a free port, from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; the browser tests drive Debian's Chromium. "
                    "Install it with: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(autouse=True)
def fresh_limits(app):
    app_limiter(app).reset()
    yield
    app_limiter(app).reset()


def open_page(browser, live_server) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)
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


def test_sign_in_see_the_landing_page_and_sign_out(browser, live_server, database):
    email = f"dewi.{uuid.uuid4().hex[:8]}@example.go.id"
    with database.transaction(PLATFORM) as session:
        grant_role(session, create_user(session, email, "Dewi Lestari", PASSWORD), "ministry_verifier")

    page, problems = open_page(browser, live_server)
    try:
        page.goto("/home")  # not signed in: the sign-in page first, then back here
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/home$"))
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.get_by_role("heading", level=1)).to_have_text("Masuk ke Siaga112")

        page.get_by_label("Alamat e-mail").fill(email)
        page.get_by_label("Kata sandi").fill("bukan kata sandinya")
        page.get_by_role("button", name="Masuk").click()
        expect(page.get_by_role("alert")).to_have_text("Alamat e-mail atau kata sandi salah.")
        expect(page.get_by_label("Alamat e-mail")).to_have_value(email)
        expect(page.get_by_label("Kata sandi")).to_have_value("")
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "sign-in.png"), full_page=True)

        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(re.compile(r"/home$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Verifikator kementerian")
        expect(page.locator("#account")).to_contain_text("Dewi Lestari")
        expect(page.get_by_role("cell", name="Seluruh Indonesia")).to_be_visible()

        cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        signed_in_session = cookie["value"]

        page.screenshot(path=str(RESULTS / "landing.png"), full_page=True)

        page.get_by_role("link", name="English").click()  # the same page, in English
        expect(page.get_by_role("heading", level=1)).to_have_text("Ministry verifier")
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
        expect(page.get_by_role("status")).to_have_text("You have signed out.")
        assert signed_in_session not in {c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE}
        expect(page.locator("#account")).to_have_count(0)  # no name, no sign-out button

        page.goto("/home")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/home$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Siaga112")
        assert problems == []
    finally:
        page.context.close()
