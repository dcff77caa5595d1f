"""The telephony intake: a region's PBX posts call events; each is stored once whatever the order and repeats,
the call's state and times come from the events' own times, lines route to their region, and the calls are
read by the region's own staff only — without the caller's number."""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from siaga112.platform.audit.service import Actor
from siaga112.platform.jobs.models import OutboxEvent
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Call, CallEvent
from siaga112.tenants.calls.service import derive
from siaga112.tenants.directory import service as directory
from tests.test_invitations import bearer, person
from tests.test_onboarding_helpers import tenant_of

SURAKARTA = "33.72"  # a region no other module uses
LINE = "+62271112112"
# An hour ago: repeat callers are looked for in the last 30 days, so the calls must be recent on any day.
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
SYSTEM = Actor.system("tests")


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def machine_token(client, database, tenant) -> dict[str, str]:
    from siaga112.platform.identity.oauth_service import create_machine_client

    with database.transaction(PLATFORM) as session:
        machine, secret = create_machine_client(session, session.get(Tenant, tenant.id), "PBX", SYSTEM)
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         headers=_basic(machine.client_id, secret))
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def add_line(database, tenant, e164):
    with database.transaction(TenantContext(tenant.id)) as session:
        if not session.scalar(select(func.count()).select_from(directory.PhoneNumber).where(
                directory.PhoneNumber.tenant_id == tenant.id, directory.PhoneNumber.e164 == e164)):
            directory.add_number(session, tenant.id, e164, "inbound_line", "112", None, SYSTEM)


@pytest.fixture(scope="module")
def surakarta(database):
    tenant = tenant_of(database, SURAKARTA)
    add_line(database, tenant, LINE)
    return tenant


@pytest.fixture(scope="module")
def pbx(client_module, database, surakarta):
    return machine_token(client_module, database, surakarta)


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


def event(kind, call_id, at, sequence=None, **extra):
    return {"event": kind, "call_id": call_id, "dialed": LINE, "caller": "+6281234567890",
            "at": at.isoformat().replace("+00:00", "Z"), "sequence": sequence, **extra}


def stored_events(database, tenant, pbx_call_id):
    with database.transaction(TenantContext(tenant.id)) as session:
        return session.scalar(select(func.count()).select_from(CallEvent).join(Call, Call.id == CallEvent.call_id)
                              .where(Call.pbx_call_id == pbx_call_id))


def test_the_issues_own_body_is_taken_and_the_same_event_twice_is_stored_once(client_module, database, surakarta, pbx):
    body = {"event": "answered", "call_id": f"{uuid.uuid4().int % 10**10}.42", "dialed": "+62271112112",
            "caller": "+6281234567890", "at": "2026-12-02T03:04:05Z", "sequence": 2, "agent": "201"}
    first = client_module.post("/api/v1/telephony/events", json=body, headers=pbx)
    assert first.status_code == 201, first.json
    assert first.json["stored"] is True
    call = first.json["call"]
    assert call["state"] == "in_progress" and call["answered_at"].startswith("2026-12-02T03:04:05")
    assert call["is_test"] is True  # the region is not live yet
    assert call["caller_withheld"] is False and "+6281234567890" not in first.get_data(as_text=True)
    assert first.json["caller"] == {"repeat_false_calls": 0, "blocked": False, "blocked_until": None,
                                    "advice": "normal"}
    again = client_module.post("/api/v1/telephony/events", json=body, headers=pbx)
    assert again.status_code == 200 and again.json["stored"] is False
    assert stored_events(database, surakarta, body["call_id"]) == 1


