"""A regional admin's first evening in Debian's Chromium (Playwright): signs in, adds an agency with a
contact number, adds the usual shifts, previews next month's rotation, applies it and watches the
coverage chart reach 100 %, all offline."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from siaga112.platform.security import app_limiter
from tests.test_roster_helpers import MALINAU, member, tenant_of
from tests.conftest import RESULTS, open_page  # the fixtures live_server and browser come from conftest

pytestmark = pytest.mark.browser

PASSWORD = "sembilan-satu-satu-dua"


@pytest.fixture(scope="module")
def malinau(database):
    """Kabupaten Malinau (WITA), with a regional admin who signs in and eight operators, and no shifts yet."""
    tenant = tenant_of(database, MALINAU)
    admin, _headers = member(database, tenant, "regional_admin", name="Admin Malinau", password=PASSWORD)
    for n in range(8):
        member(database, tenant, "operator", name=f"Operator Malinau {n + 1}")
    return tenant, admin


def test_generate_next_months_roster_and_watch_coverage_reach_100(app, browser, live_server, malinau):
    tenant, admin = malinau
    app_limiter(app).reset()
    page, problems = open_page(browser, live_server)
    page.set_viewport_size({"width": 1400, "height": 1000})
    outside: list[str] = []
    # Offline: anything not served by the app itself (a CDN, a font) is refused and recorded.
    page.context.route(re.compile(r"^(?!http://127\.0\.0\.1:)"),
                       lambda route: (outside.append(route.request.url), route.abort()))
    try:
        page.goto(f"/tenants/{tenant.slug}/roster")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        page.get_by_label("Alamat e-mail").fill(admin.email)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(re.compile(rf"/tenants/{tenant.slug}/roster$"))
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.locator("#coverage-chart")).to_have_attribute("data-coverage-percent", "0.0")

        page.get_by_role("navigation", name=f"Bagian {tenant.name}").get_by_role("link", name="Instansi").click()
        page.locator("#agency-name").fill("Polres Malinau")
        page.locator("#agency-kind").select_option("police")
        page.locator("#agency-contact-number").fill("(0553) 21110")
        page.locator("#agency-contact-label").fill("SPKT")
        page.locator("#agency-submit").click()
        expect(page.get_by_role("status")).to_contain_text("Polres Malinau")
        contact = page.locator("table#agencies .contact-number[data-e164='+6255321110']")
        expect(contact).to_have_count(1)
        expect(contact).to_contain_text("0553")

        page.get_by_role("navigation", name=f"Bagian {tenant.name}").get_by_role("link", name="Sif").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sif")
        page.get_by_role("button", name="Tambahkan tiga sif yang lazim").click()
        expect(page.locator("#shifts tbody tr")).to_have_count(3)
        expect(page.locator("#shifts tr[data-shift='M']")).to_contain_text("berakhir keesokan harinya")

        page.get_by_role("navigation", name=f"Bagian {tenant.name}").get_by_role("link", name="Jadwal jaga").click()
        next_month = (datetime.now(ZoneInfo("Asia/Makassar")).date().replace(day=1) + timedelta(days=32)).replace(day=1)
        rotation = page.locator("#rotation-form")
        expect(rotation.get_by_label("Hari pertama")).to_have_value(next_month.isoformat())
        expect(rotation.locator("input[name='user_ids']:checked")).to_have_count(8)
        expect(page.locator("#people-needed")).to_contain_text("4 petugas")
        rotation.get_by_role("button", name="Pratinjau").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Pratinjau rotasi")
        chart = page.locator("#coverage-chart")
        expect(chart).to_have_attribute("data-preview", "true")
        expect(chart).to_have_attribute("data-coverage-percent", "100.0")
        expect(page.locator("#roster-grid .shift-code.proposed").first).to_be_visible()
        expect(page.locator("#no-conflicts")).to_be_visible()
        page.get_by_role("button", name="Terapkan rencana ini").click()

        expect(page).to_have_url(re.compile(rf"/roster\?month={next_month:%Y-%m}$"))
        expect(page.get_by_role("status")).to_contain_text("Rotasi diterapkan")
        expect(chart).to_have_attribute("data-preview", "false")
        expect(chart).to_have_attribute("data-coverage-percent", "100.0")
        expect(chart.locator("g.bar-full")).to_have_count(_days_in(next_month))
        expect(page.locator("#roster-grid tbody tr")).to_have_count(9)  # 8 operators and the admin
        expect(page.locator("#roster-grid tfoot td.short")).to_have_count(0)
        expect(page.locator("#no-gaps")).to_be_visible()
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "roster.png"), full_page=True)
        assert problems == [] and outside == []
    finally:
        page.context.close()


def _days_in(first: date) -> int:
    return ((first + timedelta(days=32)).replace(day=1) - first).days
