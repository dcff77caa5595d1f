"""Signing in and out through the real form in Debian's Chromium (Playwright), the real app served over HTTP."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.security import SESSION_COOKIE, app_limiter
from siaga112.platform.tenancy.context import PLATFORM
from tests.conftest import RESULTS, open_page

pytestmark = pytest.mark.browser

PASSWORD = "sembilan-satu-satu-dua"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    app_limiter(app).reset()
    yield
    app_limiter(app).reset()


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