EVENTS = [("offered", 0), ("answered", 7), ("ended", 95)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(3)), repeats=st.lists(st.integers(0, 2), max_size=3), answered=st.booleans())
def test_any_order_and_repeats_of_a_calls_events_give_the_same_call(client_module, database, surakarta, pbx,
                                                                     order, repeats, answered):
    call_id = f"perm-{uuid.uuid4().hex[:12]}"
    kinds = [EVENTS[i] for i in order if answered or EVENTS[i][0] != "answered"]
    sent = kinds + [kinds[i % len(kinds)] for i in repeats]
    for kind, seconds in sent:
        answer = client_module.post("/api/v1/telephony/events", json=event(kind, call_id, T0 + timedelta(seconds=seconds)),
                                    headers=pbx)
        assert answer.status_code in (200, 201), answer.json
    call = answer.json["call"]
    assert stored_events(database, surakarta, call_id) == len(kinds)
    assert datetime.fromisoformat(call["offered_at"]) == T0
    if answered:
        assert call["state"] == "ended" and call["answer_seconds"] == 7 and call["talk_seconds"] == 88
    else:
        assert call["state"] == "abandoned" and call["answered_at"] is None and call["answer_seconds"] is None
    with database.transaction(PLATFORM) as session:  # the end is announced once, without the caller's number
        ended = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "call.ended",
                                                                  OutboxEvent.payload["call_id"].astext == call["id"]))
        payloads = list(ended)
    assert len(payloads) == 1 and "+62" not in str(payloads[0])


def test_derive_takes_the_events_times_not_their_order():
    events = [("ended", T0 + timedelta(seconds=60), None), ("answered", T0 + timedelta(seconds=5), "201"),
              ("offered", T0, None)]
    for permutation in itertools.permutations(events):
        derived = derive(list(permutation))
        assert derived == {"offered_at": T0, "answered_at": T0 + timedelta(seconds=5),
                           "ended_at": T0 + timedelta(seconds=60), "state": "ended", "agent": "201"}


def test_an_unknown_line_is_422_naming_dialed(client_module, pbx):
    answer = client_module.post("/api/v1/telephony/events", json={**event("offered", "x1", T0), "dialed": "+62271999999"},
                                headers=pbx)
    assert answer.status_code == 422 and answer.json["code"] == "unknown_line"
    assert [error["field"] for error in answer.json["errors"]] == ["json.dialed"]


def test_a_client_posts_for_its_own_regions_lines_only(client_module, database, tenants, pbx):
    other_line = "+62725112112"
    add_line(database, tenants["b"]["tenant"], other_line)  # Kota Metro's line
    answer = client_module.post("/api/v1/telephony/events", json={**event("offered", "x2", T0), "dialed": other_line},
                                headers=pbx)
    assert answer.status_code == 422 and answer.json["code"] == "not_your_line"
    with database.transaction(PLATFORM) as session:
        assert not session.scalar(select(func.count()).select_from(Call).where(Call.pbx_call_id == "x2"))


def test_a_person_cannot_post_telephony_events(client_module, database, surakarta):
    operator = person(database, role="operator", tenant=surakarta)
    answer = client_module.post("/api/v1/telephony/events", json=event("offered", "x3", T0),
                                headers=bearer(database, operator))
    assert answer.status_code == 403


def test_an_idempotency_key_is_honoured_and_refused_for_another_event(client_module, database, surakarta, pbx):
    key = {"Idempotency-Key": f"key-{uuid.uuid4().hex}", **pbx}
    first = client_module.post("/api/v1/telephony/events", json=event("offered", "idem-1", T0, 1), headers=key)
    assert first.status_code == 201
    replay = client_module.post("/api/v1/telephony/events", json=event("offered", "idem-1", T0, 1), headers=key)
    assert replay.status_code == 200 and replay.json["call"]["id"] == first.json["call"]["id"]
    reused = client_module.post("/api/v1/telephony/events", json=event("ended", "idem-1", T0, 2), headers=key)
    assert reused.status_code == 409 and reused.json["code"] == "idempotency_key_reused"


def test_a_withheld_caller_and_a_bad_body_are_told_apart(client_module, pbx):
    withheld = client_module.post("/api/v1/telephony/events", json={**event("offered", "anon-1", T0),
                                                                     "caller": "anonymous"}, headers=pbx)
    assert withheld.status_code == 201 and withheld.json["call"]["caller_withheld"] is True
    bad = client_module.post("/api/v1/telephony/events", json={**event("offered", "bad-1", T0), "at": "yesterday",
                                                                "event": "rang"}, headers=pbx)
    assert bad.status_code == 422
    assert {error["field"] for error in bad.json["errors"]} == {"json.at", "json.event"}
    naive = client_module.post("/api/v1/telephony/events", json={**event("offered", "bad-2", T0),
                                                                  "at": "2026-12-02T03:04:05"}, headers=pbx)
    assert naive.status_code == 422  # a time without its zone is refused, not guessed


