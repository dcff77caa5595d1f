"""The home page in a real browser: Debian's Chromium driven by Playwright, the real app served over HTTP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

from tests.conftest import RESULTS, open_page  # noqa: F401  (fixtures live_server and browser come from conftest)


def rows(page: Page):
    return page.locator("#results tr[data-region]")


def expect_both_pekalongan_only(page: Page) -> None:
    expect(rows(page)).to_have_count(2)
    expect(rows(page).filter(has_text="Kota Pekalongan")).to_have_count(1)
    expect(rows(page).filter(has_text="Kabupaten Pekalongan")).to_have_count(1)
    expect(page.get_by_text("Kota Metro")).to_have_count(0)


def test_search_and_switch_language(browser, live_server):
    page, problems = open_page(browser, live_server)
    try:
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.get_by_role("heading", level=1)).to_have_text("Layanan darurat 112 di seluruh Indonesia")
        # Search first: the figures and the provinces, not 514 rows.
        expect(rows(page)).to_have_count(0)
        expect(page.locator("#summary [data-figure]")).to_have_count(5)
        expect(page.locator(".by-province li[data-province]")).to_have_count(38)

        search = page.get_by_role("searchbox", name="Cari daerah")
        expect(search).to_have_attribute("placeholder", "Cari kabupaten atau kota, misalnya Pekalongan")
        search.fill("Pekalongan")
        search.press("Enter")
        expect_both_pekalongan_only(page)
        expect(page.get_by_role("status")).to_have_text("2 dari 514 daerah sesuai dengan “Pekalongan”.")
        expect(page).to_have_url(re.compile(r"/\?q=Pekalongan$"))  # HTMX pushed the search into the address

        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("112 emergency service across Indonesia")
        expect(page.get_by_role("button", name="Search")).to_be_visible()
        expect_both_pekalongan_only(page)  # the switch came back to the same search
        expect(page.get_by_role("status")).to_have_text("2 of 514 regions match “Pekalongan”.")
        expect(rows(page).first.locator(".status")).to_have_text("Not onboarded")
        expect(page.get_by_role("link", name="English")).to_have_count(0)

        page.get_by_role("link", name="Bahasa Indonesia").click()
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.get_by_role("heading", level=1)).to_have_text("Layanan darurat 112 di seluruh Indonesia")
        expect(page.get_by_role("button", name="Cari")).to_be_visible()
        expect_both_pekalongan_only(page)
        expect(rows(page).first.locator(".status")).to_have_text("Belum bergabung")

        search = page.get_by_role("searchbox", name="Cari daerah")
        expect(search).to_have_value("Pekalongan")
        search.fill("Atlantis")  # live search, no Enter
        expect(rows(page)).to_have_count(0)
        expect(page.get_by_text("Tidak ada daerah yang sesuai dengan “Atlantis”.")).to_be_visible()
        search.fill("Pekalongan")
        expect_both_pekalongan_only(page)

        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "home.png"), full_page=True)
        assert problems == []
    finally:
        page.context.close()


def test_search_works_without_javascript(browser, live_server):
    page, problems = open_page(browser, live_server, java_script_enabled=False)
    try:
        page.goto("/")
        search = page.get_by_role("searchbox", name="Cari daerah")
        search.fill("Pekalongan")
        with page.expect_navigation():
            page.get_by_role("button", name="Cari").click()
        expect(page).to_have_url(re.compile(r"/\?q=Pekalongan$"))
        expect_both_pekalongan_only(page)

        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect_both_pekalongan_only(page)
        assert problems == []
    finally:
        page.context.close()


def test_a_province_and_all_regions_on_a_phone(browser, live_server):
    page, problems = open_page(browser, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Lampung").click()
        expect(page).to_have_url(re.compile(r"/\?province=18$"))
        expect(rows(page)).to_have_count(15)
        expect(page.get_by_text("Kota Metro")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/?all=1")
        expect(rows(page)).to_have_count(514)
        expect(page.locator("section.province")).to_have_count(38)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        RESULTS.mkdir(exist_ok=True)
        page.goto("/")
        page.screenshot(path=str(RESULTS / "home-390.png"), full_page=True)
        assert problems == []
    finally:
        page.context.close()
