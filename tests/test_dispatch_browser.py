"""Dispatch in Chromium, in Bahasa Indonesia, end to end: the operator sends an incident to the police and the fire
service; the police acknowledge and report with a photo on a phone; the fire service does not answer, and the
escalation reaches the supervisor's board and e-mail; the fire service then acknowledges and reports through the
e-mailed link without an account; the incident closes; its timeline shows every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.dispatch import service
from siaga112.tenants.dispatch.models import Dispatch
from tests.conftest import open_page
from tests.test_console_browser import PHONE, fits, sign_in
from tests.test_dispatch import LINK, PNG, an_incident, pbx, region, web  # noqa: F401

pytestmark = pytest.mark.browser


def latest_link(database, incident, address) -> str:
    with database.transaction(PLATFORM) as session:
        body = session.scalar(select(OutgoingMail.body).where(
            OutgoingMail.recipient == address, OutgoingMail.subject.contains(incident["number"]))
            .order_by(OutgoingMail.id.desc()))
    return LINK.search(body).group(0)


def test_an_incident_goes_to_two_agencies_one_answers_on_a_phone_the_other_after_escalation_by_the_link(
        browser, live_server, web, pbx, region, database, tmp_path):  # noqa: F811
    incident = an_incident(web, pbx, region)
    slug = region["tenant"].slug
    people = {name: user for name, (user, _token) in region["people"].items()}

    # The operator dispatches from the incident page: the fire category ticks both agencies.
    desk, desk_problems = open_page(browser, live_server)
    sign_in(desk, people["operator"].email)
    desk.goto(f"/tenants/{slug}/incidents/{incident['id']}")
    expect(desk.get_by_role("checkbox", name="Polresta Banyumas")).to_be_checked()
    expect(desk.get_by_role("checkbox", name="Damkar Banyumas")).to_be_checked()
    desk.get_by_role("button", name="Tugaskan", exact=True).click()
    expect(desk.get_by_role("status").first).to_contain_text("Ditugaskan ke")
    expect(desk.locator('[data-incident-status]')).to_have_text("Ditugaskan, menunggu konfirmasi")

    # The police, on a phone: from the landing panel to the dispatch, one tap to acknowledge, a report with a photo.
    photo = tmp_path / "tkp.png"
    photo.write_bytes(PNG)
    police, police_problems = open_page(browser, live_server, viewport=PHONE)
    sign_in(police, people["police"].email)
    police.get_by_role("link", name="Buka penugasan").click()
    card = police.locator("article.dispatch-card").filter(has_text=incident["number"])
    card.get_by_role("button", name="Konfirmasi").click()
    expect(police.get_by_role("status").first).to_have_text("Dikonfirmasi. Terima kasih.")
    card = police.locator("article.dispatch-card").filter(has_text=incident["number"])
    card.get_by_label("Laporan tindak lanjut").fill("Lokasi diamankan, arus lalu lintas dialihkan.")
    card.get_by_label("Foto (JPEG atau PNG, tidak wajib)").set_input_files(str(photo))
    card.get_by_role("button", name="Kirim laporan").click()
    expect(police.get_by_role("status").first).to_contain_text("Laporan terkirim")
    police.locator("article.dispatch-card").filter(has_text=incident["number"]).get_by_role(
        "button", name="Tandai selesai").click()
    expect(police.get_by_role("status").first).to_have_text("Ditandai selesai. Laporan Anda sudah diterima pusat "
                                                            "panggilan.")
    expect(police.locator("article.dispatch-card").filter(has_text=incident["number"])).to_have_count(0)  # done
    assert fits(police, PHONE), "the agency page is wider than the phone"

    # The fire service does not answer: ten minutes on, the sweep (rq cron's job) escalates to the supervisor.
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        fire = session.scalar(select(Dispatch).where(Dispatch.incident_id == incident["id"],
                                                     Dispatch.agency_id == region["agencies"]["fire"]))
        sent_at = fire.sent_at
    with database.transaction(PLATFORM) as session:
        service.sweep(session, live_server, now=sent_at + timedelta(minutes=10, seconds=1))
    boss, boss_problems = open_page(browser, live_server)
    sign_in(boss, people["supervisor"].email)
    boss.goto(f"/tenants/{slug}/board")
    waiting = boss.locator(f'#unacknowledged [data-dispatch="{fire.id}"]')
    expect(waiting).to_contain_text("Damkar Banyumas")
    expect(waiting).to_contain_text("dieskalasi 2 kali")
    with database.transaction(PLATFORM) as session:
        told = session.scalar(select(OutgoingMail.subject).where(
            OutgoingMail.recipient == people["supervisor"].email, OutgoingMail.subject.contains(incident["number"])))
    assert told.startswith("ESKALASI 112")

    # The fire service answers through the link in its (reminder) e-mail, without an account, on a phone.
    link = latest_link(database, incident, "damkar@banyumas.example.go.id")
    crew, crew_problems = open_page(browser, live_server, viewport=PHONE)
    crew.goto(link)
    expect(crew.get_by_role("heading", level=1)).to_have_text("Penugasan 112 dari Kabupaten Banyumas")
    crew.get_by_role("button", name="Konfirmasi").click()
    crew.get_by_label("Laporan tindak lanjut").fill("Api padam pukul 03.40, tidak ada korban.")
    crew.get_by_label("Nama Anda").fill("Regu 2 Damkar")
    crew.get_by_role("button", name="Kirim laporan").click()
    crew.get_by_role("button", name="Tandai selesai").click()
    expect(crew.locator("article.dispatch-card")).to_have_attribute("data-status", "done")
    assert fits(crew, PHONE), "the link's page is wider than the phone"

    # The incident closed by itself; its timeline tells the whole story, on the region's clock.
    desk.goto(f"/tenants/{slug}/incidents/{incident['id']}")
    expect(desk.locator('[data-incident-status]')).to_have_text("Ditutup")
    desk.get_by_role("link", name="Linimasa untuk dicetak").click()
    timeline = desk.locator("#timeline")
    for kind in ("incident_opened", "call_answered", "dispatch_sent", "acknowledged", "photo", "reported",
                 "escalated", "done", "incident_closed"):
        expect(timeline.locator(f'li[data-kind="{kind}"]').first).to_be_visible()
    expect(timeline).to_contain_text("lewat tautan e-mail")
    expect(timeline).to_contain_text("supervisor yang bertugas diberi tahu")
    expect(desk.locator("main")).to_contain_text("Waktu menurut jam daerah (Asia/Jakarta).")
    for problems in (desk_problems, police_problems, boss_problems, crew_problems):
        # A script still loading when a tap navigates on is aborted by the browser: no fault of the page.
        assert not [problem for problem in problems if "net::ERR_ABORTED" not in problem], problems