def test_a_live_regions_calls_are_not_test_calls(client_module, database, tenants):
    live = tenant_of(database, "33.71")  # Kota Magelang, set live here
    with database.transaction(PLATFORM) as session:
        session.get(Tenant, live.id).status = "live"
    add_line(database, live, "+62293112112")
    token = machine_token(client_module, database, live)
    answer = client_module.post("/api/v1/telephony/events",
                                json={**event("offered", "live-1", T0), "dialed": "+62293112112"}, headers=token)
    assert answer.status_code == 201 and answer.json["call"]["is_test"] is False


def test_the_regions_staff_read_its_calls_and_national_roles_do_not(client_module, database, surakarta, pbx):
    client_module.post("/api/v1/telephony/events", json=event("offered", "read-1", T0), headers=pbx)
    supervisor = person(database, role="supervisor", tenant=surakarta)
    listed = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls", headers=bearer(database, supervisor))
    assert listed.status_code == 200 and any(call["pbx_call_id"] == "read-1" for call in listed.json)
    assert "+6281234567890" not in listed.get_data(as_text=True)  # the number is not in the list
    one = next(call for call in listed.json if call["pbx_call_id"] == "read-1")
    detail = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls/{one['id']}", headers=bearer(database, supervisor))
    assert detail.status_code == 200 and detail.json["state"] == "ringing"
    for role in ("national_monitor", "ministry_verifier"):
        national = person(database, role=role)
        refused = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls", headers=bearer(database, national))
        assert refused.status_code == 403, role


def test_an_operator_classifies_a_call_with_if_match_and_it_is_audited(client_module, database, surakarta, pbx):
    from siaga112.platform.audit.models import AuditEntry

    posted = client_module.post("/api/v1/telephony/events", json=event("offered", f"cls-{uuid.uuid4().hex[:8]}", T0),
                                headers=pbx).json["call"]
    operator = bearer(database, person(database, role="operator", tenant=surakarta))
    path = f"/api/v1/tenants/{surakarta.slug}/calls/{posted['id']}"
    etag = client_module.get(path, headers=operator).headers["ETag"]
    assert client_module.patch(path, json={"classification": "prank"}, headers=operator).status_code == 428
    done = client_module.patch(path, json={"classification": "prank"}, headers={**operator, "If-Match": etag})
    assert done.status_code == 200 and done.json["classification"] == "prank"
    stale = client_module.patch(path, json={"classification": "ghost"}, headers={**operator, "If-Match": etag})
    assert stale.status_code == 412
    wrong = client_module.patch(path, json={"classification": "joke"}, headers={**operator, "If-Match": done.headers["ETag"]})
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "json.classification"
    with database.transaction(TenantContext(surakarta.id)) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.target_id == posted["id"]))
    assert entry.action == "call.update" and entry.after["classification"] == "prank"
    assert "+62812" not in str(entry.before) + str(entry.after)  # the audit log keeps no caller number

    # The next call from the same number is flagged to the PBX as a repeat false caller.
    repeat = client_module.post("/api/v1/telephony/events", json=event("offered", f"rep-{uuid.uuid4().hex[:8]}", T0),
                                headers=pbx)
    assert repeat.json["caller"]["repeat_false_calls"] >= 1


def test_a_call_logged_by_hand_checks_its_times(client_module, database, surakarta):
    supervisor = bearer(database, person(database, role="supervisor", tenant=surakarta))
    path = f"/api/v1/tenants/{surakarta.slug}/calls"
    logged = client_module.post(path, json={"offered_at": "2026-12-02T01:00:00+07:00", "answered_at": "2026-12-02T01:00:09+07:00",
                                            "ended_at": "2026-12-02T01:03:00+07:00", "caller": "0812 3456 7890",
                                            "classification": "emergency"}, headers=supervisor)
    assert logged.status_code == 201, logged.json
    assert logged.json["source"] == "manual" and logged.json["state"] == "ended" and logged.json["answer_seconds"] == 9
    backwards = client_module.post(path, json={"offered_at": "2026-12-02T01:00:00Z", "ended_at": "2026-12-02T00:59:00Z"},
                                   headers=supervisor)
    assert backwards.status_code == 422 and backwards.json["code"] == "ended_before_start"
    admin = bearer(database, person(database, role="regional_admin", tenant=surakarta))
    assert client_module.post(path, json={"offered_at": "2026-12-02T01:00:00Z"}, headers=admin).status_code == 403


