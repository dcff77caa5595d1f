"""Incident categories: national defaults for every tenant, renamed, disabled, added and mapped to agencies."""

import uuid

import psycopg
import pytest
from sqlalchemy import func, select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.jobs.outbox import emit, process_event
from siaga112.platform.migrate import upgrade
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.categories import jobs
from siaga112.tenants.categories.defaults import NATIONAL_CATEGORIES
from siaga112.tenants.categories.models import IncidentCategory

NATIONAL_CODES = [category.code for category in NATIONAL_CATEGORIES]


def tenant_of(database, region_code):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
        return found or create_tenant(session, region_code, Actor.system("tests"))


def bearer(database, role, tenant=None):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", role.title(), None)
        grant_role(session, user, role, tenant.id if tenant else None)
        return {"Authorization": f"Bearer {issue_access_token(session, user)}"}


def category_count(database, tenant):
    with database.transaction(TenantContext(tenant.id)) as session:
        return session.scalar(select(func.count()).select_from(IncidentCategory)
                              .where(IncidentCategory.tenant_id == tenant.id))


@pytest.fixture(scope="module")
def padang(database):
    return tenant_of(database, "13.71")


@pytest.fixture(scope="module")
def admin(database, padang):
    return bearer(database, "regional_admin", padang)


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/categories{rest}"


def agency(client, tenant, headers, kind="fire"):
    response = client.post(f"/api/v1/tenants/{tenant.slug}/agencies",
                           json={"name": f"{kind} {uuid.uuid4().hex[:6]}", "kind": kind}, headers=headers)
    return response.json["id"]


# --- seeding --------------------------------------------------------------------------------------

def test_a_new_tenant_reads_the_national_categories_at_once(client, database):
    fresh = tenant_of(database, "17.71")
    headers = bearer(database, "operator", fresh)
    listed = client.get(url(fresh, "?page_size=100"), headers=headers)
    assert listed.status_code == 200
    assert [c["code"] for c in listed.json] == NATIONAL_CODES
    assert all(c["national"] and c["active"] and c["agency_ids"] == [] for c in listed.json)
    by_code = {c["code"]: c for c in listed.json}
    assert by_code["fire"]["emergency"] and not by_code["prank"]["emergency"] and not by_code["ghost"]["emergency"]
    assert by_code["tidal_flood"]["name_id"] == "Banjir rob"
    client.get(url(fresh), headers=headers)
    assert category_count(database, fresh) == len(NATIONAL_CATEGORIES)  # seeded once, however often it is read


def test_the_tenant_created_event_seeds_the_categories_and_audits_it(database):
    with database.transaction(PLATFORM) as session:
        fresh = create_tenant(session, "74.71", Actor.system("tests"))
        event = emit(session, jobs.TENANT_CREATED, {"tenant_id": str(fresh.id)})
    assert process_event(database, event.id)
    assert category_count(database, fresh) == len(NATIONAL_CATEGORIES)
    with database.transaction(TenantContext(fresh.id)) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.tenant_id == fresh.id,
                                                        AuditEntry.action == "categories.seed"))
    assert entry.actor_kind == "system" and entry.after["codes"] == NATIONAL_CODES
    with database.transaction(PLATFORM) as session:
        again = emit(session, jobs.TENANT_CREATED, {"tenant_id": str(fresh.id)})
    assert process_event(database, again.id)  # a repeated event adds nothing
    assert category_count(database, fresh) == len(NATIONAL_CATEGORIES)


def test_the_migration_seeds_existing_tenants_and_backfills_affiliations(fresh_database):
    upgrade(fresh_database.owner, "0003")
    with psycopg.connect(fresh_database.owner) as conn:
        conn.execute("INSERT INTO provinces (code, name, time_zone) VALUES ('33', 'Jawa Tengah', 'Asia/Jakarta')")
        conn.execute("INSERT INTO regions (code, name, kind, province_code) VALUES ('33.75', 'Kota Pekalongan', 'kota', '33')")
        tenant_id = conn.execute("INSERT INTO tenants (region_code, slug) VALUES ('33.75', 'kota-pekalongan') "
                                 "RETURNING id").fetchone()[0]
        conn.execute("SELECT set_config('app.scope', 'platform', true)")
        for name, kind in (("Polres", "police"), ("Damkar", "fire"), ("PLN", "utility")):
            conn.execute("INSERT INTO agencies (tenant_id, name, kind) VALUES (%s, %s, %s)", (tenant_id, name, kind))
    upgrade(fresh_database.owner)
    with psycopg.connect(fresh_database.owner) as conn:
        conn.execute("SELECT set_config('app.scope', 'platform', true)")
        codes = [row[0] for row in conn.execute(
            "SELECT code FROM incident_categories WHERE tenant_id = %s ORDER BY position", (tenant_id,))]
        affiliations = dict(conn.execute("SELECT name, affiliation FROM agencies"))
    assert codes == NATIONAL_CODES
    assert affiliations == {"Polres": "vertical", "Damkar": "opd", "PLN": "other"}


# --- changing -------------------------------------------------------------------------------------

