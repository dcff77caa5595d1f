"""What operators and supervisors record of calls: category, location and notes, incidents numbered per region
and year (several calls to one), the callback list, shift handovers and the extensions people answer on."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.identity import roles
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.incidents import next_number, number_prefix
from siaga112.tenants.calls.models import Call, Callback
from siaga112.tenants.categories.service import ensure_national_categories
from tests.test_invitations import bearer, person
from tests.test_onboarding_helpers import tenant_of
from tests.test_telephony_intake import add_line, machine_token, surakarta  # noqa: F401,F811  (Kota Surakarta's fixture)

TEGAL = "33.76"  # Kota Tegal: a region no other module uses
LINE = "+62283112112"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def web(app):
    return app.test_client()


@pytest.fixture(scope="module")
def tegal(database):
    tenant = tenant_of(database, TEGAL)
    add_line(database, tenant, LINE)
    with database.transaction(TenantContext(tenant.id)) as session:  # the tenant.created handler's work, done now
        ensure_national_categories(session, tenant.id)
    return tenant


@pytest.fixture(scope="module")
def pbx(web, database, tegal):
    return machine_token(web, database, tegal)


@pytest.fixture(scope="module")
def staff(database, tegal):
    people = {name: person(database, role=role, tenant=tegal, name=name.title())
              for name, role in (("operator", roles.OPERATOR), ("supervisor", roles.SUPERVISOR),
                                 ("incoming", roles.SUPERVISOR))}
    return {name: (user, bearer(database, user)) for name, user in people.items()}


def a_call(web, pbx, *kinds, caller="+6281234500001", **extra):
    """A call with these events (offered 10 s ago, answered after 5 s, ended now), as the PBX would post it."""
    call_id, times = f"t-{uuid.uuid4().hex[:12]}", {"offered": -10, "answered": -5, "ended": 0}
    for sequence, kind in enumerate(kinds or ("offered", "answered")):
        at = (NOW + timedelta(seconds=times[kind])).isoformat()
        answer = web.post("/api/v1/telephony/events", headers=pbx, json={
            "event": kind, "call_id": call_id, "dialed": LINE, "caller": caller, "at": at, "sequence": sequence,
            **extra})
        assert answer.status_code == 201, answer.json
    return answer.json["call"]


def patch(web, path, headers, body):
    etag = web.get(path, headers=headers).headers["ETag"]
    return web.patch(path, headers={**headers, "If-Match": etag}, json=body)


def calls_path(tenant, call_id=""):
    return f"/api/v1/tenants/{tenant.slug}/calls/{call_id}"


def test_the_prefix_is_three_letters_of_the_regions_name():
    assert number_prefix("Kota Pekalongan") == "PKL"
    assert number_prefix("Kabupaten Lampung Barat") == "LMP"
    assert number_prefix("Kota Batu") == "BTA"
    assert number_prefix("Kota Administrasi Jakarta Pusat") == "JKR"


def test_an_operator_records_category_location_and_notes_and_the_audit_keeps_no_typed_text(web, database, tegal,
                                                                                             pbx, staff):
    call = a_call(web, pbx)
    _, operator = staff["operator"]
    answer = patch(web, calls_path(tegal, call["id"]), operator, {
        "classification": "emergency", "category": "fire", "location_text": "Jl. Kapten Sudibyo, dekat pasar",
        "latitude": -6.8694, "longitude": 109.1402, "notes": "Asap tebal dari ruko lantai dua"})
    assert answer.status_code == 200, answer.json
    recorded = answer.json
    assert recorded["category"] == "fire" and recorded["classification"] == "emergency"
    assert recorded["location"]["text"] == "Jl. Kapten Sudibyo, dekat pasar"
    assert recorded["location"]["method"] == "manual" and recorded["location"]["latitude"] == -6.8694
    with database.transaction(TenantContext(tegal.id)) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "call.update",
                                                         AuditEntry.target_id == call["id"])).one()
    assert entry.after["located"] is True and entry.after["notes"] is True
    assert "Sudibyo" not in str(entry.after) and "Asap" not in str(entry.after)


@pytest.mark.parametrize("body, field", [({"category": "no_such_thing"}, "category"),
                                         ({"latitude": -6.87}, "longitude"),
                                         ({"incident_id": str(uuid.uuid4())}, "incident_id")])
def test_what_cannot_be_recorded_is_a_422_naming_the_field(web, tegal, pbx, staff, body, field):
    call = a_call(web, pbx)
    answer = patch(web, calls_path(tegal, call["id"]), staff["operator"][1], body)
    assert answer.status_code == 422, answer.json
    assert [error["field"] for error in answer.json["errors"]] == [f"json.{field}"]


def test_the_aml_position_sent_with_an_event_is_the_calls(web, pbx):
    fix = {"latitude": -6.87, "longitude": 109.14, "radius_m": 15, "method": "gnss", "at": NOW.isoformat()}
    call = a_call(web, pbx, "offered", location=fix)
    assert call["location"] == {"text": None, "latitude": -6.87, "longitude": 109.14, "radius_m": 15, "method": "gnss",
                                "at": call["location"]["at"]}


def test_five_calls_about_one_fire_are_one_incident_numbered_by_region_and_year(web, database, tegal, pbx, staff):
    _, operator = staff["operator"]
    first, *others = [a_call(web, pbx, caller=f"+62812345001{i}") for i in range(5)]
    patch(web, calls_path(tegal, first["id"]), operator, {"category": "fire"})
    opened = web.post(f"/api/v1/tenants/{tegal.slug}/incidents", headers=operator, json={
        "call_id": first["id"], "summary": "Kebakaran ruko di Jl. Kapten Sudibyo", "priority": "urgent"})
    assert opened.status_code == 201, opened.json
    incident = opened.json
    assert incident["number"].startswith(f"TGL-{NOW.year}-") and len(incident["number"]) == len("TGL-2026-000001")
    assert incident["category"] == "fire" and incident["call_ids"] == [first["id"]]
    for call in others:
        assert patch(web, calls_path(tegal, call["id"]), operator, {"incident_id": incident["id"]}).status_code == 200
    again = web.get(f"/api/v1/tenants/{tegal.slug}/incidents/{incident['id']}", headers=operator).json
    assert sorted(again["call_ids"]) == sorted(c["id"] for c in [first, *others])
    twice = web.post(f"/api/v1/tenants/{tegal.slug}/incidents", headers=operator,
                     json={"call_id": others[0]["id"], "summary": "Lagi"})
    assert twice.status_code == 409 and twice.json["code"] == "call_has_incident"


def test_simultaneous_incidents_never_share_a_number(database, tegal):
    numbers, barrier = [], threading.Barrier(6)

    def take():
        barrier.wait()
        with database.transaction(TenantContext(tegal.id)) as session:
            numbers.append(next_number(session, session.get(Tenant, tegal.id)))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 6 and len(set(numbers)) == 6


def test_only_a_supervisor_closes_an_incident_with_a_reason_and_a_closed_one_takes_no_calls(web, tegal, pbx, staff):
    _, operator = staff["operator"]
    _, supervisor = staff["supervisor"]
    call = a_call(web, pbx)
    incident = web.post(f"/api/v1/tenants/{tegal.slug}/incidents", headers=operator,
                        json={"call_id": call["id"], "summary": "Pohon tumbang"}).json
    path = f"/api/v1/tenants/{tegal.slug}/incidents/{incident['id']}"
    assert patch(web, path, operator, {"status": "closed", "closed_reason": "Selesai"}).status_code == 403
    no_reason = patch(web, path, supervisor, {"status": "closed"})
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "json.closed_reason"
    closed = patch(web, path, supervisor, {"status": "closed", "closed_reason": "Dinas PU sudah membersihkan"})
    assert closed.status_code == 200 and closed.json["status"] == "closed" and closed.json["closed_at"]
    late = a_call(web, pbx)
    refused = patch(web, calls_path(tegal, late["id"]), operator, {"incident_id": incident["id"]})
    assert refused.status_code == 422 and refused.json["code"] == "incident_closed"


def test_dropped_and_silent_calls_go_on_the_callback_list_once_and_leave_it_with_an_outcome(web, database, tegal,
                                                                                            pbx, staff):
    _, operator = staff["operator"]
    dropped = a_call(web, pbx, "offered", "ended", caller="+6281234500777")
    assert dropped["state"] == "abandoned"
    silent = a_call(web, pbx, "offered", "answered", "ended", caller="+6281234500778")
    patch(web, calls_path(tegal, silent["id"]), operator, {"classification": "ghost"})
    patch(web, calls_path(tegal, silent["id"]), operator, {"classification": "prank"})
    patch(web, calls_path(tegal, silent["id"]), operator, {"classification": "ghost"})
    withheld = a_call(web, pbx, "offered", "ended", caller=None)
    todo = web.get(f"/api/v1/tenants/{tegal.slug}/callbacks", headers=operator).json
    by_call = {row["call_id"]: row for row in todo}
    assert by_call[dropped["id"]]["reason"] == "abandoned" and by_call[silent["id"]]["reason"] == "ghost"
    assert withheld["id"] not in by_call  # nobody to ring back
    with database.transaction(TenantContext(tegal.id)) as session:
        assert len(session.scalars(select(Callback).where(Callback.call_id == uuid.UUID(silent["id"]))).all()) == 1
    path = f"/api/v1/tenants/{tegal.slug}/callbacks/{by_call[dropped['id']]['id']}"
    done = patch(web, path, operator, {"outcome": "no_answer", "note": "Tiga kali, tidak diangkat"})
    assert done.status_code == 200 and done.json["outcome"] == "no_answer" and done.json["done_at"]
    still = {row["call_id"] for row in web.get(f"/api/v1/tenants/{tegal.slug}/callbacks", headers=operator).json}
    assert dropped["id"] not in still and silent["id"] in still
    finished = web.get(f"/api/v1/tenants/{tegal.slug}/callbacks?done=true", headers=operator).json
    assert [row["call_id"] for row in finished] == [dropped["id"]]


def test_a_handover_is_written_by_one_supervisor_and_acknowledged_by_another(web, tegal, staff):
    _, operator = staff["operator"]
    _, outgoing = staff["supervisor"]
    _, incoming = staff["incoming"]
    base = f"/api/v1/tenants/{tegal.slug}/handovers"
    assert web.post(base, headers=operator, json={"note": "x"}).status_code == 403
    written = web.post(base, headers=outgoing, json={"note": "Dua panggilan palsu dari nomor yang sama; diblokir."})
    assert written.status_code == 201, written.json
    ack = f"{base}/{written.json['id']}/acknowledgement"
    own = web.post(ack, headers=outgoing)
    assert own.status_code == 422 and own.json["code"] == "own_handover"
    taken = web.post(ack, headers=incoming)
    assert taken.status_code == 200 and taken.json["acknowledged_at"]
    assert web.post(ack, headers=incoming).status_code == 409


def test_an_answer_on_an_extension_names_its_operator(web, tegal, pbx, staff):
    user, _ = staff["operator"]
    _, supervisor = staff["supervisor"]
    base = f"/api/v1/tenants/{tegal.slug}/extensions"
    assert web.put(f"{base}/201", headers=supervisor, json={"user_id": str(user.id)}).status_code == 200
    bad = web.put(f"{base}/2%2001", headers=supervisor, json={"user_id": str(user.id)})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "path.extension"
    call = a_call(web, pbx, "offered", "answered", agent="201")
    assert call["operator_id"] == str(user.id)
    assert web.delete(f"{base}/201", headers=supervisor).status_code == 204
    assert a_call(web, pbx, "offered", "answered", agent="201")["operator_id"] is None


def gateway_token(web, database) -> dict[str, str]:
    from siaga112.platform.identity.oauth_service import create_gateway_client
    from tests.test_telephony_intake import _basic

    with database.transaction(PLATFORM) as session:
        gateway, secret = create_gateway_client(session, "Gateway 112 nasional", Actor.system("tests"))
    answer = web.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(gateway.client_id, secret))
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def test_a_national_gateway_posts_for_any_region_routed_by_the_dialled_line_and_reads_nothing(web, database, tegal,
                                                                                               surakarta):
    from tests.test_telephony_intake import LINE as SURAKARTA_LINE

    gateway = gateway_token(web, database)
    for line, region in ((LINE, tegal), (SURAKARTA_LINE, surakarta)):
        answer = web.post("/api/v1/telephony/events", headers=gateway, json={
            "event": "offered", "call_id": f"gw-{uuid.uuid4().hex[:10]}", "dialed": line, "caller": "+6281234509999",
            "at": NOW.isoformat()})
        assert answer.status_code == 201, answer.json
        with database.transaction(TenantContext(region.id)) as session:
            assert session.get(Call, uuid.UUID(answer.json["call"]["id"])) is not None
    unknown = web.post("/api/v1/telephony/events", headers=gateway, json={
        "event": "offered", "call_id": "gw-x", "dialed": "+62283999999", "at": NOW.isoformat()})
    assert unknown.status_code == 422 and unknown.json["code"] == "unknown_line"
    assert web.get(f"/api/v1/tenants/{tegal.slug}/calls", headers=gateway).status_code == 404


def test_a_region_keeps_callers_numbers_as_long_as_it_decided_and_others_keep_the_default(web, database, tegal,
                                                                                          surakarta, pbx, staff):
    from siaga112.platform.identity.roles import REGIONAL_ADMIN
    from siaga112.tenants.calls.service import erase_old_callers

    admin = bearer(database, person(database, role=REGIONAL_ADMIN, tenant=tegal))
    path = f"/api/v1/tenants/{tegal.slug}/call-settings"
    assert web.get(path, headers=admin).json == {"caller_retention_days": 90}
    assert web.put(path, headers=admin, json={"caller_retention_days": 7}).status_code == 428
    etag = web.get(path, headers=admin).headers["ETag"]
    too_long = web.put(path, headers={**admin, "If-Match": etag}, json={"caller_retention_days": 5000})
    assert too_long.status_code == 422
    assert web.put(path, headers={**admin, "If-Match": etag}, json={"caller_retention_days": 7}).status_code == 200
    assert web.put(path, headers=staff["supervisor"][1], json={"caller_retention_days": 1}).status_code == 403
    here = a_call(web, pbx, "offered")
    with database.transaction(TenantContext(surakarta.id)) as session:
        elsewhere = session.scalar(select(Call).where(Call.caller_e164.is_not(None)).limit(1))
        assert elsewhere is not None
    with database.transaction(PLATFORM) as session:  # eight days on: past Kota Tegal's 7, within the others' 90
        erase_old_callers(session, now=max(NOW, elsewhere.offered_at) + timedelta(days=8))
    with database.transaction(TenantContext(tegal.id)) as session:
        assert session.get(Call, uuid.UUID(here["id"])).caller_e164 is None
    with database.transaction(TenantContext(surakarta.id)) as session:
        assert session.get(Call, elsewhere.id).caller_e164 is not None


def test_the_calls_list_filters_by_classification_incident_and_time(web, tegal, pbx, staff):
    _, operator = staff["operator"]
    prank, other = a_call(web, pbx), a_call(web, pbx)
    patch(web, calls_path(tegal, prank["id"]), operator, {"classification": "prank"})
    incident = web.post(f"/api/v1/tenants/{tegal.slug}/incidents", headers=operator,
                        json={"call_id": other["id"], "summary": "Banjir rob"}).json
    base = f"/api/v1/tenants/{tegal.slug}/calls"
    pranks = {c["id"] for c in web.get(f"{base}?classification=prank&page_size=500", headers=operator).json}
    assert prank["id"] in pranks and other["id"] not in pranks
    assert [c["id"] for c in web.get(f"{base}?incident_id={incident['id']}", headers=operator).json] == [other["id"]]
    later = (NOW + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert web.get(f"{base}?since={later}", headers=operator).json == []
    bad = web.get(f"{base}?classification=nonsense", headers=operator)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "query.classification"