def test_reading_the_callers_number_is_recorded_and_old_numbers_are_erased(client_module, database, surakarta, pbx):
    from siaga112.platform.audit.models import AuditEntry
    from siaga112.tenants.calls.jobs import CRON
    from siaga112.tenants.calls.service import erase_old_callers

    posted = client_module.post("/api/v1/telephony/events", json=event("offered", f"pii-{uuid.uuid4().hex[:8]}", T0),
                                headers=pbx).json["call"]
    operator = bearer(database, person(database, role="operator", tenant=surakarta))
    read = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls/{posted['id']}/caller", headers=operator)
    assert read.status_code == 200 and read.json == {"caller": "+6281234567890"}
    with database.transaction(TenantContext(surakarta.id)) as session:
        reads = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "call.caller_read", AuditEntry.target_id == posted["id"]))
    assert reads == 1
    national = bearer(database, person(database, role="national_monitor"))
    assert client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls/{posted['id']}/caller",
                             headers=national).status_code == 403

    with database.transaction(PLATFORM) as session:  # 91 days on, the number goes and the call stays
        assert erase_old_callers(session, now=T0 + timedelta(days=91)) >= 1
    again = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls/{posted['id']}/caller", headers=operator)
    assert again.json == {"caller": None}
    kept = client_module.get(f"/api/v1/tenants/{surakarta.slug}/calls/{posted['id']}", headers=operator)
    assert kept.status_code == 200 and kept.json["offered_at"] is not None
    assert any(function.__name__ == "erase_old_callers" for function, _queue, _interval in CRON)



