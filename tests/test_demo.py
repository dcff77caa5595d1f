"""The demo `siaga112 up` seeds on an empty database: Kota Pekalongan live, with its agencies, a roster around
today, its categories and three days of calls through the intake — and a second seed does nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from siaga112.platform.app import import_models
from siaga112.platform.audit.service import verify_chains
from siaga112.platform.db import Database
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import authenticate
from siaga112.platform.migrate import upgrade
from siaga112.platform.regions.service import sync_regions
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants import demo
from siaga112.tenants.calls.models import Call, CallBlock
from siaga112.tenants.categories.defaults import NATIONAL_CATEGORIES
from siaga112.tenants.categories.models import IncidentCategory
from siaga112.tenants.directory import service as directory
from siaga112.tenants.roster import coverage
from siaga112.tenants.roster import service as roster

PASSWORD = "demo password of the test"
SECRET = "the app's secret key"
HISTORY = timedelta(hours=18)  # of calls: the demo's three days are the same code, four times slower;
# 18 h, whatever the hour it ends, hold a caller with 4 or more false calls (12 h sometimes do not)


@pytest.fixture(scope="module")
def seeded(services):
    """A database of its own, empty but migrated with its regions, seeded twice: (database, first, second), each
    (seed_demo's answer, calls made)."""
    urls = services.new_database("siaga_demo_seed")
    upgrade(urls.owner)
    import_models()
    owner = Database(urls.owner, pool_size=1)
    with owner.transaction(PLATFORM) as session:
        sync_regions(session)
    owner.dispose()
    database = Database(urls.runtime, pool_size=1)
    try:
        first, second = (_seed(database), _seed(database))
        yield database, first, second
    finally:
        database.dispose()
        services.drop_database(urls)


def _seed(database) -> tuple[bool, int]:
    with database.transaction(PLATFORM) as session:
        seeded = demo.seed_demo(session, PASSWORD)
    with database.transaction(PLATFORM) as session:
        return seeded, demo.seed_demo_calls(session, SECRET, history=HISTORY)


@pytest.fixture(scope="module")
def pekalongan(seeded):
    database, *_ = seeded
    with database.transaction(PLATFORM) as session:
        return session.scalar(select(Tenant).where(Tenant.region_code == "33.75"))


def test_the_first_seed_makes_kota_pekalongan_live_and_a_second_seed_does_nothing(seeded, pekalongan):
    database, first, second = seeded
    assert first[0] is True and first[1] > 0 and second == (False, 0)
    assert pekalongan.status == "live"
    with database.transaction(PLATFORM) as session:
        assert session.scalar(select(func.count()).select_from(Tenant)) == 3
        users = session.scalar(select(func.count()).select_from(User))
        assert users == len(demo.DEMO_PEOPLE) + len(demo.CREW)
        assert [login.email for login in demo.demo_logins(session)] == [
            f"{local}@{demo.DOMAIN}" for local, *_ in demo.DEMO_PEOPLE]
        assert authenticate(session, f"operator.pekalongan@{demo.DOMAIN}", PASSWORD) is not None
        assert verify_chains(session)[1] == []  # every step was audited through the services


def test_the_live_region_has_its_agencies_line_and_categories(seeded, pekalongan):
    database, *_ = seeded
    with database.transaction(TenantContext(pekalongan.id)) as session:
        reachable = directory.reachable_agency_kinds(session, pekalongan.id)
        assert {"police", "fire", "medical", "disaster", "utility", "public_order"} <= reachable
        assert [line.e164 for line in directory.active_lines(session, pekalongan.id)] == [demo.LINE[0]]
        codes = set(session.scalars(select(IncidentCategory.code).where(IncidentCategory.tenant_id == pekalongan.id)))
        assert codes == {category.code for category in NATIONAL_CATEGORIES}


def test_every_shift_of_the_roster_around_today_is_staffed_night_included(seeded, pekalongan):
    database, *_ = seeded
    with database.transaction(TenantContext(pekalongan.id)) as session:
        tenant = session.get(Tenant, pekalongan.id)
        today = datetime.now(timezone.utc).astimezone(coverage.Clock(tenant.time_zone).zone).date()
        report = roster.roster_coverage(session, tenant, today - timedelta(3), today + timedelta(20))
        shifts = roster.list_shifts(session, tenant.id)
    assert {shift.code for shift in shifts} == {"P", "S", "M"} and any(s.crosses_midnight for s in shifts)
    assert report.gaps == []


def test_the_calls_came_through_the_intake_and_the_answered_ones_are_classified_by_their_operator(seeded, pekalongan):
    database, *_ = seeded
    now = datetime.now(timezone.utc)
    with database.transaction(TenantContext(pekalongan.id)) as session:
        calls = session.scalars(select(Call).where(Call.tenant_id == pekalongan.id)).all()
        blocks = session.scalar(select(func.count()).select_from(CallBlock))
    assert len(calls) >= 30  # a city's 150 calls a day (test_simulator checks the rate), 18 h of them
    assert all(not call.is_test and call.source == "telephony" for call in calls)  # the region was live first
    assert min(call.offered_at for call in calls) > now - HISTORY - timedelta(minutes=5)
    answered = [call for call in calls if call.answered_at is not None]
    abandoned = [call for call in calls if call.state == "abandoned"]
    assert {call.state for call in calls} == {"ended", "abandoned"}  # nothing left ringing for ever
    assert all(call.classification for call in answered) and not any(call.classification for call in abandoned)
    assert all(call.operator_id for call in answered)  # answered by a rostered operator, by e-mail
    kinds = {call.classification for call in answered}
    assert {"emergency", "prank", "ghost", "information"} <= kinds
    repeat = max(sum(1 for c in calls if c.caller_key == call.caller_key) for call in calls if call.caller_key)
    assert repeat >= 3  # a repeat prank caller
    assert blocks == 1


def test_a_real_kota_pekalongan_never_gets_made_up_calls(database, tenants):
    with database.transaction(PLATFORM) as session:  # the suite's 33.75 has no demo accounts
        assert demo.seed_demo_calls(session, SECRET) == 0
        tenant = session.get(Tenant, tenants["a"]["tenant"].id)
    with database.transaction(TenantContext(tenant.id)) as session:
        assert session.scalar(select(func.count()).select_from(Call).where(Call.tenant_id == tenant.id)) == 0


def test_the_earlier_shifts_rang_back_their_dropped_calls_and_the_last_two_hours_are_still_to_do(seeded, pekalongan):
    from siaga112.tenants.calls.models import Callback

    database, *_ = seeded
    now = datetime.now(timezone.utc)
    with database.transaction(TenantContext(pekalongan.id)) as session:
        rows = session.execute(select(Callback.done_at, Callback.outcome, Call.offered_at)
                               .join(Call, Call.id == Callback.call_id)).all()
    older = [row for row in rows if row.offered_at < now - timedelta(hours=2, minutes=5)]
    assert older and all(row.done_at and row.outcome for row in older)
    assert all(row.done_at is None for row in rows if row.offered_at > now - timedelta(hours=1, minutes=55))


def test_a_region_made_live_without_an_application_is_live_in_the_national_pipeline(seeded, pekalongan):
    from siaga112.onboarding.application import region_stages, stage_counts

    database, *_ = seeded
    with database.transaction(PLATFORM) as session:
        stage = session.execute(region_stages().where(Tenant.id == pekalongan.id)).one().stage
        counts = stage_counts(session)
    assert stage == "live" and counts["live"] >= 1 and sum(counts.values()) == 514


def test_the_burst_incidents_were_dispatched_the_old_ones_closed_by_their_reports(seeded, pekalongan):
    from siaga112.tenants.calls.models import Incident
    from siaga112.tenants.dispatch.models import Dispatch

    database, *_ = seeded
    now = datetime.now(timezone.utc)
    with database.transaction(TenantContext(pekalongan.id)) as session:
        incidents = session.scalars(select(Incident).where(Incident.tenant_id == pekalongan.id)).all()
        dispatches = session.scalars(select(Dispatch).where(Dispatch.tenant_id == pekalongan.id)).all()
        kinds = {d.id: d.agency.kind for d in dispatches}
    assert incidents and dispatches
    by_incident = defaultdict(list)
    for item in dispatches:
        by_incident[item.incident_id].append(item)
    for incident in incidents:
        mine = by_incident[incident.id]
        assert mine, f"{incident.number} was not dispatched"
        assert all(timedelta(0) < item.sent_at - incident.created_at < timedelta(minutes=5) for item in mine)
        if incident.status == "closed":  # closed by its agencies' reports, not by hand
            assert all(item.status == "done" and item.report_text for item in mine) and not incident.closed_reason
            assert incident.created_at < now - timedelta(hours=6)
        else:
            assert incident.created_at > now - timedelta(hours=6, minutes=5)
            assert all(item.status == ("acknowledged" if kinds[item.id] == "police" else "sent") for item in mine)
