"""The call floor in Chromium, in Bahasa Indonesia: a simulated call reaches the open console without a reload
(through the push server), the operator classifies it with the keyboard and opens an incident, and the
supervisor sees the call and the incident on the board — at desktop width and on a phone (390 px)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from babel.numbers import format_decimal
from playwright.sync_api import expect

from siaga112.platform.app import create_app
from siaga112.platform.audit.service import Actor
from siaga112.platform.db import app_database
from siaga112.platform.identity import roles
from siaga112.platform.identity.oauth_service import create_machine_client
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls import service as calls
from siaga112.tenants.calls.simulator import PROFILES, Pbx, Scenario, events_of
from siaga112.tenants.categories import service as categories
from siaga112.tenants.directory import service as directory
from tests.conftest import open_page
from tests.test_invitations import PASSWORD, person
from tests.test_onboarding_helpers import tenant_of
from tests.test_push import push_server
from tests.test_telephony_intake import add_line
from tests.test_up import free_port

pytestmark = pytest.mark.browser

PEMALANG = "33.27"  # Kabupaten Pemalang: a region no other module uses
LINE = "+62284112112"
SYSTEM = Actor.system("tests")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def pemalang(database):
    tenant = tenant_of(database, PEMALANG)
    add_line(database, tenant, LINE)
    with database.transaction(TenantContext(tenant.id)) as session:
        categories.ensure_national_categories(session, tenant.id)
        fire = directory.create_agency(session, tenant.id, {"name": "Damkar Pemalang", "kind": "fire"}, SYSTEM)
        categories.update_category(session, categories.get_category(session, tenant.id, "fire"),
                                   {"agency_ids": [fire.id]}, SYSTEM)
    return tenant


@pytest.fixture(scope="module")
def floor(database, pemalang):
    operator = person(database, f"operator-{uuid.uuid4().hex[:6]}@pemalang.go.id", "Sri Operator", roles.OPERATOR,
                      pemalang)
    supervisor = person(database, f"supervisor-{uuid.uuid4().hex[:6]}@pemalang.go.id", "Budi Supervisor",
                        roles.SUPERVISOR, pemalang)
    with database.transaction(TenantContext(pemalang.id)) as session:
        calls.set_extension(session, pemalang.id, "301", operator.id, SYSTEM)
    return operator, supervisor


@pytest.fixture(scope="module")
def site(services, pemalang):
    """The app with its push server, as `siaga112 up` runs them: pages connect to the stream of their region."""
    from werkzeug.serving import make_server

    web_port, push_port = free_port(), free_port()
    env = {**services.env, "SIAGA_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
           "SIAGA_PUSH_URL": f"http://127.0.0.1:{push_port}"}
    app = create_app(env)
    server = make_server("127.0.0.1", web_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with app_database(app).transaction(PLATFORM) as session:
        client, secret = create_machine_client(session, session.get(Tenant, pemalang.id), "PBX Pemalang", SYSTEM)
    try:
        with push_server(env, push_port):
            yield f"http://127.0.0.1:{web_port}", Pbx(f"http://127.0.0.1:{web_port}", client.client_id, secret)
    finally:
        server.shutdown()
        server.server_close()
        app_database(app).dispose()


def sign_in(page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def real(problems: list[str]) -> list[str]:
    """The page's problems, but for the push stream a navigation closes (Chromium reports it as aborted)."""
    return [problem for problem in problems if not ("/push/" in problem and "ERR_ABORTED" in problem)]


def fits(page, viewport) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def an_emergency(agent: str) -> Scenario:
    """A simulated emergency call of the city profile, offered now, answered by `agent` after 6 s."""
    assert "emergency" in PROFILES["city"].shares
    return Scenario(call_id=f"sim-{uuid.uuid4().hex[:10]}", offered_at=datetime.now(timezone.utc),
                    caller="+6281377770001", kind="emergency", answered=True, ring_seconds=6, talk_seconds=80,
                    agent=agent)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_a_simulated_call_reaches_the_console_is_classified_by_keyboard_and_shows_on_the_board(
        browser, site, pemalang, floor, viewport):
    base, pbx = site
    operator, supervisor = floor
    page, problems = open_page(browser, base, viewport=viewport)
    sign_in(page, operator.email)
    page.goto(f"/tenants/{pemalang.slug}/console")
    expect(page.get_by_role("heading", name="Konsol")).to_be_visible()
    waiting = page.locator("#waiting li")
    before = waiting.count()

    scenario = an_emergency("301")
    (offered_at, offered), (answered_at, answered), _ended = events_of(scenario, LINE)
    assert pbx.post(offered, f"{scenario.call_id}/offered")[0] == 201
    expect(waiting).to_have_count(before + 1)  # no reload: the push server told the page
    expect(page.locator("#waiting .waited").last).to_have_text(re.compile(r"^\d+:\d\d$"))
    assert pbx.post(answered, f"{scenario.call_id}/answered")[0] == 201
    on_line = page.locator("#on-line li a")
    expect(on_line.last).to_contain_text("301")
    page.reload()
    # The console opens the call this operator answered (extension 301 is theirs).
    expect(page.locator("#current-title")).to_contain_text("Panggilan saat ini · Sedang bicara")

    page.get_by_label("Kategori").select_option("fire")
    page.get_by_label("Lokasi (menurut penelepon)").fill("Jl. Jenderal Sudirman, depan alun-alun")
    page.keyboard.press("Escape")
    page.keyboard.press("1")  # Darurat, saved at once
    expect(page.get_by_role("status").first).to_have_text("Panggilan disimpan.")
    expect(page.get_by_role("radio", name="1 Darurat", exact=True)).to_be_checked()
    expect(page.locator("#suggested-agencies")).to_contain_text("Damkar Pemalang")
    page.keyboard.press("i")
    expect(page.get_by_label("Apa yang terjadi")).to_be_focused()
    page.keyboard.type("Kebakaran rumah dekat alun-alun")
    page.get_by_label("Prioritas").select_option("urgent")
    page.get_by_role("button", name="Kejadian baru").click()
    notice = page.get_by_role("status").first
    expect(notice).to_have_text(re.compile(r"^Kejadian PML-\d{4}-\d{6} dibuka\.$"))
    number = notice.inner_text().split()[1]
    expect(page.locator("#call-incident")).to_contain_text(number)
    assert fits(page, viewport), "the console is wider than the screen"
    assert not real(problems), problems

    boss, boss_problems = open_page(browser, base, viewport=viewport)
    sign_in(boss, supervisor.email)
    boss.goto(f"/tenants/{pemalang.slug}/board")
    expect(boss.get_by_role("heading", name="Papan pantau")).to_be_visible()
    expect(boss.locator(f'#open-incidents [data-incident="{number}"]')).to_contain_text(
        "Mendesak · Kebakaran rumah dekat alun-alun")
    emergencies = boss.locator('#today-calls tr[data-classification="emergency"] td')
    expect(emergencies.first).not_to_have_text("0")
    count, total = int(emergencies.first.inner_text()), int(boss.locator("#today-title .count").inner_text())
    expect(emergencies.last).to_have_text(f"{format_decimal(100 * count / total, '#,##0.#', locale='id')} %")
    assert fits(boss, viewport), "the board is wider than the screen"
    assert not real(boss_problems), boss_problems
    page.context.close()
    boss.context.close()
