"""The checklist's one form per item on a phone (390 px wide), in Debian's Chromium (Playwright).

The regional admin answers an item, writes a note and attaches a document in one submit; the confirmation
appears in that item, which stays open. A refused file keeps the note, says to choose the file again and
focuses the file field; the page never scrolls sideways.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from siaga112.platform.security import app_limiter
from tests.conftest import open_page
from tests.test_onboarding_browser import PASSWORD, real, sign_in
from tests.test_onboarding_helpers import PDF, reset_application, tenant_of
from tests.test_roster_helpers import member

pytestmark = pytest.mark.browser

TERNATE = "82.71"
PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture(scope="module")
def ternate(database):
    tenant = tenant_of(database, TERNATE)
    reset_application(database, tenant)
    admin, _headers = member(database, tenant, "regional_admin", name="Admin Ternate", password=PASSWORD)
    return tenant, admin


def test_the_checklist_form_on_a_phone(app, browser, live_server, ternate):
    tenant, admin = ternate
    app_limiter(app).reset()
    checklist_path = f"/tenants/{tenant.slug}/onboarding"
    page, problems = open_page(browser, live_server)
    try:
        page.set_viewport_size(PHONE)
        sign_in(page, admin, checklist_path)
        assert page.evaluate(WIDTH) <= PHONE["width"]

        row = page.locator("#item-application_letter")
        row.locator("input[name='answer'][value='yes']").check()
        row.locator("textarea[name='note']").fill("Surat Wali Kota No. 112/2026")
        row.locator("input[type='file']").set_input_files(
            {"name": "surat.pdf", "mimeType": "application/pdf", "buffer": PDF})
        row.get_by_role("button", name="Simpan").click()
        expect(page).to_have_url(re.compile(re.escape(checklist_path) + "#item-application_letter$"))
        row = page.locator("#item-application_letter")
        expect(row).to_have_attribute("data-state", "ready")
        expect(row.get_by_role("status")).to_have_text("Jawaban telah disimpan. Dilampirkan: surat.pdf.")
        expect(row.locator("details.item-edit")).to_have_attribute("open", "")
        expect(row.locator("textarea[name='note']")).to_have_value("Surat Wali Kota No. 112/2026")
        assert page.evaluate(WIDTH) <= PHONE["width"]

        row = page.locator("#item-regulation_112")
        row.locator("input[name='answer'][value='yes']").check()
        row.locator("textarea[name='note']").fill("Perwal No. 3 Tahun 2026")
        row.locator("input[type='file']").set_input_files(
            {"name": "perwal.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf at all"})
        row.get_by_role("button", name="Simpan").click()
        expect(page).to_have_url(re.compile(re.escape(checklist_path) + "/items/regulation_112$"))
        row = page.locator("#item-regulation_112")
        expect(row).to_have_attribute("data-state", "unanswered")  # nothing was saved
        expect(row.locator("textarea[name='note']")).to_have_value("Perwal No. 3 Tahun 2026")
        expect(row.locator("#file-regulation_112-again")).to_contain_text("pilih berkas itu lagi")
        expect(page.locator("#file-regulation_112")).to_be_focused()
        assert page.evaluate(WIDTH) <= PHONE["width"]
        assert f"HTTP 415 {live_server}{checklist_path}/items/regulation_112" in problems
        problems.clear()

        page.goto(page.url)  # the refused form's address opens as a page again
        expect(page).to_have_url(re.compile(re.escape(checklist_path) + r"\?item=regulation_112#item-regulation_112$"))
        expect(page.locator("#item-regulation_112 details.item-edit")).to_have_attribute("open", "")
        assert real(problems) == [], problems
    finally:
        page.context.close()
