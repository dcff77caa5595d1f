"""The training page: records with certificates added through a form, refused uploads explained in Indonesian."""

import io
import re
import uuid

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.training.models import TrainingRecord

PDF = b"%PDF-1.5\n%%EOF\n"


@pytest.fixture(scope="module")
def palu(database):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == "72.71"))
        return found or create_tenant(session, "72.71", Actor.system("tests"))


def new_person(database, tenant, role, name):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", name, None)
        grant_role(session, user, role, tenant.id)
        return user


def sign_in(app, client, user):
    raw = uuid.uuid4().hex
    with client.session_transaction() as browser:
        browser["user_id"] = str(user.id)
        browser["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def text_of(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def records_of(database, tenant, user):
    with database.transaction(TenantContext(tenant.id)) as session:
        return session.scalars(select(TrainingRecord).where(TrainingRecord.user_id == user.id)).all()


@pytest.fixture
def admin_token(app, client, database, palu):
    return sign_in(app, client, new_person(database, palu, "regional_admin", "Admin Palu"))


def form_data(token, person, **extra):
    return {"csrf_token": token, "user_id": str(person.id), "course": "Pelatihan Operator 112",
            "provider": "Komdigi", "completed_on": "2026-02-01", "valid_until": "2028-02-01"} | extra


def test_a_record_with_its_certificate_is_added_through_the_page(client, database, palu, admin_token):
    operator = new_person(database, palu, "operator", "Dewi Operator")
    page = client.get(f"/tenants/{palu.slug}/training")
    assert "<h1>Pelatihan</h1>" in page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    response = client.post(f"/tenants/{palu.slug}/training", content_type="multipart/form-data",
                           data=form_data(admin_token, operator, certificate=(io.BytesIO(PDF), "sertifikat.pdf")))
    assert response.status_code == 302, text_of(response)
    listed = client.get(response.headers["Location"])
    assert "Catatan pelatihan ditambahkan." in text_of(listed) and "Dewi Operator" in text_of(listed)
    [created] = records_of(database, palu, operator)
    assert created.certificate_type == "application/pdf"
    download = client.get(f"/tenants/{palu.slug}/training/{created.id}/certificate")
    assert download.status_code == 200 and download.data == PDF


def test_a_file_that_is_not_a_certificate_keeps_the_record_out(client, database, palu, admin_token):
    operator = new_person(database, palu, "operator", "Eko Operator")
    response = client.post(f"/tenants/{palu.slug}/training", content_type="multipart/form-data",
                           data=form_data(admin_token, operator,
                                          certificate=(io.BytesIO(b"<svg onload=alert(1)>"), "sertifikat.pdf")))
    assert response.status_code == 415
    assert "bukan PDF/JPEG/PNG" in text_of(response)
    html = response.get_data(as_text=True)
    records_table = html.split('id="training-records"')[1].split("</table>")[0] if 'id="training-records"' in html else ""
    assert "Eko Operator" not in records_table  # the page does not show the refused record as if it were saved
    assert records_of(database, palu, operator) == []


def test_dates_in_the_wrong_order_are_explained(client, database, palu, admin_token):
    operator = new_person(database, palu, "operator", "Fajar Operator")
    response = client.post(f"/tenants/{palu.slug}/training",
                           data=form_data(admin_token, operator, valid_until="2025-01-01"))
    assert response.status_code == 422 and "sebelum tanggal pelatihan selesai" in text_of(response)


def test_a_record_is_corrected_and_deleted_from_its_page(client, database, palu, admin_token):
    operator = new_person(database, palu, "operator", "Gita Operator")
    client.post(f"/tenants/{palu.slug}/training", data=form_data(admin_token, operator))
    [created] = records_of(database, palu, operator)
    path = f"/tenants/{palu.slug}/training/{created.id}"
    assert 'id="training-edit-form"' in client.get(path).get_data(as_text=True)
    saved = client.post(path, data=form_data(admin_token, operator, course="Operator lanjutan", valid_until="",
                                             version=str(created.version)))
    assert saved.status_code == 302, text_of(saved)
    [changed] = records_of(database, palu, operator)
    assert changed.course == "Operator lanjutan" and changed.valid_until is None
    stale = client.post(f"{path}/delete", data={"csrf_token": admin_token, "version": str(created.version)})
    assert stale.status_code == 302 and records_of(database, palu, operator)
    deleted = client.post(f"{path}/delete", data={"csrf_token": admin_token, "version": str(changed.version)})
    assert deleted.status_code == 302 and records_of(database, palu, operator) == []


def test_a_supervisor_reads_the_page_without_forms(app, client, database, palu):
    sign_in(app, client, new_person(database, palu, "supervisor", "Hadi Supervisor"))
    page = client.get(f"/tenants/{palu.slug}/training")
    assert page.status_code == 200 and 'id="training-form"' not in page.get_data(as_text=True)
    assert "Terjadwal tanpa pelatihan yang berlaku" in text_of(page)
