"""The traffic simulator: its calls are deterministic for a seed and land near their profile's shares, the PBX
stream it makes repeats and reorders events, and that stream played through the real intake stores every call
once in the right state; `siaga112 simulate calls` does it against a live server and prints its summary."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import phonenumbers
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.serving import make_server

from siaga112.platform.app import create_app
from siaga112.platform.audit.service import Actor
from siaga112.platform.cli import main
from siaga112.platform.db import app_database
from siaga112.platform.identity.oauth_service import create_machine_client
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.calls import simulator
from siaga112.tenants.calls.models import Call, CallEvent
from siaga112.tenants.calls.schemas import TelephonyEventSchema
from siaga112.tenants.calls.simulator import PROFILES
from tests.test_onboarding_helpers import tenant_of
from tests.test_outages import own_postgres, pg_ctl  # noqa: F401  (the fixture)
from tests.test_telephony_intake import add_line, machine_token

START = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)  # midnight in Jakarta
# Days per profile: enough calls (some 2,000 answered) that a share is within a point or two of the profile's.
DAYS = {"small": 70, "city": 21, "metro": 7}
JAKARTA = simulator.ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def spans():
    return {name: simulator.generate(profile, START, START + timedelta(days=DAYS[name]), 7)
            for name, profile in PROFILES.items()}


def test_the_same_seed_gives_the_same_calls_and_another_seed_others():
    day = START + timedelta(days=1)
    first, again = (simulator.generate(PROFILES["city"], START, day, "seed") for _ in range(2))
    assert first == again
    assert simulator.deliveries(first, "+62285112112", PROFILES["city"], 1) == simulator.deliveries(
        again, "+62285112112", PROFILES["city"], 1)
    assert simulator.generate(PROFILES["city"], START, day, "other") != first


@pytest.mark.parametrize("name, per_day", [("small", 50), ("city", 150), ("metro", 1750)])
def test_each_profile_has_its_volume_and_its_share_of_pranks_and_abandoned_calls(spans, name, per_day):
    calls, profile = spans[name], PROFILES[name]
    assert abs(len(calls) / DAYS[name] - per_day) < per_day * 0.1
    answered = [call for call in calls if call.answered]
    assert abs(1 - len(answered) / len(calls) - profile.abandoned_share) < 0.05
    shares = Counter(call.classification for call in answered)
    for kind in ("prank", "ghost", "emergency"):
        # Bursts add emergency calls on top of the profile's ordinary traffic.
        assert abs(shares[kind] / len(answered) - profile.shares[kind]) < 0.05, (kind, shares)
    assert not any(call.classification for call in calls if not call.answered)


def test_the_small_profile_is_mostly_pranks_like_lampung_barat(spans):
    answered = [call for call in spans["small"] if call.answered]
    assert 0.65 < sum(call.kind == "prank" for call in answered) / len(answered) < 0.75


def test_fewer_calls_come_at_3_am_than_in_the_evening(spans):
    hours = Counter(call.offered_at.astimezone(JAKARTA).hour for call in spans["metro"])
    assert hours[3] * 3 < hours[19]


def test_callers_are_indonesian_mobiles_some_withheld_and_some_prank_callers_call_again_and_again(spans):
    calls = spans["city"]
    numbers = [call.caller for call in calls if call.caller and call.caller.startswith("+")]
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(number)) for number in numbers)
    assert all(phonenumbers.number_type(phonenumbers.parse(number)) == phonenumbers.PhoneNumberType.MOBILE
               for number in numbers[:200])
    withheld = len(calls) - len(numbers)
    assert 0.02 < withheld / len(calls) < 0.07
    known = set(numbers)
    pranks = Counter(call.caller for call in calls if call.kind == "prank" and call.caller in known)
    assert sum(1 for count in pranks.values() if count >= 5) >= 3
    genuine = Counter(call.caller for call in calls if call.kind == "emergency" and call.caller in known)
    assert genuine.most_common(1)[0][1] <= 2  # emergencies come from all over the city


def test_bursts_are_five_to_eight_emergency_calls_within_two_minutes(spans):
    bursts: dict[int, list] = {}
    for call in spans["metro"]:
        if call.burst is not None:
            bursts.setdefault(call.burst, []).append(call)
    assert len(bursts) >= 20
    for calls in bursts.values():
        times = [call.offered_at for call in calls]
        assert 5 <= len(calls) <= 8 and max(times) - min(times) <= timedelta(minutes=2)
        assert {call.kind for call in calls} == {"emergency"} and len({call.caller for call in calls}) == len(calls)


def test_answered_calls_ring_then_talk_for_as_long_as_their_kind_and_name_their_operator():
    agents = ["a@demo.siaga112.id", "b@demo.siaga112.id"]
    calls = simulator.generate(PROFILES["city"], START, START + timedelta(days=2), 3, simulator.always(agents))
    for call in calls:
        if call.answered:
            low, _usual, high = simulator.TALK[call.kind]
            assert call.agent in agents and low <= call.talk_seconds <= high and 2 <= call.ring_seconds <= 60
            assert call.offered_at < call.answered_at < call.ended_at
        else:
            assert call.agent is None and call.talk_seconds == 0 and call.ended_at > call.offered_at
    talk = {kind: [c.talk_seconds for c in calls if c.answered and c.kind == kind] for kind in ("emergency", "ghost")}
    assert sum(talk["emergency"]) / len(talk["emergency"]) > 4 * sum(talk["ghost"]) / len(talk["ghost"])


def test_the_pbx_stream_has_each_event_in_the_intakes_body_some_twice_and_some_out_of_order(spans):
    calls = spans["city"]
    sent = simulator.deliveries(calls, "+62285112112", PROFILES["city"], 1)
    originals = [d for d in sent if not d.copy]
    assert len(originals) == sum(3 if call.answered else 2 for call in calls)
    copies = [d for d in sent if d.copy]
    assert 0.01 < len(copies) / len(originals) < 0.06
    assert {d.key for d in copies} - {None} <= {d.key for d in originals} and None in {d.key for d in copies}
    late = [d for d in sent if d.late]
    assert len(late) > 10
    position = {id(d): index for index, d in enumerate(sent)}
    by_call: dict[str, list] = {}
    for d in originals:
        by_call.setdefault(d.body["call_id"], []).append(d)
    reordered = [events for events in by_call.values()
                 if [e.body["sequence"] for e in sorted(events, key=lambda e: position[id(e)])] != sorted(
                     e.body["sequence"] for e in events)]
    assert len(reordered) == len(late)  # each held-up event really arrives after the call's next one
    loaded = TelephonyEventSchema().load(sent[0].body)
    assert loaded["event"] == "offered" and loaded["sequence"] == 0 and loaded["at"].tzinfo is not None
    assert "classification" not in sent[0].body  # classifying is the operators' work


SURABAYA_LINE = "+6231112112"


@pytest.fixture(scope="module")
def surabaya(database):
    tenant = tenant_of(database, "35.78")  # Kota Surabaya, for this module's calls only
    add_line(database, tenant, SURABAYA_LINE)
    return tenant


@pytest.fixture(scope="module")
def intake_post(app, database, surabaya):
    """Posts one event to the real intake endpoint, as the region's PBX."""
    client = app.test_client()
    token = machine_token(client, database, surabaya)

    def post(body, key):
        answer = client.post("/api/v1/telephony/events", json=body,
                             headers=token | ({"Idempotency-Key": key} if key else {}))
        return answer.status_code, answer.json

    return post