def test_a_supervisor_blocks_a_caller_who_is_warned_and_queued_never_dropped(client_module, database, surakarta, pbx):
    from siaga112.platform.audit.models import AuditEntry
    from siaga112.tenants.calls.models import CallBlock

    number = f"+62812{uuid.uuid4().int % 10**7:07d}"
    first = client_module.post("/api/v1/telephony/events", json={**event("offered", f"blk-{uuid.uuid4().hex[:8]}", T0),
                                                                  "caller": number}, headers=pbx).json["call"]
    supervisor = bearer(database, person(database, role="supervisor", tenant=surakarta))
    operator = bearer(database, person(database, role="operator", tenant=surakarta))
    blocks = f"/api/v1/tenants/{surakarta.slug}/blocks"
    assert client_module.post(blocks, json={"call_id": first["id"], "reason": "Iseng"}, headers=operator).status_code == 403
    assert client_module.post(blocks, json={"call_id": first["id"], "reason": " "}, headers=supervisor).json["code"] == \
        "reason_required"
    assert client_module.post(blocks, json={"call_id": first["id"], "reason": "Iseng", "hours": 200},
                              headers=supervisor).json["code"] == "block_too_long"
    made = client_module.post(blocks, json={"call_id": first["id"], "reason": "Panggilan iseng berulang"},
                              headers=supervisor)
    assert made.status_code == 201, made.json
    hours = (datetime.fromisoformat(made.json["expires_at"]) - datetime.now(timezone.utc)).total_seconds() / 3600
    assert 23.9 < hours <= 24  # 24 hours by default
    assert number not in made.get_data(as_text=True)
    assert client_module.post(blocks, json={"call_id": first["id"], "reason": "lagi"}, headers=supervisor).status_code == 409

    again = client_module.post("/api/v1/telephony/events", json={**event("offered", f"blk-{uuid.uuid4().hex[:8]}", T0),
                                                                  "caller": number}, headers=pbx)
    assert again.status_code == 201  # the call is taken all the same …
    assert again.json["caller"]["blocked"] is True and again.json["caller"]["advice"] == "warn_and_queue_low"

    lifted = client_module.delete(f"{blocks}/{made.json['id']}", headers=supervisor)
    assert lifted.status_code == 204
    after = client_module.post("/api/v1/telephony/events", json={**event("offered", f"blk-{uuid.uuid4().hex[:8]}", T0),
                                                                  "caller": number}, headers=pbx)
    assert after.json["caller"]["blocked"] is False and after.json["caller"]["advice"] == "normal"
    with database.transaction(TenantContext(surakarta.id)) as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == made.json["id"])))
        assert actions == {"call_block.create", "call_block.lift"}

        # A block ends by itself at its time: one that expired a minute ago is not in force.
        expired = CallBlock(tenant_id=surakarta.id, caller_key=session.get(Call, uuid.UUID(first["id"])).caller_key,
                            from_call_id=uuid.UUID(first["id"]), reason="lama",
                            created_at=datetime.now(timezone.utc) - timedelta(hours=25),
                            expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        session.add(expired)
    later = client_module.post("/api/v1/telephony/events", json={**event("offered", f"blk-{uuid.uuid4().hex[:8]}", T0),
                                                                  "caller": number}, headers=pbx)
    assert later.json["caller"]["blocked"] is False
    listed = {block["id"] for block in client_module.get(blocks, headers=supervisor).json}
    assert str(expired.id) not in listed and made.json["id"] not in listed  # neither the expired nor the lifted


def test_a_withheld_number_cannot_be_blocked(client_module, database, surakarta, pbx):
    call = client_module.post("/api/v1/telephony/events", json={**event("offered", f"wh-{uuid.uuid4().hex[:8]}", T0),
                                                                 "caller": None}, headers=pbx).json["call"]
    supervisor = bearer(database, person(database, role="supervisor", tenant=surakarta))
    refused = client_module.post(f"/api/v1/tenants/{surakarta.slug}/blocks",
                                 json={"call_id": call["id"], "reason": "Iseng"}, headers=supervisor)
    assert refused.status_code == 422 and refused.json["code"] == "no_caller"


def test_a_regions_test_calls_show_on_its_simulation_item(app, client_module, database, surakarta, pbx):
    from siaga112.platform.identity.roles import REGIONAL_ADMIN
    from tests.test_roster_pages import sign_in

    admin = person(database, role=REGIONAL_ADMIN, tenant=surakarta)

    def simulation_fact():
        items = client_module.get(f"/api/v1/tenants/{surakarta.slug}/onboarding/items", headers=bearer(database, admin))
        assert items.status_code == 200, items.json
        return next(item for item in items.json if item["code"] == "simulation_exercise")["fact"]

    fact = simulation_fact()["en"]  # "No test call …" or "Recorded on the platform: N test calls …"
    before = 0 if fact.startswith("No test call") else int(fact.split()[4])
    call_id = f"{uuid.uuid4().int % 10**10}.7"
    assert client_module.post("/api/v1/telephony/events", json=event("offered", call_id, T0, 1),
                              headers=pbx).status_code == 201
    fact = simulation_fact()
    assert fact["en"].startswith(f"Recorded on the platform: {before + 1} test calls in the last 7 days")
    assert fact["id"].startswith(f"Tercatat di platform: {before + 1} panggilan uji dalam 7 hari terakhir")

    browser = app.test_client()
    sign_in(app, browser, admin)
    page = browser.get(f"/tenants/{surakarta.slug}/onboarding").get_data(as_text=True)
    assert f'data-fact="simulation_exercise">Tercatat di platform: {before + 1} panggilan uji' in page


def test_a_region_without_recent_test_calls_is_told_so(database, surakarta, monkeypatch):
    from siaga112.onboarding import readiness

    monkeypatch.setattr(readiness, "TEST_CALL_DAYS", 0)  # a window that has no call in it
    with database.transaction(TenantContext(surakarta.id)) as session:
        fact = readiness.test_calls_fact(session, session.get(Tenant, surakarta.id))
    assert fact.id == "Belum ada panggilan uji tercatat di platform dalam 0 hari terakhir."