def test_a_regional_admin_renames_maps_and_disables_a_national_category(client, database, padang, admin):
    fire_brigade = agency(client, padang, admin, "fire")
    path = url(padang, "/fire")
    current = client.get(path, headers=admin)
    assert client.patch(path, json={"name_id": "Kebakaran"}, headers=admin).status_code == 428
    changed = client.patch(path, json={"name_id": "Kebakaran / Damkar", "agency_ids": [fire_brigade]},
                           headers={**admin, "If-Match": current.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["name_id"] == "Kebakaran / Damkar" and changed.json["agency_ids"] == [fire_brigade]
    assert changed.headers["ETag"] != current.headers["ETag"]
    stale = client.patch(path, json={"active": False}, headers={**admin, "If-Match": current.headers["ETag"]})
    assert stale.status_code == 412
    disabled = client.patch(path, json={"active": False}, headers={**admin, "If-Match": changed.headers["ETag"]})
    assert disabled.json["active"] is False and disabled.json["agency_ids"] == [fire_brigade]
    listed = client.get(url(padang, "?active=false"), headers=admin).json
    assert [c["code"] for c in listed] == ["fire"]
    with database.transaction(TenantContext(padang.id)) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == padang.id,
                                                                  AuditEntry.action.like("category.%"))).all()
    assert actions.count("category.update") >= 2


def test_remapping_replaces_the_agencies_and_only_this_regions_agencies_count(client, padang, admin, tenants):
    police, ambulance = agency(client, padang, admin, "police"), agency(client, padang, admin, "medical")
    path = url(padang, "/traffic_accident")
    etag = client.get(path, headers=admin).headers["ETag"]
    both = client.patch(path, json={"agency_ids": [police, ambulance]}, headers={**admin, "If-Match": etag})
    assert sorted(both.json["agency_ids"]) == sorted([police, ambulance])
    one = client.patch(path, json={"agency_ids": [ambulance]}, headers={**admin, "If-Match": both.headers["ETag"]})
    assert one.json["agency_ids"] == [ambulance]
    foreign = client.patch(path, json={"agency_ids": [str(tenants["b"]["agency_id"])]},
                           headers={**admin, "If-Match": one.headers["ETag"]})
    assert foreign.status_code == 422
    assert [e["field"] for e in foreign.json["errors"]] == ["json.agency_ids"]


def test_a_national_categorys_emergency_flag_and_existence_are_national(client, padang, admin):
    path = url(padang, "/prank")
    etag = client.get(path, headers=admin).headers["ETag"]
    flagged = client.patch(path, json={"emergency": True}, headers={**admin, "If-Match": etag})
    assert flagged.status_code == 422 and [e["field"] for e in flagged.json["errors"]] == ["json.emergency"]
    deleted = client.delete(path, headers={**admin, "If-Match": etag})
    assert deleted.status_code == 409 and "deactivate" in deleted.json["detail"]
    assert deleted.json["code"] == "national_delete"


def test_a_region_adds_deletes_its_own_category(client, padang, admin):
    gas = agency(client, padang, admin, "fire")
    body = {"code": "gas_leak", "name_id": "Kebocoran gas", "name_en": "Gas leak", "emergency": True,
            "agency_ids": [gas]}
    created = client.post(url(padang), json=body, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["national"] is False and created.json["agency_ids"] == [gas]
    assert client.post(url(padang), json=body, headers=admin).status_code == 409
    assert client.post(url(padang), json=body | {"code": "fire"}, headers=admin).status_code == 409
    path = url(padang, "/gas_leak")
    etag = client.get(path, headers=admin).headers["ETag"]
    not_urgent = client.patch(path, json={"emergency": False}, headers={**admin, "If-Match": etag})
    assert not_urgent.status_code == 200 and not_urgent.json["emergency"] is False
    assert client.delete(path, headers={**admin, "If-Match": not_urgent.headers["ETag"]}).status_code == 204
    assert client.get(path, headers=admin).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"code": "Gas Leak", "name_id": "a", "name_en": "a", "emergency": True}, "json.code"),
    ({"code": "x", "name_id": "a", "name_en": "a", "emergency": True}, "json.code"),
    ({"code": "gas__leak", "name_id": "a", "name_en": "a", "emergency": True}, "json.code"),
    ({"code": "gas", "name_id": " ", "name_en": "a", "emergency": True}, "json.name_id"),
    ({"code": "gas", "name_id": "a", "name_en": "a"}, "json.emergency"),
    ({"code": "gas", "name_id": "a", "name_en": "a", "emergency": True, "agency_ids": ["nope"]}, "json.agency_ids.0"),
    ({"code": "gas", "name_id": "a", "name_en": "a", "emergency": True, "agency_ids": [str(uuid.uuid4())]},
     "json.agency_ids"),
])
def test_bad_category_input_is_422_naming_the_field(client, padang, admin, body, field):
    response = client.post(url(padang), json=body, headers=admin)
    assert response.status_code == 422, response.json
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_who_reads_and_who_writes(client, database, padang, tenants):
    operator, monitor = bearer(database, "operator", padang), bearer(database, "national_monitor")
    for headers in (operator, monitor):
        assert client.get(url(padang, "/flood"), headers=headers).status_code == 200
    body = {"code": "x_ray", "name_id": "a", "name_en": "a", "emergency": False}
    assert client.post(url(padang), json=body, headers=operator).status_code == 403
    assert client.post(url(padang), json=body, headers=monitor).status_code == 403
    responder = bearer(database, "supervisor", tenants["b"]["tenant"])
    assert client.get(url(padang, "/flood"), headers=responder).status_code == 404
    assert client.get(url(padang)).status_code == 401


def test_a_path_that_cannot_be_a_code_is_404_not_a_crash(client, padang, admin):
    for code in ("%00", "FIRE", "a" * 300, "fire%20"):
        assert client.get(url(padang, f"/{code}"), headers=admin).status_code == 404