def test_an_hour_played_through_the_real_intake_stores_every_call_once_in_its_state(intake_post, database, surabaya):
    start = START + timedelta(hours=19)  # 19:00 in Jakarta: a city's busiest hour
    # A clumsier PBX than most, so that one hour (14 calls with this seed) has repeats and reorderings of each sort.
    profile = replace(PROFILES["city"], duplicate_share=0.1, reorder_share=0.2)
    calls = simulator.generate(profile, start, start + timedelta(hours=1), 6)
    sent = simulator.deliveries(calls, SURABAYA_LINE, profile, 6)
    assert any(d.copy and d.key for d in sent) and any(d.copy and not d.key for d in sent)
    assert any(d.late for d in sent) and any(not call.answered for call in calls) and None in {c.caller for c in calls}
    summary = simulator.play(sent, intake_post, calls)
    assert summary.failed == Counter() and summary.sent == len(sent)
    assert summary.stored == sum(not d.copy for d in sent) and summary.duplicates == sum(d.copy for d in sent)
    assert summary.states == {call.call_id: call.state for call in calls}
    assert summary.lines()[0].startswith(f"events sent: {len(sent)} (stored {summary.stored}, duplicates ")
    with database.transaction(TenantContext(surabaya.id)) as session:
        stored = {call.pbx_call_id: call for call in session.scalars(select(Call).where(
            Call.tenant_id == surabaya.id, Call.pbx_call_id.in_([c.call_id for c in calls])))}
        events = session.scalar(select(func.count()).select_from(CallEvent).where(
            CallEvent.call_id.in_([call.id for call in stored.values()])))
    assert len(stored) == len(calls) and events == summary.stored
    for call in calls:
        row = stored[call.call_id]
        assert row.state == call.state and row.offered_at == call.offered_at
        assert row.ended_at == call.ended_at and row.answered_at == call.answered_at
        assert (row.answered_at is None) == (not call.answered) and row.classification is None
        assert (row.caller_e164 is None) == (call.caller is None or not call.caller.startswith("+"))


