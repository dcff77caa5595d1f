"""Agencies, numbers and the routing lookup through the API, as each role sees them."""

import uuid

import pytest
from sqlalchemy import select, text

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.oauth_service import create_machine_client
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant

ACTOR = Actor.system("tests")


def tenant_of(database, region_code):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
        return found or create_tenant(session, region_code, ACTOR)


def bearer(database, role, tenant=None):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", role.title(), None)
        grant_role(session, user, role, tenant.id if tenant else None)
        return {"Authorization": f"Bearer {issue_access_token(session, user)}"}


@pytest.fixture(scope="module")
def mataram(database):
    return tenant_of(database, "52.71")


@pytest.fixture(scope="module")
def ternate(database):
    return tenant_of(database, "82.71")


@pytest.fixture(scope="module")
def admin(database, mataram):
    return bearer(database, "regional_admin", mataram)


@pytest.fixture(scope="module")
def admin_ternate(database, ternate):
    return bearer(database, "regional_admin", ternate)


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}{rest}"


def add_agency(client, tenant, headers, **fields):
    body = {"name": f"Agency {uuid.uuid4().hex[:6]}", "kind": "fire"} | fields
    response = client.post(url(tenant, "/agencies"), json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def add_number(client, tenant, headers, **fields):
    return client.post(url(tenant, "/numbers"), json={"kind": "agency_contact", "label": ""} | fields, headers=headers)


def unique_line():
    """A valid Pekalongan-area landline no other test uses: (0285) 4xxxxx."""
    return f"0285 4{uuid.uuid4().int % 100000:05d}"


# --- agencies -------------------------------------------------------------------------------------

def test_a_regional_admin_adds_an_agency_and_reads_it_back(client, mataram, admin):
    created = add_agency(client, mataram, admin, name="Polresta Mataram", kind="police", email="polresta@example.go.id")
    assert created["affiliation"] == "vertical"  # police are an instansi vertikal unless said otherwise
    assert created["active"] is True and created["contacts"] == []
    one = client.get(url(mataram, f"/agencies/{created['id']}"), headers=admin)
    assert one.status_code == 200 and one.json["name"] == "Polresta Mataram"
    assert one.headers["ETag"]
    names = [a["name"] for a in client.get(url(mataram, "/agencies?kind=police"), headers=admin).json]
    assert "Polresta Mataram" in names


def test_an_agency_name_is_unique_in_a_region_whatever_the_case(client, mataram, admin):
    add_agency(client, mataram, admin, name="BPBD Kota Mataram", kind="disaster")
    again = client.post(url(mataram, "/agencies"), json={"name": "bpbd kota mataram", "kind": "disaster"}, headers=admin)
    assert again.status_code == 409
    assert "already an agency named" in again.json["detail"]


def test_agency_updates_need_a_fresh_etag_and_are_audited(client, database, mataram, admin):
    agency = add_agency(client, mataram, admin, name="Damkar Mataram", kind="fire")
    path = url(mataram, f"/agencies/{agency['id']}")
    etag = client.get(path, headers=admin).headers["ETag"]
    assert client.patch(path, json={"active": False}, headers=admin).status_code == 428
    changed = client.patch(path, json={"active": False, "affiliation": "opd"}, headers={**admin, "If-Match": etag})
    assert changed.status_code == 200 and changed.json["active"] is False
    stale = client.patch(path, json={"name": "Other"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    with database.transaction(TenantContext(mataram.id)) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == agency["id"])
                                  .order_by(AuditEntry.seq)).all()
    assert actions == ["agency.create", "agency.update"]


@pytest.mark.parametrize("body, field", [
    ({"kind": "fire"}, "json.name"),
    ({"name": "X", "kind": "army"}, "json.kind"),
    ({"name": "X", "kind": "fire", "affiliation": "ministry"}, "json.affiliation"),
    ({"name": "X", "kind": "fire", "email": "not-an-address"}, "json.email"),
    ({"name": "   ", "kind": "fire"}, "json.name"),
    ({"name": "Nul\x00", "kind": "fire"}, "json.name"),
])
def test_bad_agency_input_is_422_naming_the_field(client, mataram, admin, body, field):
    response = client.post(url(mataram, "/agencies"), json=body, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_operators_read_agencies_but_cannot_change_them(client, database, mataram):
    operator = bearer(database, "operator", mataram)
    assert client.get(url(mataram, "/agencies"), headers=operator).status_code == 200
    refused = client.post(url(mataram, "/agencies"), json={"name": "X", "kind": "fire"}, headers=operator)
    assert refused.status_code == 403


def test_ministry_roles_read_and_anonymous_callers_are_asked_for_a_token(client, database, mataram):
    monitor = bearer(database, "national_monitor")
    assert client.get(url(mataram, "/agencies"), headers=monitor).status_code == 200
    assert client.post(url(mataram, "/agencies"), json={"name": "X", "kind": "fire"}, headers=monitor).status_code == 403
    assert client.get(url(mataram, "/agencies")).status_code == 401


def test_another_tenants_agency_is_404(client, mataram, ternate, admin, admin_ternate):
    theirs = add_agency(client, ternate, admin_ternate, name="Polres Ternate", kind="police")
    assert client.get(url(mataram, f"/agencies/{theirs['id']}"), headers=admin).status_code == 404
    assert client.get(url(ternate, f"/agencies/{theirs['id']}"), headers=admin).status_code == 404


# --- numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["0285 421112", "(0285) 421112", "+62 285 421112", "0285-421-112"])
def test_a_number_is_stored_as_e164_and_shown_nationally(client, mataram, admin, written):
    agency = add_agency(client, mataram, admin)
    response = add_number(client, mataram, admin, number=written, agency_id=agency["id"], label="Piket")
    assert response.status_code == 201, response.json
    assert response.json["e164"] == "+62285421112"
    assert response.json["national"] == "(0285) 421112"
    contacts = client.get(url(mataram, f"/agencies/{agency['id']}"), headers=admin).json["contacts"]
    assert [c["e164"] for c in contacts] == ["+62285421112"]


def test_a_mobile_number_is_shown_with_dashes(client, mataram, admin):
    agency = add_agency(client, mataram, admin)
    response = add_number(client, mataram, admin, number="0812-3456-7890", agency_id=agency["id"])
    assert response.json["e164"] == "+6281234567890" and response.json["national"] == "0812-3456-7890"


@pytest.mark.parametrize("body, field", [
    ({"number": "hello", "kind": "inbound_line"}, "json.number"),
    ({"number": "112", "kind": "inbound_line"}, "json.number"),
    ({"number": "+1 202 555 0143", "kind": "inbound_line"}, "json.number"),
    ({"number": "0285 421112 ext. 5", "kind": "inbound_line"}, "json.number"),
    ({"number": "0" * 41, "kind": "inbound_line"}, "json.number"),
    ({"number": "0285 421112", "kind": "fax"}, "json.kind"),
    ({"number": "0285 421112", "kind": "agency_contact"}, "json.agency_id"),
    ({"number": "0285 421112", "kind": "agency_contact", "agency_id": str(uuid.uuid4())}, "json.agency_id"),
    ({"kind": "inbound_line"}, "json.number"),
])
def test_bad_number_input_is_422_naming_the_field(client, mataram, admin, body, field):
    response = client.post(url(mataram, "/numbers"), json=body, headers=admin)
    assert response.status_code == 422, response.json
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert response.json["errors"][0]["message"]


def test_a_line_takes_no_agency(client, mataram, admin, tenants):
    response = client.post(url(mataram, "/numbers"), json={"number": unique_line(), "kind": "inbound_line",
                                                           "agency_id": str(tenants["a"]["agency_id"])}, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["json.agency_id"]


def test_an_agency_of_another_tenant_cannot_be_named(client, mataram, admin, tenants):
    response = add_number(client, mataram, admin, number="0812 1111 2222", agency_id=str(tenants["b"]["agency_id"]))
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "json.agency_id", "message": "Choose an agency of this region."}]


def test_a_line_registered_in_one_region_is_refused_in_another_without_naming_it(client, mataram, ternate, admin,
                                                                                   admin_ternate):
    line = unique_line()
    first = client.post(url(mataram, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin)
    assert first.status_code == 201
    for kind in ("inbound_line", "backup_line"):
        second = client.post(url(ternate, "/numbers"), json={"number": line.replace(" ", ""), "kind": kind},
                             headers=admin_ternate)
        assert second.status_code == 409
        assert "already registered" in second.json["detail"]
        assert mataram.name not in second.json["detail"] and mataram.slug not in second.json["detail"]
        assert "Mataram" not in second.get_data(as_text=True)


def test_the_same_line_twice_in_one_region_is_409_too(client, mataram, admin):
    line = unique_line()
    assert client.post(url(mataram, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin).status_code == 201
    again = client.post(url(mataram, "/numbers"), json={"number": line, "kind": "backup_line"}, headers=admin)
    assert again.status_code == 409 and "in this region" in again.json["detail"]


def test_a_released_line_can_be_registered_elsewhere_and_not_reactivated_then(client, mataram, ternate, admin,
                                                                              admin_ternate):
    line = unique_line()
    first = client.post(url(mataram, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin).json
    path = url(mataram, f"/numbers/{first['id']}")
    etag = client.get(path, headers=admin).headers["ETag"]
    released = client.patch(path, json={"active": False}, headers={**admin, "If-Match": etag})
    assert released.status_code == 200 and released.json["active"] is False
    taken = client.post(url(ternate, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin_ternate)
    assert taken.status_code == 201
    reactivate = client.patch(path, json={"active": True}, headers={**admin, "If-Match": released.headers["ETag"]})
    assert reactivate.status_code == 409 and "already registered" in reactivate.json["detail"]


def test_an_agency_contact_may_repeat_another_regions_line(client, mataram, ternate, admin, admin_ternate):
    line = unique_line()
    assert client.post(url(mataram, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin).status_code == 201
    agency = add_agency(client, ternate, admin_ternate)
    assert add_number(client, ternate, admin_ternate, number=line, agency_id=agency["id"]).status_code == 201


def test_the_database_itself_refuses_a_second_active_line(database, mataram, ternate):
    """The rule holds below the service: a tenant-context INSERT meets the other tenant's hidden row."""
    line = "+62285" + f"4{uuid.uuid4().int % 100000:05d}"
    with database.transaction(TenantContext(mataram.id)) as session:
        session.execute(text("INSERT INTO numbers (tenant_id, e164, kind) VALUES (:t, :e, 'inbound_line')"),
                        {"t": mataram.id, "e": line})
    with pytest.raises(Exception, match="uq_numbers_active_line"):
        with database.transaction(TenantContext(ternate.id)) as session:
            assert session.execute(text("SELECT count(*) FROM numbers WHERE e164 = :e"), {"e": line}).scalar() == 0
            session.execute(text("INSERT INTO numbers (tenant_id, e164, kind) VALUES (:t, :e, 'backup_line')"),
                            {"t": ternate.id, "e": line})


def test_numbers_are_deleted_with_if_match_and_audited(client, database, mataram, admin):
    created = client.post(url(mataram, "/numbers"), json={"number": unique_line(), "kind": "backup_line"}, headers=admin)
    path = url(mataram, f"/numbers/{created.json['id']}")
    assert client.delete(path, headers=admin).status_code == 428
    assert client.delete(path, headers={**admin, "If-Match": created.headers["ETag"]}).status_code == 204
    assert client.get(path, headers=admin).status_code == 404
    with database.transaction(TenantContext(mataram.id)) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == created.json["id"])
                                  .order_by(AuditEntry.seq)).all()
    assert actions == ["number.create", "number.delete"]


def test_numbers_list_filters_and_paginates(client, mataram, admin):
    client.post(url(mataram, "/numbers"), json={"number": unique_line(), "kind": "inbound_line"}, headers=admin)
    listed = client.get(url(mataram, "/numbers?kind=inbound_line&page_size=1"), headers=admin)
    assert listed.status_code == 200 and len(listed.json) == 1 and listed.json[0]["kind"] == "inbound_line"
    assert "X-Pagination" in listed.headers


def test_another_tenants_number_is_404(client, mataram, ternate, admin, admin_ternate):
    theirs = client.post(url(ternate, "/numbers"), json={"number": unique_line(), "kind": "inbound_line"},
                         headers=admin_ternate).json
    assert client.get(url(mataram, f"/numbers/{theirs['id']}"), headers=admin).status_code == 404
    assert client.patch(url(mataram, f"/numbers/{theirs['id']}"), json={"label": "mine"},
                        headers={**admin, "If-Match": '"x"'}).status_code == 404


# --- routing lookup -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def machine(app, database, ternate):
    with database.transaction(PLATFORM) as session:
        found = session.get(Tenant, ternate.id)
        made, secret = create_machine_client(session, found, "PBX Ternate", ACTOR)
    issued = app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"},
                                    auth=(made.client_id, secret))
    return {"Authorization": f"Bearer {issued.json['access_token']}"}


def test_the_routing_lookup_names_the_lines_region(client, database, mataram, admin, machine):
    line = unique_line()
    client.post(url(mataram, "/numbers"), json={"number": line, "kind": "inbound_line"}, headers=admin)
    for headers in (machine, bearer(database, "ministry_verifier")):
        found = client.get("/api/v1/routing/lookup", query_string={"dialed": f"+62 {line[1:]}"}, headers=headers)
        assert found.status_code == 200, found.json
        assert found.json["tenant"]["slug"] == mataram.slug and found.json["kind"] == "inbound_line"
        assert found.json["tenant"]["time_zone"] == "Asia/Makassar"


def test_the_routing_lookup_is_for_platform_roles_and_machine_clients_only(client, admin):
    assert client.get("/api/v1/routing/lookup?dialed=0285421112", headers=admin).status_code == 403
    assert client.get("/api/v1/routing/lookup?dialed=0285421112").status_code == 401


def test_an_unknown_or_garbage_dialed_number(client, machine):
    unknown = client.get("/api/v1/routing/lookup?dialed=(0285) 399999", headers=machine)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    garbage = client.get("/api/v1/routing/lookup?dialed=abc", headers=machine)
    assert garbage.status_code == 422
    assert [e["field"] for e in garbage.json["errors"]] == ["query.dialed"]
    agency_contact_only = client.get("/api/v1/routing/lookup?dialed=0812-3456-7890", headers=machine)
    assert agency_contact_only.status_code == 404


def test_readiness_helpers_see_reachable_agencies_and_active_lines(client, database, admin_ternate, ternate):
    from siaga112.tenants.directory.service import active_lines, reachable_agency_kinds

    medical = add_agency(client, ternate, admin_ternate, name="PSC 119 Ternate", kind="medical")
    add_agency(client, ternate, admin_ternate, name="BPBD Ternate", kind="disaster")  # no contact: not reachable
    add_number(client, ternate, admin_ternate, number="0921 3121119", agency_id=medical["id"])
    line = client.post(url(ternate, "/numbers"), json={"number": unique_line(), "kind": "inbound_line"},
                       headers=admin_ternate).json
    with database.transaction(TenantContext(ternate.id)) as session:
        kinds = reachable_agency_kinds(session, ternate.id)
        lines = [number.e164 for number in active_lines(session, ternate.id)]
    assert "medical" in kinds and "disaster" not in kinds
    assert line["e164"] in lines
