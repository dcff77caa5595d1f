"""Each role on a phone (390 × 844, Chromium): signs in, lands on its work, and reaches every page of its
menus by tapping them — the header's menu and the tenant's sections open behind their buttons — and no
page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from siaga112.platform.identity.roles import ROLES
from siaga112.platform.security import app_limiter
from tests.conftest import RESULTS, open_page
from tests.test_invitations import PASSWORD
from tests.test_navigation import EXPECTED, LANDING, people  # noqa: F401  (the fixture: one person per role)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def tap_menu(page, menu_id: str, href: str) -> None:
    """Open the menu behind its button (a phone shows only the button), then tap the entry."""
    toggle = page.locator(f'[aria-controls="{menu_id}"]')
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator(f'#{menu_id} a[href="{href}"]').click()
    page.wait_for_load_state("load")


def menu_hrefs(page, menu_id: str) -> list[str]:
    return page.locator(f"#{menu_id} a").evaluate_all("links => links.map(link => link.getAttribute('href'))")


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("role", ROLES)
def test_a_role_reaches_its_pages_from_the_menu_on_a_phone(app, browser, live_server, people, role):
    app_limiter(app).reset()
    page, problems = open_page(browser, live_server, viewport=PHONE)
    widths: dict[str, int] = {}
    try:
        page.goto("/sign-in")
        page.get_by_label("Alamat e-mail").fill(people[role].email)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(re.compile(r"/home$"))
        assert LANDING[role][0] in page.content()
        expect(page.locator("#menu")).to_be_hidden()  # collapsed behind its button on a phone
        widths["/home"] = width(page)
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"landing-{role}-390.png"), full_page=True)

        for href in menu_hrefs(page, "menu"):
            if href in widths:
                continue
            tap_menu(page, "menu", href)
            expect(page).to_have_url(re.compile(re.escape(href) + "$"))
            widths[href] = width(page)
            if page.locator("#tenant-sections").count():
                for section in menu_hrefs(page, "tenant-sections"):
                    if section not in widths:
                        tap_menu(page, "tenant-sections", section)
                        expect(page).to_have_url(re.compile(re.escape(section) + "$"))
                        widths[section] = width(page)
                        page.screenshot(path=str(RESULTS / f"{role}{section.replace('/', '-')}-390.png"))
    finally:
        page.context.close()
    wide = {path: px for path, px in widths.items() if px > PHONE["width"]}
    assert not wide, f"{role}: pages wider than a phone (px): {wide}"
    must, _must_not = EXPECTED[role]
    missing = {end for end in must if not any(path.endswith(end) for path in widths)}
    assert not missing, f"{role} could not tap its way to {missing}"
    assert [p for p in problems if "ERR_ABORTED" not in p] == []