def test_play_keeps_the_scenarios_pace_divided_by_the_speed(intake_post):
    """On a clock of the test's own (no real waiting): each event goes when its time, divided by the speed, has
    passed since the first."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=8)
    calls = simulator.generate(PROFILES["small"], start, start + timedelta(hours=6), 5)
    sent = simulator.deliveries(calls, SURABAYA_LINE, PROFILES["small"], 5)
    now = [0.0]
    posted_at = []

    def post(body, key):
        posted_at.append(now[0])
        return intake_post(body, key)

    simulator.play(sent, post, speed=60, clock=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
    due = [(d.send_at - sent[0].send_at).total_seconds() / 60 for d in sent]
    assert posted_at == pytest.approx(due) and posted_at[-1] > 60  # six hours in six minutes


def test_simulate_calls_drives_a_live_server_and_prints_its_summary(live_server, database, surabaya):
    result = CliRunner().invoke(main, ["simulate", "calls", "--tenant", surabaya.slug, "--profile", "metro",
                                       "--hours", "0.5", "--speed", "7200", "--seed", "3", "--url", live_server, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    summary = json.loads(lines[-1])
    assert summary["failed"] == {} and summary["calls"] > 0  # how many depends on the hour it runs at
    assert summary["sent"] == summary["stored"] + summary["duplicates"]
    assert summary["abandoned"] == summary["states"].get("abandoned", 0)
    assert sum(summary["states"].values()) == summary["calls"] == sum(summary["kinds"].values())
    assert set(summary["kinds"]) <= set(simulator.KINDS)
    assert f"for {surabaya.slug} on {SURABAYA_LINE}" in lines[0] and "seed 3" in lines[0]


def test_the_pbx_waits_out_a_postgresql_outage_and_its_event_lands_once(own_postgres):
    """PostgreSQL really stopped under a served app: the simulator's PBX gets 503s, waits as Retry-After says,
    and its event is stored once when the database is back."""
    data_dir, env = own_postgres
    app = create_app(env)
    statuses = []

    def counting(environ, start_response):  # what the PBX was answered, as the server sent it
        return app(environ, lambda status, *rest: statuses.append(int(status[:3])) or start_response(status, *rest))

    server = make_server("127.0.0.1", 0, counting, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    database = app_database(app)
    try:
        with database.transaction(PLATFORM) as session:
            tenant = create_tenant(session, "33.75", Actor.system("tests"))
            machine, secret = create_machine_client(session, tenant, "PBX", Actor.system("tests"))
        add_line(database, tenant, "+62285112112")
        calls = simulator.generate(PROFILES["metro"], START + timedelta(hours=19), START + timedelta(hours=20), 1)
        first, second = simulator.deliveries(calls[:1], "+62285112112", PROFILES["metro"], 1, imperfect=False)[:2]
        pbx = simulator.Pbx(f"http://127.0.0.1:{server.server_port}", machine.client_id, secret)
        assert pbx.post(first.body, first.key)[0] == 201  # token fetched while the database is up

        pg_ctl(data_dir, "stop", "-m", "fast")
        back = threading.Timer(2, pg_ctl, (data_dir, "start", "-o", f"-h '' -k {data_dir / 'pg'}", "-l",
                                           str(data_dir / "pg" / "log")))
        back.start()
        status, answer = pbx.post(second.body, second.key)
        back.join()
        assert 503 in statuses and (status, answer["stored"]) == (201, True)
        assert pbx.post(second.body, second.key)[1]["stored"] is False
        with database.transaction(TenantContext(tenant.id)) as session:
            assert session.scalar(select(func.count()).select_from(CallEvent)) == 2
    finally:
        server.shutdown()
        database.dispose()


def test_simulate_calls_with_a_client_the_server_refuses_says_so(live_server, surabaya):
    result = CliRunner().invoke(main, ["simulate", "calls", "--tenant", surabaya.slug, "--profile", "metro",
                                       "--hours", "3", "--speed", "100000", "--url", live_server,
                                       "--client-id", "no-such-client", "--client-secret", "wrong"])
    assert result.exit_code == 1 and "Could not post as client no-such-client" in result.output
    half = CliRunner().invoke(main, ["simulate", "calls", "--tenant", surabaya.slug, "--client-id", "x"])
    assert half.exit_code == 2 and "together" in half.output
