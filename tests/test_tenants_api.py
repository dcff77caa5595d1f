"""Tenants, members and the audit log through the API, as each role sees them."""

import uuid

import pytest

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.service import create_tenant, find_tenant
from tests.test_invitations import accept_by_password, invitation_link

PASSWORD = "correct horse battery staple"


def person(database, role, tenant=None, agency_id=None):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", role.replace("_", " ").title(),
                           PASSWORD)
        grant_role(session, user, role, tenant.id if tenant else None, agency_id)
        return {"Authorization": f"Bearer {issue_access_token(session, user)}"}


@pytest.fixture(scope="module")
def platform_admin(database):
    return person(database, "platform_admin")


@pytest.fixture(scope="module")
def own_tenant(database):
    """Kota Banjarmasin, for tests that change a tenant's state."""
    with database.transaction(PLATFORM) as session:
        return find_tenant(session, "kota-banjarmasin") or create_tenant(session, "63.71", Actor.system("tests"))


@pytest.fixture(scope="module")
def own_admin(database, own_tenant):
    return person(database, "regional_admin", own_tenant)


def test_platform_admin_creates_a_tenant_once(client, platform_admin):
    created = client.post("/api/v1/tenants", json={"region_code": "36.71"}, headers=platform_admin)
    assert created.status_code == 201, created.json
    assert created.json["slug"] == "kota-tangerang"
    assert created.json["name"] == "Kota Tangerang"
    assert created.json["time_zone"] == "Asia/Jakarta"
    assert created.json["status"] == "prospect"
    again = client.post("/api/v1/tenants", json={"region_code": "36.71"}, headers=platform_admin)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert "Kota Tangerang already has a tenant" in again.json["detail"]


def test_a_tenant_in_wita_and_wit_gets_its_time_zone(client, platform_admin):
    assert client.post("/api/v1/tenants", json={"region_code": "71.71"}, headers=platform_admin).json["time_zone"] \
        == "Asia/Makassar"
    assert client.post("/api/v1/tenants", json={"region_code": "91.71"}, headers=platform_admin).json["time_zone"] \
        == "Asia/Jayapura"


@pytest.mark.parametrize("body, field", [({"region_code": "99.99"}, "json.region_code"),
                                         ({"region_code": "3375"}, "json.region_code"),
                                         ({}, "json.region_code")])
