"""The platform admin's pages: tenants from the registry, people with platform roles, API clients (the secret
shown once). Each refused for every other role, and audited."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity.models import PlatformRole, User
from siaga112.platform.identity.oauth_models import OAuthClient
from siaga112.platform.identity.oauth_service import digest
from siaga112.platform.regions.models import Region
from siaga112.platform.security import app_limiter
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from tests.test_invitations import PASSWORD, person
from tests.test_people_pages import RESET_LINK, newest_mail, page_token
from tests.test_sign_in import csrf_token, post_sign_in, text_of


@pytest.fixture
def platform_admin(app, database):
    app_limiter(app).reset()
    user = person(database, name="Admin Platform Uji", role="platform_admin")
    browser = app.test_client()
    assert post_sign_in(browser, user.email, PASSWORD).status_code == 302
    return browser


def test_a_machine_client_is_created_from_the_page_and_its_secret_shown_once(platform_admin, database, tenants):
    token = page_token(platform_admin, "/admin/clients")
    created = platform_admin.post("/admin/clients", data={"csrf_token": token, "tenant": tenants["a"]["tenant"].slug,
                                                          "name": "PBX Kota Pekalongan"})
    assert created.status_code == 201
    assert "no-store" in created.headers["Cache-Control"]
    html = created.get_data(as_text=True)
    client_id = re.search(r'<code id="client-id">([^<]+)</code>', html).group(1)
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', html).group(1)
    with database.transaction(PLATFORM) as session:
        client = session.get(OAuthClient, client_id)
        assert client.tenant_id == tenants["a"]["tenant"].id and client.client_secret_hash == digest(secret)
    assert secret not in platform_admin.get("/admin/clients").get_data(as_text=True)  # never again

    revoked = platform_admin.post(f"/admin/clients/{client_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    with database.transaction(PLATFORM) as session:
        assert session.get(OAuthClient, client_id).revoked_at is not None
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == client_id)
                              .order_by(AuditEntry.seq.desc()).limit(1)) == "oauth_client.revoke"

    unnamed = platform_admin.post("/admin/clients", data={"csrf_token": token, "tenant": "", "name": ""})
    assert unnamed.status_code == 422 and "Pilih daerah." in text_of(unnamed)


def test_a_tenant_is_created_from_the_registry_on_the_page(platform_admin, database):
    token = page_token(platform_admin, "/admin/tenants")
    with database.transaction(PLATFORM) as session:  # the last kabupaten/kota without a tenant yet
        taken = set(session.scalars(select(Tenant.region_code)))
        code = next(c for c in session.scalars(select(Region.code).where(Region.code.contains("."))
                                               .order_by(Region.code.desc())) if c not in taken)
    created = platform_admin.post("/admin/tenants", data={"csrf_token": token, "region_code": f"{code} Nama"})
    assert created.status_code == 302
    with database.transaction(PLATFORM) as session:
        assert session.scalar(select(Tenant).where(Tenant.region_code == code)) is not None
    again = platform_admin.post("/admin/tenants", data={"csrf_token": token, "region_code": code})
    assert again.status_code == 409 and "sudah" in text_of(again)
    unknown = platform_admin.post("/admin/tenants", data={"csrf_token": token, "region_code": "99.99"})
    assert unknown.status_code == 422
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*autofocus[^>]*>|<input[^>]*autofocus[^>]*aria-invalid',
                     unknown.get_data(as_text=True))


def test_a_platform_role_is_given_and_a_new_person_chooses_a_password(platform_admin, app, database):
    email = f"verif-{uuid.uuid4().hex[:6]}@kemendagri.go.id"
    token = page_token(platform_admin, "/admin/people")
    given = platform_admin.post("/admin/people", data={"csrf_token": token, "email": email, "name": "Verifikator Baru",
                                                       "role": "ministry_verifier"})
    assert given.status_code == 302
    link = RESET_LINK.search(newest_mail(database, email)).group(1)
    browser = app.test_client()
    page = browser.get(f"/password-reset/{link}")
    assert page.status_code == 200
    chosen = browser.post(f"/password-reset/{link}", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                           "password": "verifikasi lapangan 2026",
                                                           "confirm": "verifikasi lapangan 2026"})
    assert chosen.status_code == 302
    assert "Antrean verifikasi" in text_of(browser.get("/home"))

    with database.transaction(PLATFORM) as session:
        user = session.scalar(select(User).where(User.email == email))
    removed = platform_admin.post(f"/admin/people/{user.id}/roles/ministry_verifier/revoke",
                                  data={"csrf_token": token})
    assert removed.status_code == 302
    with database.transaction(PLATFORM) as session:
        assert session.get(PlatformRole, (user.id, "ministry_verifier")) is None


@pytest.mark.parametrize("role", ["ministry_verifier", "national_monitor", "regional_admin", "operator"])
def test_the_admin_pages_are_the_platform_admins_only(app, database, tenants, role):
    app_limiter(app).reset()
    user = person(database, role=role, tenant=None if role in ("ministry_verifier", "national_monitor")
                  else tenants["a"]["tenant"])
    browser = app.test_client()
    post_sign_in(browser, user.email, PASSWORD)
    for path in ("/admin/tenants", "/admin/people", "/admin/clients"):
        refused = browser.get(path, headers={"Accept": "text/html"})
        assert refused.status_code == 403, path
        assert "Hanya Admin platform yang boleh melakukan ini" in text_of(refused)
