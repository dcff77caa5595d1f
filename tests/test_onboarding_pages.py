"""The onboarding pages through the test client: checklist, actions with CSRF, pipeline and queue, in Indonesian."""

from __future__ import annotations

import re

import pytest

from tests.test_onboarding_helpers import (actor_of, answer_everything, make_ready, person, reset_application,
                                           status_of, tenant_of)
from tests.test_roster_pages import page, sign_in

YOGYAKARTA, BANJARBARU = "34.71", "63.72"


@pytest.fixture(scope="module")
def yogyakarta(database):
    tenant = tenant_of(database, YOGYAKARTA)
    reset_application(database, tenant)
    return tenant


@pytest.fixture(scope="module")
def banjarbaru(database):
    return tenant_of(database, BANJARBARU)


@pytest.fixture(scope="module")
def people(database, yogyakarta, banjarbaru):
    return {
        "admin": person(database, "regional_admin", yogyakarta, "Admin Yogyakarta")[0],
        "operator": person(database, "operator", yogyakarta, "Operator Yogyakarta")[0],
        "other_admin": person(database, "regional_admin", banjarbaru, "Admin Banjarbaru")[0],
        "verifier": person(database, "ministry_verifier", None, "Verifikator Kemkomdigi")[0],
        "monitor": person(database, "national_monitor", None, "Pemantau Nasional")[0],
        "platform_admin": person(database, "platform_admin", None, "Admin Platform")[0],
    }


def checklist_path(tenant) -> str:
    return f"/tenants/{tenant.slug}/onboarding"