def test_a_bad_region_is_422_naming_the_field(client, platform_admin, body, field):
    response = client.post("/api/v1/tenants", json=body, headers=platform_admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_only_a_platform_admin_creates_tenants(client, tenants, database):
    admin_a = person(database, "regional_admin", tenants["a"]["tenant"])
    assert client.post("/api/v1/tenants", json={"region_code": "32.73"}, headers=admin_a).status_code == 403
    anonymous = client.post("/api/v1/tenants", json={"region_code": "32.73"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_garbage_token_is_401_not_a_crash(client):
    response = client.get("/api/v1/tenants", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_each_principal_lists_what_it_may_see(client, database, tenants, platform_admin):
    everyone = {t["slug"] for t in client.get("/api/v1/tenants?page_size=600", headers=platform_admin).json}
    assert {"kota-pekalongan", "kota-metro"} <= everyone
    admin_a = person(database, "regional_admin", tenants["a"]["tenant"])
    assert [t["slug"] for t in client.get("/api/v1/tenants", headers=admin_a).json] == ["kota-pekalongan"]


def test_tenant_updates_need_a_fresh_etag(client, own_tenant, own_admin):
    path = f"/api/v1/tenants/{own_tenant.slug}"
    current = client.get(path, headers=own_admin)
    etag = current.headers["ETag"]
    assert client.patch(path, json={"address": "Jl. Lambung Mangkurat"}, headers=own_admin).status_code == 428
    changed = client.patch(path, json={"address": "Jl. Lambung Mangkurat"}, headers={**own_admin, "If-Match": etag})
    assert changed.status_code == 200 and changed.json["address"] == "Jl. Lambung Mangkurat"
    assert changed.headers["ETag"] != etag
    stale = client.patch(path, json={"address": "Elsewhere"}, headers={**own_admin, "If-Match": etag})
    assert stale.status_code == 412


def test_a_regional_admin_cannot_change_the_status(client, own_tenant, own_admin):
    path = f"/api/v1/tenants/{own_tenant.slug}"
    etag = client.get(path, headers=own_admin).headers["ETag"]
    response = client.patch(path, json={"status": "live"}, headers={**own_admin, "If-Match": etag})
    assert response.status_code == 403
    assert "status" in response.json["detail"]


def test_members_of_a_suspended_tenant_are_told_so(client, own_tenant, own_admin, platform_admin):
    path = f"/api/v1/tenants/{own_tenant.slug}"

    def set_status(status):
        etag = client.get(path, headers=platform_admin).headers["ETag"]
        assert client.patch(path, json={"status": status}, headers={**platform_admin, "If-Match": etag}).status_code == 200

    set_status("suspended")
    try:
        refused = client.get(path, headers=own_admin)
        assert refused.status_code == 403
        assert "suspended" in refused.json["detail"]
        assert client.get(path, headers=platform_admin).status_code == 200
    finally:
        set_status("prospect")
    assert client.get(path, headers=own_admin).status_code == 200


def test_a_regional_admin_manages_members_of_their_tenant_only(app, client, database, own_tenant, own_admin, tenants):
    members = f"/api/v1/tenants/{own_tenant.slug}/members"
    invited = client.post(members, json={"email": "Siti@Example.go.id", "name": "Siti Rahma", "role": "operator"},
                          headers=own_admin)
    assert invited.status_code == 202, invited.json
    assert invited.json["email"] == "Siti@example.go.id" and invited.json["role"] == "operator"
    accept_by_password(app, invitation_link(database, "Siti@example.go.id"))
    duplicate = client.post(members, json={"email": "siti@example.go.id", "name": "Siti", "role": "operator"},
                            headers=own_admin)
    assert duplicate.status_code == 409

    joined = next(m for m in client.get(members, headers=own_admin).json if m["email"] == "Siti@example.go.id")
    member = f"{members}/{joined['id']}"
    etag = client.get(member, headers=own_admin).headers["ETag"]
    promoted = client.patch(member, json={"role": "supervisor"}, headers={**own_admin, "If-Match": etag})
    assert promoted.status_code == 200 and promoted.json["role"] == "supervisor"

    elsewhere = f"/api/v1/tenants/{tenants['b']['tenant'].slug}/members"
    assert client.post(elsewhere, json={"email": "x@example.go.id", "name": "X", "role": "operator"},
                       headers=own_admin).status_code == 404

    etag = client.get(member, headers=own_admin).headers["ETag"]
    assert client.delete(member, headers={**own_admin, "If-Match": etag}).status_code == 204
    assert client.get(member, headers=own_admin).status_code == 404


@pytest.mark.parametrize("body, message", [
    ({"role": "platform_admin"}, "tenant role"),
    ({"role": "ministry_verifier"}, "tenant role"),
    ({"role": "agency_responder"}, "agency"),
])
def test_a_regional_admin_can_never_grant_a_platform_role(client, own_tenant, own_admin, body, message):
    response = client.post(f"/api/v1/tenants/{own_tenant.slug}/members",
                           json={"email": "someone@example.go.id", "name": "Someone", **body}, headers=own_admin)
    assert response.status_code == 422
    assert message in response.json["detail"] + str(response.json.get("errors"))


def test_an_agency_of_another_tenant_cannot_be_granted(client, own_tenant, own_admin, tenants):
    response = client.post(f"/api/v1/tenants/{own_tenant.slug}/members",
                           json={"email": "responder@example.go.id", "name": "Responder", "role": "agency_responder",
                                 "agency_id": str(tenants["b"]["agency_id"])}, headers=own_admin)
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "json.agency_id", "message": "Choose an agency of this region."}]


def test_the_audit_log_shows_every_change_newest_first(client, database, own_tenant, own_admin):
    client.post(f"/api/v1/tenants/{own_tenant.slug}/members",
                json={"email": "audited@example.go.id", "name": "Audited", "role": "operator"}, headers=own_admin)
    entries = client.get(f"/api/v1/tenants/{own_tenant.slug}/audit", headers=own_admin).json
    assert entries[0]["action"] == "invitation.create"
    assert entries[0]["role"] == "regional_admin" and entries[0]["request_id"]
    assert entries[0]["after"]["email"] == "audited@example.go.id"
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs, reverse=True)
    operator = person(database, "operator", own_tenant)
    assert client.get(f"/api/v1/tenants/{own_tenant.slug}/audit", headers=operator).status_code == 403


def test_a_tenant_request_hands_its_context_to_postgresql_once(client, database, tenants):
    """The token names the tenant, so the session begins in that tenant's context: one set_config, not two."""
    from sqlalchemy import event

    headers = person(database, "regional_admin", tenants["a"]["tenant"])
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}"
    assert client.get(path, headers=headers).status_code == 200  # the first reads the person's grants in force
    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        assert client.get(path, headers=headers).status_code == 200
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)
    assert sum("set_config" in statement for statement in statements) == 1
    assert not any("memberships" in statement for statement in statements)  # grants came from the process's cache
