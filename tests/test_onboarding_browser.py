"""One region from draft to a live 112, through the pages only, in Debian's Chromium (Playwright).

The regional admin of Kota Tidore Kepulauan (WIT) answers the checklist and attaches the documents,
and submits; a ministry verifier finds the application in the queue, starts the review, schedules the
field visit, records a pass on every mandatory item with a photo, completes the visit, reads the
printable report, approves, and records each telco's activation and test call until the region is
live. The region's roster, lines and agencies (the computed items) are set up through the services:
their pages have browser tests of their own.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from siaga112.onboarding.checklist import CURRENT_VERSION, checklist
from siaga112.onboarding.models import TELCOS
from siaga112.platform.security import app_limiter
from tests.conftest import RESULTS, open_page  # the fixtures live_server and browser come from conftest
from tests.test_onboarding_helpers import PDF, PNG, make_ready, reset_application, status_of, tenant_of
from tests.test_roster_helpers import member

pytestmark = pytest.mark.browser

TIDORE = "82.72"
PASSWORD = "sembilan-satu-satu-dua"
CALLERS = {"telkomsel": "0812 3456 7801", "indosat": "0815 6789 0102", "xl": "0817 1234 5603",
           "smartfren": "0881 2345 6704", "telkom": "(0921) 312 112"}


@pytest.fixture(scope="module")
def tidore(database):
    tenant = tenant_of(database, TIDORE)
    reset_application(database, tenant)
    make_ready(database, tenant)
    admin, _headers = member(database, tenant, "regional_admin", name="Admin Tidore", password=PASSWORD)
    verifier, _headers = member(database, None, "ministry_verifier", name="Verifikator Maluku Utara",
                                password=PASSWORD)
    return tenant, admin, verifier


def sign_in(page, user, path):
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Alamat e-mail").fill(user.email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def real(problems: list[str]) -> list[str]:
    """Problems other than a script download the browser dropped because a form was sent before it finished."""
    return [problem for problem in problems if not problem.endswith("net::ERR_ABORTED")]


def press(page, action: str):
    page.locator(f"form[data-action='{action}'] button[type='submit']").click()


def test_a_region_goes_from_draft_to_live_through_the_pages(app, browser, live_server, database, tidore):
    tenant, admin, verifier = tidore
    app_limiter(app).reset()
    assert set(CALLERS) == set(TELCOS)
    items = checklist(CURRENT_VERSION)
    checklist_path = f"/tenants/{tenant.slug}/onboarding"

    # The region prepares and applies.
    page, problems = open_page(browser, live_server)
    try:
        sign_in(page, admin, checklist_path)
        expect(page.locator("#application-status")).to_have_text("Draf")
        expect(page.locator("tr[data-item='inbound_lines']")).to_have_attribute("data-state", "green")
        press(page, "submit")
        expect(page.locator("#refusal")).to_contain_text("Belum dijawab: Surat permohonan dari Bupati/Wali Kota.")
        assert f"HTTP 409 {live_server}{checklist_path}/actions" in problems  # refused, and said why
        problems.clear()
        for item in items.declared:  # answer and documents of an item in one submit
            row = page.locator(f"#item-{item.code}")
            row.locator("input[name='answer'][value='yes']").check()
            if item.evidence_required:
                row.locator("input[type='file']").set_input_files(
                    {"name": f"{item.code}.pdf", "mimeType": "application/pdf", "buffer": PDF})
            row.get_by_role("button", name="Simpan").click()
            expect(page.locator(f"#item-{item.code}")).to_have_attribute("data-state", "ready")
            if item.evidence_required:
                expect(page.locator(f"#item-{item.code} [role='status']")).to_contain_text(
                    f"Dilampirkan: {item.code}.pdf.")
        expect(page.locator("#progress")).to_have_attribute("data-progress-percent", "100.0")
        page.screenshot(path=str(RESULTS / "onboarding-checklist.png"), full_page=True)
        press(page, "submit")
        expect(page.get_by_role("status")).to_contain_text("Permohonan telah diajukan ke kementerian.")
        expect(page.locator("#application-status")).to_have_text("Diajukan")
        expect(page.locator("form.item-form")).to_have_count(0)  # no more changes while the ministry reviews
        assert status_of(database, tenant) == ("submitted", "onboarding")
        assert real(problems) == [], problems
    finally:
        page.context.close()

    # The ministry verifies, visits, approves and records the telcos' routing.
    page, problems = open_page(browser, live_server)
    try:
        sign_in(page, verifier, "/onboarding/queue")
        page.locator(f"#queue tr[data-region='{TIDORE}'] a").click()
        expect(page).to_have_url(re.compile(re.escape(checklist_path) + "$"))
        press(page, "start_review")
        expect(page.locator("#application-status")).to_have_text("Sedang ditinjau")

        page.get_by_role("navigation", name="Kesiapan layanan 112").get_by_role("link", name="Kunjungan lapangan").click()
        schedule = page.locator("#schedule-form")
        schedule.locator("#kind").select_option("verification")
        schedule.locator("#scheduled_for").fill(datetime.now(ZoneInfo("Asia/Jayapura")).date().isoformat())
        schedule.locator("#place").fill("Ruang kendali 112, Kantor Wali Kota Tidore")
        schedule.get_by_role("button").click()
        expect(page.locator("#visit")).to_have_attribute("data-status", "scheduled")
        expect(page.locator("#verifiers")).to_contain_text("Verifikator Maluku Utara")

        for item in items.mandatory:  # every verdict chosen, then saved once
            page.locator(f"#verdict-{item.code}-pass").check()
        page.locator("#verdicts-form").get_by_role("button", name="Simpan semua penilaian").click()
        expect(page.locator("#verdicts-form [role='status']")).to_have_text(f"Penilaian tersimpan: {len(items.mandatory)}.")
        for item in items.mandatory:
            expect(page.locator(f"#item-{item.code}")).to_have_attribute("data-verdict", "pass")
        page.locator("#verdict-budget-fail").check()  # a correction, one item alone
        page.locator("#verdict-note-budget").fill("Anggaran belum disahkan")
        page.locator("[data-save-one='budget']").click()
        expect(page.locator("#item-budget")).to_have_attribute("data-verdict", "fail")
        expect(page.locator("#item-budget [role='status']")).to_contain_text("telah disimpan")
        page.locator("#verdict-budget-pass").check()
        page.locator("[data-save-one='budget']").click()
        expect(page.locator("#item-budget")).to_have_attribute("data-verdict", "pass")
        photo = page.locator("form[data-photo-form='control_room']")
        photo.locator("input[type='file']").set_input_files(
            {"name": "ruang-kendali.png", "mimeType": "image/png", "buffer": PNG})
        photo.get_by_role("button", name="Lampirkan").click()
        expect(page.locator("#item-control_room a", has_text="ruang-kendali.png")).to_have_count(1)
        page.locator("#complete-note").fill("Semua butir wajib terpenuhi di lapangan.")
        press(page, "complete")
        expect(page.locator("#visit")).to_have_attribute("data-status", "completed")

        page.locator("#report-link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Laporan kunjungan")
        expect(page.locator("body")).to_contain_text("Kota Tidore Kepulauan")
        expect(page.locator("body")).to_contain_text("ruang-kendali.png")
        page.emulate_media(media="print")
        page.screenshot(path=str(RESULTS / "onboarding-visit-report.png"), full_page=True)
        page.emulate_media(media="screen")

        page.goto(checklist_path)
        expect(page.locator("#application-status")).to_have_text("Telah dikunjungi")
        press(page, "approve")
        expect(page.locator("#application-status")).to_have_text("Disetujui")

        page.get_by_role("navigation", name="Kesiapan layanan 112").get_by_role("link", name="Routing operator seluler").click()
        expect(page.locator("#routing tbody tr")).to_have_count(len(TELCOS))
        for telco, caller in CALLERS.items():
            row = page.locator(f"#telco-{telco}")
            row.locator("form[data-action='activate'] button").click()
            expect(page.locator(f"#telco-{telco}")).to_have_attribute("data-status", "active")
            page.locator(f"#from-{telco}").fill(caller)
            page.locator(f"#telco-{telco} form[data-action='pass_test_call'] button").click()
            expect(page.locator(f"#telco-{telco}")).to_have_attribute("data-status", "test_call_passed")
        expect(page.locator("#live")).to_be_visible()
        page.screenshot(path=str(RESULTS / "onboarding-live.png"), full_page=True)
        assert status_of(database, tenant) == ("live", "live")

        page.goto(checklist_path)
        expect(page.locator("#application-status")).to_have_text("112 aktif")
        history = page.locator("#history")
        expect(history).to_contain_text("112 aktif")
        expect(history).to_contain_text("Semua butir wajib terpenuhi di lapangan.")
        assert real(problems) == [], problems
    finally:
        page.context.close()
