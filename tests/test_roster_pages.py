"""The shifts and roster pages through the test client: who sees what, forms with CSRF, errors in Indonesian."""

from __future__ import annotations

import re
import uuid

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.test_roster_helpers import BANGKA_SELATAN, create_shifts, member, tenant_of
from tests.test_sign_in import text_of



def sign_in(app, client, user) -> str:
    """Sign `user` in on this client's session; returns a CSRF token for its forms."""
    raw = uuid.uuid4().hex
    with client.session_transaction() as browser_session:
        browser_session["user_id"] = str(user.id)
        browser_session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture(scope="module")
def bangka_selatan(database):
    return tenant_of(database, BANGKA_SELATAN)


@pytest.fixture(scope="module")
def people(database, bangka_selatan):
    admin, admin_headers = member(database, bangka_selatan, "regional_admin", name="Admin Bangka Selatan")
    operator, _ = member(database, bangka_selatan, "operator", name="Operator Toboali")
    return admin, admin_headers, operator


def page(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    return response, response.get_data(as_text=True)


def test_pages_ask_to_sign_in_first(client, bangka_selatan):
    response = client.get(f"/tenants/{bangka_selatan.slug}/roster", headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def test_the_admin_adds_the_usual_shifts_and_an_own_one_in_indonesian(app, client, bangka_selatan, people):
    admin, _headers, _operator = people
    csrf = sign_in(app, client, admin)
    base = f"/tenants/{bangka_selatan.slug}/shifts"
    response, html = page(client, base)
    assert response.status_code == 200 and '<html lang="id">' in html
    assert "Belum ada sif." in html and "Tambahkan tiga sif yang lazim" in html

    assert client.post(f"{base}/standard", data={}).status_code == 400  # no CSRF token: refused
    assert client.post(f"{base}/standard", data={"csrf_token": csrf}).status_code == 302
    _response, html = page(client, base)
    assert re.findall(r'data-shift="(\w+)"', html) == ["P", "S", "M"]
    assert "berakhir keesokan harinya" in html  # Malam ends the next day

    bad = client.post(base, data={"csrf_token": csrf, "name": "Tengah", "code": "T", "start_time": "10:00",
                                  "end_time": "10:00", "min_staff": "1"})
    assert bad.status_code == 422
    assert "Sif harus berakhir pada jam yang berbeda" in bad.get_data(as_text=True)
    taken = client.post(base, data={"csrf_token": csrf, "name": "Pagi 2", "code": "p", "start_time": "08:00",
                                    "end_time": "12:00", "min_staff": "1"})
    assert taken.status_code == 422 and "Sudah ada sif dengan kode P" in taken.get_data(as_text=True)
    wrong_time = client.post(base, data={"csrf_token": csrf, "name": "Tengah", "code": "T", "start_time": "25:00",
                                         "end_time": "14:00", "min_staff": "nol"})
    text = wrong_time.get_data(as_text=True)
    assert wrong_time.status_code == 422 and 'aria-invalid="true"' in text and "07:30" in text


def test_an_edit_with_a_stale_form_is_refused(app, client, database, bangka_selatan, people):
    admin, headers, _operator = people
    csrf = sign_in(app, client, admin)
    shift = create_shifts(client, bangka_selatan.slug, headers, shifts=(("Cadangan", "C", "09:00", "13:00"),))[0]
    path = f"/tenants/{bangka_selatan.slug}/shifts/{shift['id']}"
    _response, html = page(client, path)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    form = {"csrf_token": csrf, "name": "Cadangan", "code": "C", "start_time": "09:00", "end_time": "14:00",
            "min_staff": "2", "active": "y", "version": version}
    assert client.post(path, data=form).status_code == 302
    stale = client.post(path, data={**form, "min_staff": "3"})
    assert stale.status_code == 409 and "Orang lain telah mengubah sif ini" in stale.get_data(as_text=True)
    etag_path = f"/api/v1/tenants/{bangka_selatan.slug}/shifts/{shift['id']}"
    etag = client.get(etag_path, headers=headers).headers["ETag"]
    assert client.patch(etag_path, json={"active": False}, headers={**headers, "If-Match": etag}).status_code == 200


def test_an_operator_reads_the_roster_but_gets_no_forms(app, client, bangka_selatan, people):
    _admin, _headers, operator = people
    csrf = sign_in(app, client, operator)
    response, html = page(client, f"/tenants/{bangka_selatan.slug}/roster?month=2026-12")
    assert response.status_code == 200
    assert 'id="coverage-chart"' in html and 'id="roster-grid"' in html
    assert 'id="rotation-form"' not in html
    refused = client.post(f"/tenants/{bangka_selatan.slug}/roster/rotation/preview", data={"csrf_token": csrf},
                          headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert page(client, f"/tenants/{bangka_selatan.slug}/shifts/{uuid.uuid4()}")[0].status_code == 403


@pytest.mark.parametrize("path", ["/roster?month=2026-13", "/roster?month=soon", "/roster/days/2026-02-30",
                                  "/roster/days/1999-01-01", "/shifts/" + str(uuid.UUID(int=0))])
def test_a_bad_month_day_or_shift_is_404_not_a_crash(app, client, bangka_selatan, people, path):
    admin, _headers, _operator = people
    sign_in(app, client, admin)
    response, html = page(client, f"/tenants/{bangka_selatan.slug}{path}")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_preview_then_apply_writes_the_previewed_plan(app, client, database, bangka_selatan, people):
    admin, headers, _operator = people
    csrf = sign_in(app, client, admin)
    for n in range(4):
        member(database, bangka_selatan, "operator", name=f"Petugas {n}")
    _response, html = page(client, f"/tenants/{bangka_selatan.slug}/roster?month=2027-01")
    shift_ids = re.findall(r'name="shift_ids" type="checkbox" value="([0-9a-f-]+)" checked', html) or \
        re.findall(r'checked[^>]*name="shift_ids"[^>]*value="([0-9a-f-]+)"', html)
    user_ids = re.findall(r'checked[^>]*name="user_ids"[^>]*value="([0-9a-f-]+)"', html) or \
        re.findall(r'name="user_ids" type="checkbox" value="([0-9a-f-]+)" checked', html)
    assert len(shift_ids) == 3 and len(user_ids) == 5  # the three active shifts, every operator
    form = {"csrf_token": csrf, "first": "2027-01-01", "last": "2027-01-31", "days_per_shift": "2", "days_off": "2",
            "shift_ids": shift_ids, "user_ids": user_ids}
    preview = client.post(f"/tenants/{bangka_selatan.slug}/roster/rotation/preview", data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="apply-form"' in html and 'data-preview="true"' in html
    assert "Belum ada yang ditulis" in html
    assert client.get(f"/api/v1/tenants/{bangka_selatan.slug}/roster?from=2027-01-01&to=2027-01-31",
                      headers=headers).json == []
    digest = re.search(r'name="plan_digest" value="([0-9a-f]{64})"', html).group(1)
    applied = client.post(f"/tenants/{bangka_selatan.slug}/roster/rotation/apply", data={**form, "plan_digest": digest})
    assert applied.status_code == 302 and applied.headers["Location"].endswith("/roster?month=2027-01")
    _response, html = page(client, applied.headers["Location"])
    assert "Rotasi diterapkan" in html
    percent = float(re.search(r'id="coverage-chart"[^>]*data-coverage-percent="([0-9.]+)"', html).group(1))
    assert percent == 100.0
    again = client.post(f"/tenants/{bangka_selatan.slug}/roster/rotation/apply", data={**form, "plan_digest": "0" * 64})
    assert again.status_code == 409 and 'id="roster-error"' in again.get_data(as_text=True)


def test_a_supervisor_adds_and_removes_one_assignment_on_the_day_page(app, client, database, bangka_selatan, people):
    _admin, _headers, operator = people
    supervisor, headers = member(database, bangka_selatan, "supervisor", name="Supervisor Toboali")
    csrf = sign_in(app, client, supervisor)
    day = f"/tenants/{bangka_selatan.slug}/roster/days/2027-02-03"
    response, html = page(client, day)
    assert response.status_code == 200 and 'id="assignment-form"' in html
    shift_id = re.search(r'<option value="([0-9a-f-]+)">P · Pagi', html).group(1)
    added = client.post(day, data={"csrf_token": csrf, "user_id": str(operator.id), "shift_id": shift_id})
    assert added.status_code == 302
    twice = client.post(day, data={"csrf_token": csrf, "user_id": str(operator.id), "shift_id": shift_id})
    assert twice.status_code == 409 and "sudah bertugas pada sif P" in twice.get_data(as_text=True)
    nobody = client.post(day, data={"csrf_token": csrf, "user_id": "", "shift_id": shift_id})
    assert nobody.status_code == 422 and "Pilih seseorang." in nobody.get_data(as_text=True)
    _response, html = page(client, day)
    remove = re.search(r'action="([^"]+/delete)"', html).group(1)
    assert client.post(remove, data={"csrf_token": csrf}).status_code == 302
    assert "Tidak ada yang bertugas pada hari ini." in page(client, day)[1]


def test_a_rotation_with_nobody_ticked_is_refused_at_the_people_field(app, client, bangka_selatan, people):
    admin, headers, _operator = people
    csrf = sign_in(app, client, admin)
    _response, html = page(client, f"/tenants/{bangka_selatan.slug}/roster?month=2027-02")
    shift_ids = re.findall(r'name="shift_ids" type="checkbox" value="([0-9a-f-]+)" checked', html) or \
        re.findall(r'checked[^>]*name="shift_ids"[^>]*value="([0-9a-f-]+)"', html)
    form = {"csrf_token": csrf, "first": "2027-02-01", "last": "2027-02-28", "days_per_shift": "2", "days_off": "2",
            "shift_ids": shift_ids}  # every person unticked
    refused = client.post(f"/tenants/{bangka_selatan.slug}/roster/rotation/preview", data=form)
    assert refused.status_code == 422
    assert "Centang petugas rotasi: belum ada yang dipilih." in text_of(refused)
    assert client.get(f"/api/v1/tenants/{bangka_selatan.slug}/roster?from=2027-02-01&to=2027-02-28",
                      headers=headers).json == []