def test_the_checklist_asks_to_sign_in_first(client, yogyakarta):
    response = client.get(checklist_path(yogyakarta), headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def test_the_regional_admin_sees_the_checklist_in_indonesian(app, client, yogyakarta, people):
    sign_in(app, client, people["admin"])
    response, html = page(client, checklist_path(yogyakarta))
    assert response.status_code == 200 and '<html lang="id">' in html
    assert "Kesiapan layanan 112" in html and "Persiapan 112" in html  # heading and the section in the nav
    assert 'id="application-status">Draf<' in html
    assert re.search(r'data-progress-percent="0(\.0)?"', html)
    assert 'data-area="administration"' in html and "Administrasi" in html and "Ruang kendali" in html
    assert 'data-item="application_letter" data-state="unanswered"' in html and "Belum dijawab" in html
    assert 'data-item="inbound_lines" data-state="red"' in html and "saluran masuk 112 aktif" in html  # the reason
    assert 'data-action="submit"' in html and "Ajukan untuk verifikasi" in html
    assert 'data-action="start_review"' not in html  # the ministry's action is not offered to the region


def test_a_refused_submit_lists_what_is_missing_in_indonesian(app, client, database, yogyakarta, people):
    csrf = sign_in(app, client, people["admin"])
    path = f"{checklist_path(yogyakarta)}/actions"
    assert client.post(path, data={"action": "submit"}).status_code in (400, 422)  # no CSRF token
    response = client.post(path, data={"csrf_token": csrf, "action": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="refusal"' in html
    assert "Belum dijawab: Surat permohonan dari Bupati/Wali Kota." in html
    assert status_of(database, yogyakarta)[0] == "draft"


def test_other_roles_and_other_tenants_are_turned_away(app, client, yogyakarta, people):
    sign_in(app, client, people["other_admin"])
    assert page(client, checklist_path(yogyakarta))[0].status_code == 404
    sign_in(app, client, people["operator"])
    assert page(client, checklist_path(yogyakarta))[0].status_code == 403
    assert page(client, "/onboarding/pipeline")[0].status_code == 403
    assert page(client, "/onboarding/queue")[0].status_code == 403
    sign_in(app, client, people["monitor"])
    assert page(client, "/onboarding/queue")[0].status_code == 403
    assert page(client, "/onboarding/pipeline")[0].status_code == 200
    assert page(client, checklist_path(yogyakarta))[0].status_code == 200
    csrf = sign_in(app, client, people["monitor"])
    refused = client.post(f"{checklist_path(yogyakarta)}/actions", data={"csrf_token": csrf, "action": "withdraw"})
    assert refused.status_code == 403


def test_a_ready_region_submits_and_the_ministry_starts_the_review(app, client, database, services, yogyakarta,
                                                                   people):
    make_ready(database, yogyakarta)
    answer_everything(database, services, yogyakarta, actor_of(people["admin"], "regional_admin"))
    csrf = sign_in(app, client, people["admin"])
    _response, html = page(client, checklist_path(yogyakarta))
    assert 'data-progress-percent="100' in html and 'data-item="inbound_lines" data-state="green"' in html
    response = client.post(f"{checklist_path(yogyakarta)}/actions", data={"csrf_token": csrf, "action": "submit"})
    assert response.status_code == 302 and response.headers["Location"].endswith(checklist_path(yogyakarta))
    assert status_of(database, yogyakarta)[0] == "submitted"
    _response, html = page(client, checklist_path(yogyakarta))
    assert "Permohonan telah diajukan ke kementerian." in html and 'id="application-status">Diajukan<' in html

    csrf = sign_in(app, client, people["verifier"])
    _response, html = page(client, "/onboarding/queue")
    assert "Antrean verifikasi" in html
    row = re.search(rf'<tr data-region="{re.escape(YOGYAKARTA)}" data-stage="submitted">(.*?)</tr>', html, re.S)
    assert row and checklist_path(yogyakarta) in row.group(1)
    _response, html = page(client, checklist_path(yogyakarta))
    assert 'data-action="start_review"' in html and 'data-action="submit"' not in html
    no_note = client.post(f"{checklist_path(yogyakarta)}/actions", data={"csrf_token": csrf, "action": "reject"})
    assert no_note.status_code == 409  # rejecting a submitted application is not possible yet: listed why
    assert "tidak dapat dilakukan saat permohonan berstatus Diajukan" in no_note.get_data(as_text=True)
    moved = client.post(f"{checklist_path(yogyakarta)}/actions", data={"csrf_token": csrf, "action": "start_review"})
    assert moved.status_code == 302 and status_of(database, yogyakarta)[0] == "in_review"
    needs_note = client.post(f"{checklist_path(yogyakarta)}/actions",
                             data={"csrf_token": csrf, "action": "request_changes"})
    assert needs_note.status_code == 422 and "Jelaskan alasannya dalam catatan" in needs_note.get_data(as_text=True)
    assert status_of(database, yogyakarta)[0] == "in_review"


def test_the_pipeline_shows_every_region_by_stage(app, client, yogyakarta, people):
    sign_in(app, client, people["platform_admin"])
    response, html = page(client, "/onboarding/pipeline")
    assert response.status_code == 200 and "Alur persiapan 112" in html
    counts = {stage: int(count) for stage, count in re.findall(r'<g class="bar" data-stage="(\w+)" data-count="(\d+)"', html)}
    assert sum(counts.values()) == 514 and "no_tenant" in counts and "not_started" in counts
    assert counts["in_review"] >= 1
    _response, html = page(client, "/onboarding/pipeline?province=34&stage=in_review")
    rows = re.findall(r'<tr data-region="([\d.]+)" data-stage="(\w+)"', html)
    assert (YOGYAKARTA, "in_review") in rows and all(code.startswith("34.") and stage == "in_review"
                                                      for code, stage in rows)
    counts = {stage: int(count) for stage, count in re.findall(r'<g class="bar" data-stage="(\w+)" data-count="(\d+)"', html)}
    assert sum(counts.values()) == 5  # the Special Region of Yogyakarta has five regions
    sign_in(app, client, people["platform_admin"])
    assert page(client, "/onboarding/queue")[0].status_code == 200


def test_the_pipeline_lists_regions_without_a_tenant_a_page_at_a_time(app, client, people):
    sign_in(app, client, people["monitor"])
    _response, html = page(client, "/onboarding/pipeline")
    counts = {stage: int(count) for stage, count in re.findall(r'<g class="bar" data-stage="(\w+)" data-count="(\d+)"', html)}
    first = re.findall(r'<tr data-region="([\d.]+)" data-stage="(\w+)"', html)
    assert len(first) == 100 and first[0][0] == "11.01" and "1–100 dari 514 daerah" in html
    _response, html = page(client, "/onboarding/pipeline?page=6")
    last = re.findall(r'<tr data-region="([\d.]+)" data-stage="(\w+)"', html)
    assert len(last) == 14 and "501–514 dari 514 daerah" in html and '<strong aria-current="page">6</strong>' in html
    assert page(client, "/onboarding/pipeline?page=99")[1].count("<tr data-region=") == 14  # clamped to the last
    _response, html = page(client, "/onboarding/pipeline?stage=no_tenant&province=34")
    rows = re.findall(r'<tr data-region="([\d.]+)" data-stage="(\w+)">\s*<td>[\d.]+</td>\s*<td>(.*?)</td>', html, re.S)
    assert rows and all(stage == "no_tenant" and "<a " not in cell for _code, stage, cell in rows)
    assert len(rows) == int(re.search(r'data-stage="no_tenant" data-count="(\d+)"', html).group(1))
    assert counts["no_tenant"] > 0 and "Belum terdaftar" in html
