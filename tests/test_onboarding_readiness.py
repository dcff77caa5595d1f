"""The checklist as data, and the computed items evaluated from a region's live data (with their reasons)."""

from datetime import date, time, timedelta

import pytest

from siaga112.onboarding import readiness
from siaga112.onboarding.checklist import AREAS, CHECKLISTS, COMPUTED, CURRENT_VERSION, DECLARED, checklist
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import grant_role
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.directory import service as directory
from siaga112.tenants.roster import service as roster
from siaga112.tenants.training import service as training
from tests.test_onboarding_helpers import SYSTEM, fresh, person, tenant_of, unique_line

TODAY = date(2030, 3, 1)  # a fixed window, 2030-03-01 … 2030-03-30, whatever day the tests run
DAYS = [TODAY + timedelta(n) for n in range(30)]


def test_the_checklist_is_versioned_bilingual_data():
    current = checklist()
    assert current.version == CURRENT_VERSION and CHECKLISTS[CURRENT_VERSION] is current
    assert list(AREAS) == ["administration", "room", "staff", "network", "training", "agencies", "reporting"]
    assert {item.area for item in current.items} == set(AREAS)
    for item in current.items:
        assert item.title.id and item.title.en and item.title.id != item.title.en
        if item.kind == DECLARED:
            assert item.evidence_hint and item.evidence_hint.id and item.evidence_hint.en
        else:
            assert item.kind == COMPUTED and item.check in readiness.CHECKS and not item.evidence_required
    assert {item.code for item in current.computed} == {"roster_24_7", "supervisor_every_shift", "inbound_lines",
                                                        "operators_trained", "agency_contacts"}
    assert [item.code for item in current.items if not item.mandatory] == ["neighbour_agreements"]
    for code in ("application_letter", "regulation_112", "management_decree", "sop", "budget", "control_room",
                 "workstations", "power_backup", "access_control", "internet_redundant", "sip_trunk_or_ippbx",
                 "call_recording", "simulation_exercise", "national_reporting"):
        assert current.get(code).declared and current.get(code).evidence_required, code
    with pytest.raises(KeyError):
        checklist(99)


@pytest.fixture(scope="module")
def jambi(database):
    return tenant_of(database, "15.71")


def evaluate(database, tenant):
    with database.transaction(TenantContext(tenant.id)) as session:
        return readiness.evaluate(session, fresh(session, tenant), today=TODAY)


def test_computed_items_turn_green_one_by_one_and_say_why_they_are_red(database, jambi):
    red = evaluate(database, jambi)
    assert not any(result.green for result in red.values())
    assert red["roster_coverage"].reason.code == "no_shifts"
    assert red["supervisor_every_shift"].reason.code == "no_shifts"
    assert red["operators_trained"].reason.code == "nobody_rostered"
    assert red["inbound_lines"].reason.params == {"count": 0, "required": 2}
    assert red["agency_contacts"].reason.params == {"missing": ["police", "fire", "medical", "disaster"]}
    assert "pemadam kebakaran" in red["agency_contacts"].reason.text.id

    operator, _ = person(database, "operator", jambi, "Operator Satu")
    supervisor, _ = person(database, "supervisor", jambi, "Supervisor Siang")
    both, _ = person(database, "operator", jambi, "Operator Merangkap Supervisor")
    with database.transaction(PLATFORM) as session:
        grant_role(session, session.get(User, both.id), "supervisor", jambi.id)
    with database.transaction(TenantContext(jambi.id)) as session:
        day = roster.create_shift(session, jambi.id, {"name": "Siang", "code": "D", "start_time": time(7),
                                                      "end_time": time(19), "min_staff": 1}, SYSTEM)
        night = roster.create_shift(session, jambi.id, {"name": "Malam", "code": "N", "start_time": time(19),
                                                        "end_time": time(7), "min_staff": 1}, SYSTEM)
        for when in [TODAY - timedelta(1), *DAYS, DAYS[-1] + timedelta(1)]:
            roster.add_assignment(session, jambi.id, supervisor.id, day.id, when, SYSTEM)
            if when != date(2030, 3, 10):
                roster.add_assignment(session, jambi.id, operator.id, night.id, when, SYSTEM)
    gaps = evaluate(database, jambi)
    coverage = gaps["roster_coverage"]
    assert not coverage.green and coverage.reason.code == "roster_gaps"
    assert coverage.reason.params["first_gap"] == "2030-03-10 19:00" and coverage.reason.params["gaps"] == 1
    assert 95 < coverage.reason.params["percent"] < 100
    unsupervised = gaps["supervisor_every_shift"].reason
    assert unsupervised.code == "unsupervised_shifts"
    assert unsupervised.params == {"count": 30, "first_date": "2030-03-01", "first_shift": "N"}
    untrained = gaps["operators_trained"].reason
    assert untrained.code == "untrained_rostered" and untrained.params["count"] == 2
    assert set(untrained.params["names"]) == {"Operator Satu", "Supervisor Siang"}

    with database.transaction(TenantContext(jambi.id)) as session:
        # Someone rostered through their operator membership who also holds the supervisor role counts.
        roster.add_assignment(session, jambi.id, both.id, night.id, date(2030, 3, 10), SYSTEM)
        for when in DAYS:
            if when != date(2030, 3, 10):
                roster.add_assignment(session, jambi.id, both.id, night.id, when, SYSTEM)
        for person_ in (operator, supervisor, both):
            training.create_record(session, jambi.id, {"user_id": person_.id, "course": "Operator 112",
                                                       "provider": "Komdigi", "completed_on": date(2026, 1, 1),
                                                       "valid_until": date(2031, 1, 1)}, SYSTEM)
        for n in (1, 2):
            directory.add_number(session, jambi.id, unique_line(), "inbound_line", f"112-{n}", None, SYSTEM)
        for kind in ("police", "fire", "medical", "disaster"):
            agency = directory.create_agency(session, jambi.id, {"name": f"{kind} Jambi", "kind": kind}, SYSTEM)
            directory.add_number(session, jambi.id, "+6281234567890", "agency_contact", "piket", agency.id, SYSTEM)
    green = evaluate(database, jambi)
    assert {name: result.green for name, result in green.items()} == dict.fromkeys(readiness.CHECKS, True)
    assert all(result.reason is None for result in green.values())

    # Training that runs out inside the window turns the item red again, naming the person.
    with database.transaction(TenantContext(jambi.id)) as session:
        record = next(r for r in session.scalars(training.records_query(jambi.id, operator.id)))
        training.update_record(session, record, {"valid_until": date(2030, 3, 15)}, SYSTEM)
    assert evaluate(database, jambi)["operators_trained"].reason.params["names"] == ["Operator Satu"]
