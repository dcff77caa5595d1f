"""The operator console and the supervisor board through the test client: a call offered by the PBX waits on the
console, the operator classifies it and opens an incident, the supervisor sees both on the board; in Indonesian,
with JavaScript off (every page is whole)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from siaga112.platform.identity import roles
from tests.test_invitations import person
from tests.test_roster_pages import page, sign_in
from tests.test_sign_in import text_of

from tests.test_incidents import LINE, a_call, pbx, tegal, web  # noqa: F401  (the Kota Tegal fixtures)


@pytest.fixture(scope="module")
def floor(database, tegal):  # noqa: F811
    return {name: person(database, role=role, tenant=tegal, name=name)
            for name, role in (("Operator Malam", roles.OPERATOR), ("Supervisor Malam", roles.SUPERVISOR),
                               ("Supervisor Pagi", roles.SUPERVISOR))}


def console(web, tegal, call_id=None):  # noqa: F811
    return page(web, f"/tenants/{tegal.slug}/console" + (f"?call={call_id}" if call_id else ""))


def test_a_ringing_call_waits_on_the_console_and_the_queue_alone_is_its_live_part(app, web, tegal, pbx, floor):  # noqa: F811
    sign_in(app, web, floor["Operator Malam"])
    ringing = a_call(web, pbx, "offered", caller=None)
    response, html = console(web, tegal)
    assert response.status_code == 200
    assert "Menunggu" in html and f"?call={ringing['id']}" in html and "nomor disembunyikan" in html
    assert 'data-live-src="/tenants/' in html and 'data-live-topics="calls"' in html
    queue, fragment = page(web, f"/tenants/{tegal.slug}/console/queue")
    assert queue.status_code == 200 and f"?call={ringing['id']}" in fragment and "<html" not in fragment


def test_the_operator_classifies_records_and_opens_an_incident_and_the_supervisor_sees_it(app, web, tegal, pbx,  # noqa: F811
                                                                                       floor):
    csrf = sign_in(app, web, floor["Operator Malam"])
    call = a_call(web, pbx, "offered", "answered", caller="+6281299990001")
    _, html = console(web, tegal, call["id"])
    assert "Panggilan saat ini" in html and "<kbd>1</kbd> Darurat" in text_of_html(html)
    saved = web.post(f"/tenants/{tegal.slug}/console/calls/{call['id']}", data={
        "csrf_token": csrf, "classification": "emergency", "category": "fire",
        "location_text": "Pasar Pagi, Jl. Veteran", "notes": "Api di kios lantai dasar"})
    assert saved.status_code == 302
    _, html = console(web, tegal, call["id"])
    assert "Panggilan disimpan." in html and 'value="emergency" data-key="1"\n                checked' in html
    opened = web.post(f"/tenants/{tegal.slug}/console/calls/{call['id']}/incident", data={
        "csrf_token": csrf, "summary": "Kebakaran kios Pasar Pagi", "priority": "urgent"})
    assert opened.status_code == 302
    _, html = console(web, tegal, call["id"])
    number = re.search(r"Kejadian (TGL-\d{4}-\d{6}) dibuka\.", html).group(1)
    second = a_call(web, pbx, "offered", "answered", caller="+6281299990002")
    _, html = console(web, tegal, second["id"])
    incident_id = re.search(r'<option value="([0-9a-f-]{36})">' + number, html).group(1)
    attached = web.post(f"/tenants/{tegal.slug}/console/calls/{second['id']}/attach",
                        data={"csrf_token": csrf, "incident_id": incident_id})
    assert attached.status_code == 302
    sign_in(app, web, floor["Supervisor Malam"])
    response, html = page(web, f"/tenants/{tegal.slug}/board")
    assert response.status_code == 200
    board = text_of(response)
    assert f"{number} · Mendesak · Kebakaran kios Pasar Pagi (2 panggilan" in board
    assert "Panggilan hari ini" in board and "Darurat" in board


def test_an_invalid_record_answers_422_in_indonesian_and_keeps_what_was_typed(app, web, tegal, pbx, floor):  # noqa: F811
    csrf = sign_in(app, web, floor["Operator Malam"])
    call = a_call(web, pbx, "offered", "answered")
    answer = web.post(f"/tenants/{tegal.slug}/console/calls/{call['id']}", data={
        "csrf_token": csrf, "latitude": "-6.87", "notes": "Penelepon panik"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Isi lintang dan bujur bersama-sama" in html and "Penelepon panik" in html


def test_the_handover_is_written_on_the_board_and_acknowledged_by_the_next_supervisor(app, web, tegal, floor):  # noqa: F811
    csrf = sign_in(app, web, floor["Supervisor Malam"])
    note = f"Ruko Pasar Pagi masih diawasi Damkar ({uuid.uuid4().hex[:6]})"
    assert web.post(f"/tenants/{tegal.slug}/board/handovers", data={"csrf_token": csrf, "note": note}).status_code == 302
    _, html = page(web, f"/tenants/{tegal.slug}/board")
    assert note in html and "Menunggu konfirmasi supervisor sif berikutnya." in html
    csrf = sign_in(app, web, floor["Supervisor Pagi"])
    _, html = page(web, f"/tenants/{tegal.slug}/board")
    handover_id = re.search(r'data-handover="([0-9a-f-]{36})">\s*<p class="muted">[^<]*</p>\s*<p>' + re.escape(note),
                            html).group(1)
    done = web.post(f"/tenants/{tegal.slug}/board/handovers/{handover_id}/acknowledge", data={"csrf_token": csrf})
    assert done.status_code == 302
    _, html = page(web, f"/tenants/{tegal.slug}/board")
    assert "Serah terima dikonfirmasi." in html


def test_an_operator_is_not_offered_the_board_and_is_refused_it(app, web, tegal, floor):  # noqa: F811
    sign_in(app, web, floor["Operator Malam"])
    response, html = console(web, tegal)
    assert f"/tenants/{tegal.slug}/board" not in html
    assert page(web, f"/tenants/{tegal.slug}/board")[0].status_code == 403


def text_of_html(html: str) -> str:
    return " ".join(re.sub(r"<(?!kbd|/kbd)[^>]+>", " ", html).split())


NOW = datetime.now(timezone.utc) - timedelta(seconds=1)


def test_the_board_lists_the_last_days_callbacks_and_every_one_on_request(app, web, database, tegal, pbx, floor):  # noqa: F811
    from sqlalchemy import update

    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.tenants.calls.models import Callback

    sign_in(app, web, floor["Supervisor Malam"])
    old, recent = (a_call(web, pbx, "offered", "ended", caller=f"+62812999900{i}") for i in (1, 2))
    with database.transaction(TenantContext(tegal.id)) as session:  # the first dropped two days ago
        session.execute(update(Callback).where(Callback.call_id == uuid.UUID(old["id"]))
                        .values(created_at=datetime.now(timezone.utc) - timedelta(days=2)))
        ids = {str(row.call_id): str(row.id) for row in session.query(Callback).all()}
    _, html = page(web, f"/tenants/{tegal.slug}/board")
    assert f'data-callback="{ids[recent["id"]]}"' in html and f'data-callback="{ids[old["id"]]}"' not in html
    _, every = page(web, f"/tenants/{tegal.slug}/board?callbacks=all")
    assert f'data-callback="{ids[old["id"]]}"' in every and "callbacks=all" in every.split("data-live-src=")[1][:200]


def test_the_callers_number_shows_only_when_asked_for_and_every_showing_is_recorded(app, web, database, tegal, pbx,  # noqa: F811
                                                                                   floor):
    from sqlalchemy import func, select

    from siaga112.platform.audit.models import AuditEntry
    from siaga112.platform.tenancy.context import TenantContext

    sign_in(app, web, floor["Operator Malam"])
    call = a_call(web, pbx, "offered", "ended", caller="+6281288887777")

    def reads() -> int:
        with database.transaction(TenantContext(tegal.id)) as session:
            return session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "call.caller_read", AuditEntry.target_id == call["id"]))

    _, html = console(web, tegal, call["id"])
    assert "+6281288887777" not in html and "Tampilkan nomor penelepon" in html and reads() == 0
    _, html = page(web, f"/tenants/{tegal.slug}/console?call={call['id']}&number=1")
    assert 'href="tel:+6281288887777"' in html and reads() == 1
