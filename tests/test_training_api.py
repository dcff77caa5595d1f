"""Training records, their certificates, and who is rostered without valid training, through the API."""

import hashlib
import io
import uuid
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.roster import service as roster
from siaga112.tenants.training.service import people_without_valid_training

ACTOR = Actor.system("tests")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
MB = 1024 * 1024


def tenant_of(database, region_code):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
        return found or create_tenant(session, region_code, ACTOR)


def member(database, tenant, role="operator", name=None):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", name or role.title(), None)
        if tenant is not None:
            grant_role(session, user, role, tenant.id)
        else:
            grant_role(session, user, role)
        token = issue_access_token(session, user)
    return user, {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def batu(database):
    return tenant_of(database, "35.79")


@pytest.fixture(scope="module")
def admin(database, batu):
    return member(database, batu, "regional_admin")[1]


@pytest.fixture(scope="module")
def operator(database, batu):
    return member(database, batu, "operator", "Sari Operator")[0]


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/training-records{rest}"


def new_record(client, tenant, headers, user, **fields):
    body = {"user_id": str(user.id), "course": "Pelatihan Operator 112", "provider": "Komdigi",
            "completed_on": "2026-01-10", "valid_until": "2028-01-10"} | fields
    response = client.post(url(tenant), json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response


def upload(client, path, headers, etag, content, filename="sertifikat.pdf", mimetype="application/pdf"):
    return client.put(path, data={"file": (io.BytesIO(content), filename, mimetype)}, content_type="multipart/form-data",
                      headers={**headers, "If-Match": etag})


def stored_files(services, tenant):
    folder = services.data_dir / "files" / "training" / str(tenant.id)
    return sorted(path.name for path in folder.glob("*")) if folder.exists() else []


def test_a_regional_admin_records_training_of_a_member(client, database, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    assert created.json["person"] == {"id": str(operator.id), "name": "Sari Operator", "email": operator.email}
    assert created.json["certificate"] is None and created.headers["ETag"]
    listed = client.get(url(batu, f"?user_id={operator.id}&valid_on=2027-06-01"), headers=admin)
    assert created.json["id"] in [r["id"] for r in listed.json]
    assert client.get(url(batu, f"?user_id={operator.id}&valid_on=2029-01-01"), headers=admin).json == []


@pytest.mark.parametrize("change, field", [
    ({"course": ""}, "json.course"),
    ({"completed_on": "2026-02-30"}, "json.completed_on"),
    ({"valid_until": "2025-01-01"}, "json.valid_until"),
    ({"user_id": "not-a-uuid"}, "json.user_id"),
    ({"provider": "x" * 161}, "json.provider"),
])
def test_bad_training_input_is_422_naming_the_field(client, batu, admin, operator, change, field):
    body = {"user_id": str(operator.id), "course": "C", "provider": "P", "completed_on": "2026-01-10"} | change
    response = client.post(url(batu), json=body, headers=admin)
    assert response.status_code == 422, response.json
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_only_members_of_the_region_can_have_records_here(client, database, batu, admin, tenants):
    outsider, _ = member(database, tenants["b"]["tenant"])
    response = client.post(url(batu), json={"user_id": str(outsider.id), "course": "C", "provider": "P",
                                            "completed_on": "2026-01-10"}, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["json.user_id"]


def test_a_certificate_is_uploaded_downloaded_and_replaced(client, services, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    path = url(batu, f"/{created.json['id']}/certificate")
    before = set(stored_files(services, batu))
    uploaded = upload(client, path, admin, created.headers["ETag"], PDF, filename="../../Sertifikat Sari.pdf")
    assert uploaded.status_code == 200, uploaded.json
    certificate = uploaded.json["certificate"]
    assert certificate["content_type"] == "application/pdf" and certificate["size"] == len(PDF)
    assert certificate["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert certificate["name"] == "Sertifikat Sari.pdf"
    downloaded = client.get(path, headers=admin)
    assert downloaded.status_code == 200 and downloaded.data == PDF
    assert downloaded.mimetype == "application/pdf"
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    first_file = set(stored_files(services, batu)) - before
    assert len(first_file) == 1
    replaced = upload(client, path, admin, uploaded.headers["ETag"], PNG, filename="scan.pdf")
    assert replaced.status_code == 200 and replaced.json["certificate"]["content_type"] == "image/png"
    assert replaced.json["certificate"]["name"] == "scan.png"  # named for what it is
    now = set(stored_files(services, batu)) - before
    assert len(now) == 1 and now != first_file  # the replaced file is gone


def test_content_that_is_no_pdf_jpeg_or_png_is_415_whatever_its_name(client, services, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    path = url(batu, f"/{created.json['id']}/certificate")
    before = stored_files(services, batu)
    for content in (b"<html><script>alert(1)</script></html>", b"GIF89a" + bytes(100), b"MZ\x90\x00"):
        response = upload(client, path, admin, created.headers["ETag"], content, "sertifikat.pdf", "application/pdf")
        assert response.status_code == 415, response.json
        assert response.mimetype == "application/problem+json"
    assert stored_files(services, batu) == before
    assert client.get(url(batu, f"/{created.json['id']}"), headers=admin).json["certificate"] is None


def test_a_certificate_over_10_mb_is_413_and_nothing_is_kept(client, services, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    path = url(batu, f"/{created.json['id']}/certificate")
    before = stored_files(services, batu)
    too_big = PDF + b"0" * (10 * MB + 1 - len(PDF))
    response = upload(client, path, admin, created.headers["ETag"], too_big)
    assert response.status_code == 413 and "10 MB" in response.json["detail"]
    assert stored_files(services, batu) == before
    exactly = upload(client, path, admin, created.headers["ETag"], too_big[:10 * MB])
    assert exactly.status_code == 200


def test_an_upload_needs_the_file_field_and_if_match(client, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    path = url(batu, f"/{created.json['id']}/certificate")
    missing = client.put(path, data={"other": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data",
                         headers={**admin, "If-Match": created.headers["ETag"]})
    assert missing.status_code == 422 and [e["field"] for e in missing.json["errors"]] == ["files.file"]
    empty = upload(client, path, admin, created.headers["ETag"], b"")
    assert empty.status_code == 422 and [e["field"] for e in empty.json["errors"]] == ["files.file"]
    no_etag = client.put(path, data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data",
                         headers=admin)
    assert no_etag.status_code == 428
    assert client.get(path, headers=admin).status_code == 404  # no certificate yet


def test_records_are_corrected_and_deleted_with_their_certificate(client, database, services, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    record_path = url(batu, f"/{created.json['id']}")
    uploaded = upload(client, f"{record_path}/certificate", admin, created.headers["ETag"], PDF)
    key_count = len(stored_files(services, batu))
    corrected = client.patch(record_path, json={"valid_until": None, "course": "Operator 112 lanjutan"},
                             headers={**admin, "If-Match": uploaded.headers["ETag"]})
    assert corrected.status_code == 200 and corrected.json["valid_until"] is None
    stale = client.delete(record_path, headers={**admin, "If-Match": uploaded.headers["ETag"]})
    assert stale.status_code == 412
    assert client.delete(record_path, headers={**admin, "If-Match": corrected.headers["ETag"]}).status_code == 204
    assert len(stored_files(services, batu)) == key_count - 1
    with database.transaction(TenantContext(batu.id)) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == created.json["id"])
                                  .order_by(AuditEntry.seq)).all()
    assert actions == ["training.create", "training.certificate", "training.update", "training.delete"]


def test_readers_and_writers(client, database, batu, admin, operator):
    created = new_record(client, batu, admin, operator)
    upload(client, url(batu, f"/{created.json['id']}/certificate"), admin, created.headers["ETag"], PDF)
    _, supervisor = member(database, batu, "supervisor")
    _, verifier = member(database, None, "ministry_verifier")
    _, operator_headers = member(database, batu, "operator")
    for headers in (supervisor, verifier):
        assert client.get(url(batu), headers=headers).status_code == 200
        assert client.get(url(batu, f"/{created.json['id']}/certificate"), headers=headers).data == PDF
        refused = client.post(url(batu), json={"user_id": str(operator.id), "course": "C", "provider": "P",
                                               "completed_on": "2026-01-10"}, headers=headers)
        assert refused.status_code == 403
    assert client.get(url(batu), headers=operator_headers).status_code == 403


def test_another_tenants_record_and_certificate_are_404(client, database, batu, admin, operator, tenants):
    created = new_record(client, batu, admin, operator)
    upload(client, url(batu, f"/{created.json['id']}/certificate"), admin, created.headers["ETag"], PDF)
    _, other_admin = member(database, tenants["a"]["tenant"], "regional_admin")
    a = tenants["a"]["tenant"]
    for path in (f"/{created.json['id']}", f"/{created.json['id']}/certificate"):
        assert client.get(url(a, path), headers=other_admin).status_code == 404
        assert client.get(url(batu, path), headers=other_admin).status_code == 404


# --- rostered people without valid training -------------------------------------------------------

@pytest.fixture(scope="module")
def rostered(database, batu):
    """Three operators on the morning shift for the first ten days of March 2027 in Kota Batu."""
    names = ("Ani Terlatih", "Budi Belum", "Citra Kedaluwarsa")
    people = [member(database, batu, "operator", name)[0] for name in names]
    with database.transaction(TenantContext(batu.id)) as session:
        shift = roster.create_shift(session, batu.id, {"name": "Pagi", "code": "P", "start_time": time(7, 30),
                                                       "end_time": time(16, 0), "min_staff": 1}, ACTOR)
        for offset in range(10):
            for person in people:
                roster.add_assignment(session, batu.id, person.id, shift.id, date(2027, 3, 1) + timedelta(offset),
                                      ACTOR)
    return dict(zip(("trained", "untrained", "expiring"), people))


def test_rostered_people_without_valid_training_are_listed(client, batu, admin, rostered):
    new_record(client, batu, admin, rostered["trained"], completed_on="2026-05-01", valid_until="2028-05-01")
    new_record(client, batu, admin, rostered["expiring"], completed_on="2025-03-01", valid_until="2027-03-04")
    listed = client.get(url(batu, "/missing?from=2027-03-01&to=2027-03-10"), headers=admin)
    assert listed.status_code == 200, listed.json
    found = {row["user_id"]: row for row in listed.json}
    assert str(rostered["trained"].id) not in found
    untrained, expiring = found[str(rostered["untrained"].id)], found[str(rostered["expiring"].id)]
    assert (untrained["first_day"], untrained["days"], untrained["last_valid_until"]) == ("2027-03-01", 10, None)
    assert (expiring["first_day"], expiring["days"], expiring["last_valid_until"]) == ("2027-03-05", 6, "2027-03-04")
    assert client.get(url(batu, "/missing?from=2027-03-01&to=2027-03-04"), headers=admin).json[0]["name"] \
        == "Budi Belum"


@pytest.mark.parametrize("query, field", [("from=2027-03-10&to=2027-03-01", "query.to"),
                                          ("from=2027-01-01&to=2028-12-31", "query.to"),
                                          ("from=yesterday", "query.from")])
def test_a_bad_range_is_422_naming_the_field(client, batu, admin, query, field):
    response = client.get(url(batu, f"/missing?{query}"), headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_the_query_function_takes_any_source_of_roster_days(database, batu):
    """What onboarding's readiness check can call with days it computed itself."""
    with database.transaction(TenantContext(batu.id)) as session:
        assert people_without_valid_training(session, batu.id, {}) == []


def test_a_course_completed_in_the_future_is_refused_with_the_regions_today(client, batu, admin, operator):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(batu.time_zone)).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    body = {"user_id": str(operator.id), "course": "C", "provider": "P", "completed_on": tomorrow}
    refused = client.post(url(batu), json=body, headers=admin)
    assert refused.status_code == 422 and refused.json["code"] == "completed_in_future"
    assert refused.json["errors"] == [{"field": "json.completed_on", "message": refused.json["detail"]}]
    assert f"({today.day} {today:%b %Y})" in refused.json["detail"]  # "… after today (2 Dec 2026) in the region."
    assert new_record(client, batu, admin, operator, completed_on=today.isoformat()).status_code == 201
