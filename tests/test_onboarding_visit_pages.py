"""The ministry verifier's pages of field visits and telco routing, through the test client, in Indonesian.

Scheduling a visit, verdicts (and a refused not-applicable on a mandatory item), photos (a refused fake),
completing the visit, the printable report; routing after approval up to go-live; a monitoring visit after
go-live; who may read and who may write; CSRF. Everything goes through the real service and database.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from siaga112.onboarding import service
from siaga112.onboarding.checklist import checklist
from siaga112.onboarding.models import OnboardingVisit
from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from tests.test_onboarding_helpers import (PDF, PNG, actor_of, answer_everything, make_ready, person,
                                           reset_application, run, status_of, take_to_visited, tenant_of)
from tests.test_roster_pages import page, sign_in

MALANG, BLITAR, PROBOLINGGO, MADIUN = "35.73", "35.72", "35.74", "35.77"
MANDATORY = [item.code for item in checklist().mandatory]
OPTIONAL = [item.code for item in checklist().items if not item.mandatory]


def fresh_region(database, code):
    tenant = tenant_of(database, code)
    reset_application(database, tenant)
    return tenant


@pytest.fixture(scope="module")
def malang(database):
    return fresh_region(database, MALANG)


@pytest.fixture(scope="module")
def blitar(database):
    return fresh_region(database, BLITAR)


@pytest.fixture(scope="module")
def probolinggo(database):
    return fresh_region(database, PROBOLINGGO)


@pytest.fixture(scope="module")
def madiun(database):
    return tenant_of(database, MADIUN)


@pytest.fixture(scope="module")
def people(database, malang, blitar, probolinggo, madiun):
    return {
        "admin": person(database, "regional_admin", malang, "Admin Malang")[0],
        "blitar_admin": person(database, "regional_admin", blitar, "Admin Blitar")[0],
        "probolinggo_admin": person(database, "regional_admin", probolinggo, "Admin Probolinggo")[0],
        "other_admin": person(database, "regional_admin", madiun, "Admin Madiun")[0],
        "verifier": person(database, "ministry_verifier", None, "Verifikator Utama")[0],
        "second_verifier": person(database, "ministry_verifier", None, "Verifikator Pendamping")[0],
        "monitor": person(database, "national_monitor", None, "Pemantau Nasional")[0],
    }


def visits_path(tenant) -> str:
    return f"/tenants/{tenant.slug}/onboarding/visits"


def routing_path(tenant) -> str:
    return f"/tenants/{tenant.slug}/onboarding/routing"


def in_review(database, services, tenant, admin, verifier) -> None:
    """The region ready, answered, submitted and under review: a verification visit may be scheduled."""
    make_ready(database, tenant)
    answer_everything(database, services, tenant, actor_of(admin, "regional_admin"))
    run(database, tenant, service.act, "submit", None, actor_of(admin, "regional_admin"))
    run(database, tenant, service.act, "start_review", None, actor_of(verifier, "ministry_verifier"))


def visit_ids(database, tenant) -> list[uuid.UUID]:
    with database.transaction(PLATFORM) as session:
        return list(session.scalars(select(OnboardingVisit.id).where(OnboardingVisit.tenant_id == tenant.id)
                                    .order_by(OnboardingVisit.created_at)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_visit_pages_ask_to_sign_in_first(client, malang):
    response = client.get(visits_path(malang), headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def test_a_verifier_schedules_judges_photographs_and_completes_a_visit(app, client, database, services, malang,
                                                                       people):
    in_review(database, services, malang, people["admin"], people["verifier"])
    verifier, second = people["verifier"], people["second_verifier"]
    csrf = sign_in(app, client, verifier)

    response, html = page(client, visits_path(malang))
    assert response.status_code == 200 and '<html lang="id">' in html
    assert "Kunjungan lapangan" in html and 'id="no-visits"' in html and "Belum ada kunjungan." in html
    assert 'id="schedule-form"' in html and "Jadwalkan kunjungan" in html
    assert re.search(rf'value="{verifier.id}" checked', html)  # the signed-in verifier by default
    assert re.search(rf'value="{second.id}"\s*>', html)

    day = date.today() + timedelta(days=7)
    form = {"csrf_token": csrf, "kind": "verification", "scheduled_for": day.isoformat(),
            "place": "Ruang kendali 112, Balai Kota Malang", "verifier_ids": [str(verifier.id), str(second.id)],
            "note": "Bersama simulasi panggilan"}
    assert client.post(visits_path(malang), data={k: v for k, v in form.items() if k != "csrf_token"}
                       ).status_code == 400  # no CSRF token
    no_place = client.post(visits_path(malang), data={**form, "place": ""})
    assert no_place.status_code == 422 and "Sebutkan tempat kunjungan" in text_of(no_place)
    early = client.post(visits_path(malang), data={**form, "scheduled_for": (day - timedelta(days=60)).isoformat()})
    assert early.status_code == 422  # a visit before the application was submitted
    assert "Tanggal kunjungan tidak boleh sebelum permohonan diajukan (" in text_of(early)
    strange = client.post(visits_path(malang), data={**form, "verifier_ids": [str(uuid.uuid4())]})
    assert strange.status_code == 422 and "verifikator kementerian yang aktif" in text_of(strange)
    assert status_of(database, malang)[0] == "in_review"

    scheduled = client.post(visits_path(malang), data=form)
    assert scheduled.status_code == 302
    [visit_id] = visit_ids(database, malang)
    visit_path = f"{visits_path(malang)}/{visit_id}"
    assert scheduled.headers["Location"].endswith(visit_path)
    assert status_of(database, malang)[0] == "visit_scheduled"

    _response, html = page(client, visits_path(malang))
    assert "Kunjungan telah dijadwalkan." in html  # the flash, on the first page after the redirect
    row = re.search(rf'<tr data-visit="{visit_id}" data-kind="verification" data-status="scheduled">(.*?)</tr>',
                    html, re.S)
    assert row and "Terjadwal" in row.group(1) and "Kunjungan verifikasi" in row.group(1)
    assert "Verifikator Pendamping" in row.group(1) and "Verifikator Utama" in row.group(1)
    assert str(day.year) in row.group(1) and f"{visit_path}/report" in row.group(1)

    response, html = page(client, visit_path)
    assert response.status_code == 200 and "Kunjungan telah dijadwalkan." not in html
    assert len(re.findall(r'data-verdict="none"', html)) == len(MANDATORY) + len(OPTIONAL)
    assert len(re.findall(r'data-verdict-form="', html)) == len(MANDATORY) + len(OPTIONAL)
    assert html.count('value="not_applicable"') == len(OPTIONAL)  # offered only on optional items
    assert f'data-judged="0" data-total="{len(MANDATORY)}"' in html
    assert 'data-item="inbound_lines"' in html and "Hijau" in html  # the region's computed state
    letter = re.search(rf'<a href="(/tenants/{malang.slug}/onboarding/items/application_letter/evidence/[0-9a-f-]+)">',
                       html)
    assert letter and client.get(letter.group(1)).status_code == 200  # the region's document, one click away

    refused = client.post(f"{visit_path}/verdicts/application_letter",
                          data={"csrf_token": csrf, "application_letter-verdict": "not_applicable",
                                "application_letter-note": ""})
    html = text_of(refused)
    assert refused.status_code == 422 and 'id="refusal"' in html
    assert "Surat permohonan dari Bupati/Wali Kota wajib: hasilnya lulus atau tidak lulus" in html
    assert client.post(f"{visit_path}/verdicts/no_such_item",
                       data={"csrf_token": csrf, "no_such_item-verdict": "pass"}).status_code == 404

    early = client.post(f"{visit_path}/actions", data={"csrf_token": csrf, "action": "complete"})
    assert early.status_code == 409 and "Belum dinilai: Surat permohonan dari Bupati/Wali Kota." in text_of(early)

    # The form of every verdict: a refused one saves none, and shows each error at its item, the values kept.
    mixed = client.post(f"{visit_path}/verdicts", data={
        "csrf_token": csrf, "application_letter-verdict": "not_applicable", "sop-verdict": "pass",
        "sop-note": "SOP ditandatangani", "budget-note": "Belum ada anggaran"})
    html = text_of(mixed)
    assert mixed.status_code == 422 and f'data-judged="0"' in html  # sop's pass was not kept either
    assert re.search(r'id="verdict-application_letter-error">Surat permohonan dari Bupati/Wali Kota wajib', html)
    assert 'id="verdict-budget-error">Pilih lulus, tidak lulus, atau tidak berlaku.' in html  # a note needs a verdict
    assert re.search(r'id="verdict-sop-pass" name="sop-verdict" value="pass"\s+checked', html)
    assert ">SOP ditandatangani</textarea>" in html and ">Belum ada anggaran</textarea>" in html
    assert html.count("autofocus") == 1 and re.search(r'id="verdict-application_letter-pass"[^>]*autofocus', html)
    assert 'aria-describedby="verdict-budget-error"' in html
    again = client.get(f"{visit_path}/verdicts")  # the refused form's address opens the visit again
    assert again.status_code == 302 and again.headers["Location"].endswith(visit_path)
    assert client.post(f"{visit_path}/verdicts", data={"csrf_token": csrf}).status_code == 422  # nothing chosen

    # Every verdict of the visit in one submit (the items' inputs share one form).
    every = {"csrf_token": csrf} | {f"{code}-verdict": "pass" for code in MANDATORY} | {
        f"{code}-verdict": "not_applicable" for code in OPTIONAL} | {f"{code}-note": "Tidak berbatasan"
                                                                     for code in OPTIONAL}
    saved = client.post(f"{visit_path}/verdicts", data=every)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{visit_path}#save-verdicts")
    _response, html = page(client, visit_path)
    assert f"Penilaian tersimpan: {len(MANDATORY) + len(OPTIONAL)}." in html
    # The per-item form corrects one verdict.
    corrected = client.post(f"{visit_path}/verdicts/budget", data={
        "csrf_token": csrf, "budget-verdict": "fail", "budget-note": "Anggaran 2026 belum disahkan DPRD"})
    assert corrected.status_code == 302 and corrected.headers["Location"].endswith(f"{visit_path}#item-budget")
    _response, html = page(client, visit_path)
    assert "Penilaian atas" in html and f'data-judged="{len(MANDATORY)}"' in html
    assert 'data-item="budget" data-verdict="fail"' in html and "Anggaran 2026 belum disahkan DPRD" in html

    photo = client.post(f"{visit_path}/verdicts/control_room/photos",
                        data={"csrf_token": csrf, "file": (io.BytesIO(PNG), "ruang kendali.png")},
                        content_type="multipart/form-data")
    assert photo.status_code == 302 and photo.headers["Location"].endswith("#item-control_room")
    minutes = client.post(f"{visit_path}/verdicts/simulation_exercise/photos",
                          data={"csrf_token": csrf, "file": (io.BytesIO(PDF), "berita-acara.pdf")},
                          content_type="multipart/form-data")
    assert minutes.status_code == 302
    fake = client.post(f"{visit_path}/verdicts/control_room/photos",
                       data={"csrf_token": csrf, "file": (io.BytesIO(b"just some text, not a photo"), "foto.png")},
                       content_type="multipart/form-data")
    assert fake.status_code == 415 and "Isi berkas ini bukan PDF/JPEG/PNG" in text_of(fake)
    empty = client.post(f"{visit_path}/verdicts/control_room/photos",
                        data={"csrf_token": csrf, "file": (io.BytesIO(b""), "kosong.png")},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and "Berkas ini kosong." in text_of(empty)
    nothing = client.post(f"{visit_path}/verdicts/control_room/photos", data={"csrf_token": csrf},
                          content_type="multipart/form-data")
    assert nothing.status_code == 422

    _response, html = page(client, visit_path)
    assert "ruang kendali.png telah dilampirkan." not in html  # the flash was shown once, on the redirect
    link = re.search(rf'href="({re.escape(visit_path)}/verdicts/control_room/photos/[0-9a-f-]+)">ruang kendali.png<',
                     html)
    assert link and 'data-photo-count="1"' in html and "berita-acara.pdf" in html
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
    assert client.get(f"{visit_path}/verdicts/control_room/photos/{uuid.uuid4()}").status_code == 404

    done = client.post(f"{visit_path}/actions", data={"csrf_token": csrf, "action": "complete",
                                                      "note": "Simulasi berjalan baik"})
    assert done.status_code == 302 and status_of(database, malang)[0] == "visited"
    _response, html = page(client, visit_path)
    assert "Kunjungan telah selesai." in html and 'data-status="completed"' in html and "Selesai" in html
    assert "data-verdict-form" not in html and 'data-action="complete"' not in html
    late = client.post(f"{visit_path}/verdicts/budget", data={"csrf_token": csrf, "budget-verdict": "pass"})
    assert late.status_code == 409
    assert "Penilaian dan foto dicatat pada kunjungan verifikasi yang masih terjadwal." in text_of(late)

    response, html = page(client, f"{visit_path}/report")
    assert response.status_code == 200 and "Laporan kunjungan verifikasi" in html
    assert "Kota Malang (35.73)" in html and "Ruang kendali 112, Balai Kota Malang" in html
    assert "Verifikator Pendamping, Verifikator Utama" in html
    counts = dict(re.findall(r'<tr data-verdict="(\w+)" data-count="(\d+)">', html))
    assert counts == {"pass": str(len(MANDATORY) - 1), "fail": "1", "not_applicable": str(len(OPTIONAL)),
                      "none": "0"}
    assert 'data-item="budget" data-verdict="fail"' in html and "Tidak lulus" in html and "Tidak berlaku" in html
    assert "ruang kendali.png" in html and "berita-acara.pdf" in html
    assert 'id="print" data-print' in html and "print.js" in html  # the button prints (a static script, no inline JS)
    stylesheet = client.get("/assets/onboarding/visit-report.css").get_data(as_text=True)
    assert "@media print" in stylesheet and "size: A4" in stylesheet
    assert "window.print()" in client.get("/assets/onboarding/print.js").get_data(as_text=True)
    assert "Tanda tangan verifikator" in html

    client.get("/language/en")
    _response, html = page(client, f"{visit_path}/report")
    assert '<html lang="en">' in html and "Report of the verification visit" in html and "Not applicable" in html


def test_the_region_reads_and_only_a_verifier_writes(app, client, database, services, blitar, malang, people):
    in_review(database, services, blitar, people["blitar_admin"], people["verifier"])
    visit = run(database, blitar, service.schedule_visit,
                {"scheduled_for": date.today() + timedelta(days=1), "place": "Kantor Diskominfo Blitar", "verifier_ids": []},
                actor_of(people["verifier"], "ministry_verifier"))
    visit_path = f"{visits_path(blitar)}/{visit.id}"

    def writes():
        """Every kind of write on Blitar's pages (a fresh upload stream each time)."""
        return [
            (visits_path(blitar), {"kind": "verification", "scheduled_for": (date.today() + timedelta(days=1)).isoformat(), "place": "x"}),
            (visit_path, {"scheduled_for": (date.today() + timedelta(days=1)).isoformat(), "place": "x"}),
            (f"{visit_path}/verdicts/sop", {"sop-verdict": "pass"}),
            (f"{visit_path}/verdicts", {"sop-verdict": "pass"}),
            (f"{visit_path}/verdicts/sop/photos", {"file": (io.BytesIO(PNG), "sop.png")}),
            (f"{visit_path}/actions", {"action": "cancel"}),
            (f"{routing_path(blitar)}/telkomsel/actions", {"action": "activate"}),
        ]

    for reader in ("blitar_admin", "monitor"):
        csrf = sign_in(app, client, people[reader])
        for path in (visits_path(blitar), visit_path, f"{visit_path}/report", routing_path(blitar)):
            assert page(client, path)[0].status_code == 200, path
        _response, html = page(client, visit_path)
        assert "data-verdict-form" not in html and 'data-action="complete"' not in html
        _response, html = page(client, visits_path(blitar))
        assert 'id="schedule-form"' not in html and "Kantor Diskominfo Blitar" in html
        for path, data in writes():
            response = client.post(path, data={"csrf_token": csrf, **data}, content_type="multipart/form-data")
            assert response.status_code == 403, path
    assert status_of(database, blitar)[0] == "visit_scheduled"

    sign_in(app, client, people["other_admin"])  # another region's admin sees nothing of Blitar
    for path in (visits_path(blitar), visit_path, f"{visit_path}/report", routing_path(blitar)):
        assert page(client, path)[0].status_code == 404

    csrf = sign_in(app, client, people["verifier"])
    for path, data in writes():  # the verifier without a CSRF token: refused before anything happens
        assert client.post(path, data=data, content_type="multipart/form-data").status_code == 400, path
    assert page(client, f"{visits_path(blitar)}/{uuid.uuid4()}")[0].status_code == 404
    assert page(client, f"{visits_path(blitar)}/{uuid.uuid4()}/report")[0].status_code == 404
    assert client.post(f"{routing_path(blitar)}/no-such-telco/actions",
                       data={"csrf_token": csrf, "action": "activate"}).status_code == 404
    _response, html = page(client, routing_path(blitar))
    assert "Routing diminta dari operator seluler setelah permohonan disetujui." in html and 'id="routing"' not in html
    menu_entry = rf'<a href="/tenants/{blitar.slug}/onboarding"\s+aria-current="page">Persiapan 112</a>'
    assert re.search(menu_entry, html)  # the tenant menu marks the onboarding section on its sub-pages too
    refused = client.post(f"{routing_path(blitar)}/telkomsel/actions", data={"csrf_token": csrf, "action": "activate"})
    assert refused.status_code == 409 and "Routing dicatat setelah permohonan disetujui" in text_of(refused)

    moved = client.post(visit_path, data={"csrf_token": csrf, "scheduled_for": (date.today() + timedelta(days=3))
                                          .isoformat(), "place": "Pendopo Kabupaten"})
    assert moved.status_code == 302
    _response, html = page(client, visit_path)
    assert "Kunjungan telah diubah." in html and "Pendopo Kabupaten" in html
    cancelled = client.post(f"{visit_path}/actions", data={"csrf_token": csrf, "action": "cancel",
                                                           "note": "Bupati berhalangan"})
    assert cancelled.status_code == 302 and status_of(database, blitar)[0] == "in_review"
    _response, html = page(client, visit_path)
    assert "Kunjungan telah dibatalkan." in html and "Dibatalkan" in html and 'data-action="cancel"' not in html


def test_routing_after_approval_takes_the_region_live(app, client, database, services, probolinggo, people):
    admin, verifier = actor_of(people["probolinggo_admin"], "regional_admin"), actor_of(people["verifier"],
                                                                                          "ministry_verifier")
    make_ready(database, probolinggo)
    take_to_visited(database, services, probolinggo, admin, verifier)
    csrf = sign_in(app, client, people["verifier"])
    _response, html = page(client, routing_path(probolinggo))
    assert 'id="not-yet" data-status="visited"' in html and "Telah dikunjungi" in html

    run(database, probolinggo, service.act, "approve", None, verifier)
    response, html = page(client, routing_path(probolinggo))
    assert response.status_code == 200 and "Routing operator seluler" in html and 'id="not-yet"' not in html
    rows = re.findall(r'<tr id="telco-(\w+)" data-telco="\w+" data-status="(\w+)" data-required="(\w+)">', html)
    assert [status for _telco, status, _required in rows] == ["requested"] * 5
    telcos = [telco for telco, _status, _required in rows]
    assert html.count('data-action="activate"') == 5 and "Tandai aktif" in html

    def act(telco, **data):
        return client.post(f"{routing_path(probolinggo)}/{telco}/actions", data={"csrf_token": csrf, **data})

    no_note = act("telkom", action="exclude")
    assert no_note.status_code == 422 and "Jelaskan dalam catatan mengapa operator seluler ini tidak wajib." in text_of(no_note)
    assert act("telkom", action="exclude", note="Telkom tidak melayani seluler").status_code == 302
    _response, html = page(client, routing_path(probolinggo))
    assert "Telkom dikecualikan." in html and 'data-telco="telkom" data-status="requested" data-required="no"' in html
    excluded = re.search(r'<tr id="telco-telkom".*?</tr>', html, re.S).group(0)
    assert "Tidak wajib" in excluded and "Diminta" not in excluded  # an excluded telco is not shown as requested
    assert 'data-action="activate"' not in excluded and 'data-action="include"' in excluded
    assert act("telkom", action="include").status_code == 302
    assert act("telkom", action="exclude", note="Telkom tidak melayani seluler").status_code == 302
    required = [telco for telco in telcos if telco != "telkom"]

    too_soon = act("telkomsel", action="pass_test_call", from_number="0812 3456 7890")
    assert too_soon.status_code == 409 and "Uji panggilan dicatat setelah Telkomsel aktif" in text_of(too_soon)
    local = ZoneInfo(probolinggo.time_zone)
    for index, telco in enumerate(required):
        assert act(telco, action="activate").status_code == 302
        if index == 0:  # a failed test call, recorded with why; the reason is required
            no_reason = act(telco, action="fail_test_call", note=" ")
            assert no_reason.status_code == 422 and "Jelaskan mengapa uji panggilan gagal" in text_of(no_reason)
            failed = act(telco, action="fail_test_call", note="Panggilan tidak sampai ke saluran masuk",
                         from_number="0812 3456 7890")
            assert failed.status_code == 302 and failed.headers["Location"].endswith(f"#telco-{telco}")
            _response, html = page(client, routing_path(probolinggo))
            row = re.search(rf'<tr id="telco-{telco}".*?</tr>', html, re.S).group(0)
            assert 'data-status="active"' in row and f'data-failed-call="{telco}"' in row
            assert "Uji panggilan gagal" in row and "Panggilan tidak sampai ke saluran masuk" in row
            assert "dicatat beserta alasannya" in html
            with database.transaction(TenantContext(probolinggo.id)) as session:
                audited = session.scalars(select(AuditEntry.action).where(
                    AuditEntry.tenant_id == probolinggo.id, AuditEntry.action == "onboarding.routing.fail_test_call")
                ).all()
            assert len(audited) == 1
            assert client.get(f"{routing_path(probolinggo)}/{telco}/actions").status_code == 302  # reloadable
            bad = act(telco, action="pass_test_call", from_number="12")
            assert bad.status_code == 422 and 'id="refusal"' in text_of(bad)
            later = (datetime.now(local) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
            future = act(telco, action="pass_test_call", from_number="0812 3456 7890", called_at=later)
            assert future.status_code == 422 and "di masa depan" in text_of(future)
            assert status_of(database, probolinggo) == ("approved", "onboarding")
        called = (datetime.now(local) - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M") if index == 0 else ""
        assert act(telco, action="pass_test_call", from_number="0812 3456 7890", called_at=called).status_code == 302
    assert status_of(database, probolinggo) == ("live", "live")

    _response, html = page(client, routing_path(probolinggo))
    assert "112 telah aktif di Kota Probolinggo." in html  # the flash
    assert 'id="live"' in html and "112 aktif di daerah ini sejak" in html
    assert html.count('data-status="test_call_passed"') == len(required)
    assert "0812-3456-7890" in html and "Verifikator Utama" in html and 'data-action="' not in html
    after = act("telkom", action="include")
    assert after.status_code == 409 and "sebelum 112 aktif" in text_of(after)

    sign_in(app, client, people["probolinggo_admin"])
    response, html = page(client, routing_path(probolinggo))
    assert response.status_code == 200 and 'id="live"' in html and 'data-action="' not in html

    csrf = sign_in(app, client, people["verifier"])  # a monitoring visit once live, completed with its findings
    _response, html = page(client, visits_path(probolinggo))
    assert re.search(r'<option value="monitoring" selected>', html)
    scheduled = client.post(visits_path(probolinggo), data={
        "csrf_token": csrf, "kind": "monitoring", "scheduled_for": (date.today() + timedelta(days=1)).isoformat(),
        "place": "Command center Kota Probolinggo"})
    assert scheduled.status_code == 302
    visit_path = scheduled.headers["Location"].split("://", 1)[-1]
    visit_path = visit_path[visit_path.index("/tenants/"):]
    _response, html = page(client, visit_path)
    assert 'data-kind="monitoring"' in html and 'id="complete-findings"' in html and "data-verdict-form" not in html
    empty = client.post(f"{visit_path}/actions", data={"csrf_token": csrf, "action": "complete", "findings": ""})
    assert empty.status_code == 422 and "Kunjungan pemantauan diselesaikan dengan temuannya" in text_of(empty)
    done = client.post(f"{visit_path}/actions", data={
        "csrf_token": csrf, "action": "complete", "findings": "Waktu jawab rata-rata 9 detik.",
        "recommendations": "Tambah satu agen pada sif malam."})
    assert done.status_code == 302
    _response, html = page(client, f"{visit_path}/report")
    assert "Laporan kunjungan pemantauan" in html and "Waktu jawab rata-rata 9 detik." in html
    assert "Tambah satu agen pada sif malam." in html and 'data-status="completed"' in html


def test_the_visit_and_routing_pages_sit_under_the_onboarding_section_of_the_menu():
    from siaga112.platform.navigation import current_section

    sections = ["tenants_roster_web.shifts", "tenants_roster_web.roster", "onboarding_web.checklist"]
    assert current_section("onboarding_web.routing", sections) == "onboarding_web.checklist"
    assert current_section("onboarding_web.checklist", sections) == "onboarding_web.checklist"
    assert current_section("tenants_roster_web.roster", sections) == "tenants_roster_web.roster"
    assert current_section("tenants_roster_web.preview", sections) is None  # two sections share the blueprint
    assert current_section(None, sections) is None
