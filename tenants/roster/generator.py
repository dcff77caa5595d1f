"""The rotation generator: a plan of assignments for some people over some roster days, previewed, then applied.

The rotation. Each person cycles through the shifts in order (by default the active shifts by
start time, so pagi → siang → malam: a forward rotation never leaves under 8 hours of rest),
`days_per_shift` days on each, then `days_off` days off. The cycle is anchored on a fixed Monday
(ANCHOR) rather than on the first day asked for, so next month's plan continues this month's
pattern; people start at offsets spread evenly over the cycle, so each shift gets about the same
number of people every day (N people over a cycle of L days: N × days_per_shift / L per shift).

Preview and apply. `plan()` works out what the rotation puts on the roster and how that differs
from what is there; the preview shows it with the coverage it would give, and writes nothing. The
preview's `digest` is a hash of the plan itself (the range, the people, the shifts and their
versions, every slot): apply recomputes the plan and refuses with 409 if its digest differs, so
what gets written is what the person saw (no operator joined, no shift time changed meanwhile).

Idempotent. A slot (person, shift, date) is unique in the table; apply inserts only the slots not
there yet (INSERT … ON CONFLICT DO NOTHING for a concurrent twin), and in replace mode deletes only
the plan's people's other assignments in the range. Applying the same plan again finds nothing to
add or remove and writes nothing (the digest is of the plan, not of the difference, so it still
matches). Applies of one tenant are serialised by a transaction-scoped advisory lock.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.roles import OPERATOR
from siaga112.platform.refusals import N_, Conflict, Invalid
from siaga112.platform.tenancy.models import Tenant

from . import coverage, service
from .models import Assignment, Shift

ANCHOR = date(2000, 1, 3)  # a Monday
DAYS_PER_SHIFT_MAX = 7
DAYS_OFF_MAX = 14
PEOPLE_MAX = 500
INSERT_CHUNK = 2000  # rows per INSERT: well under PostgreSQL's 65535 bind parameters
NAMED_TWICE = N_("Name each one once.")
PLAN_CHANGED = N_("The plan is no longer the one previewed (people, shifts or their times changed meanwhile). "
                  "Preview it again and apply the new preview.")

Slot = tuple[uuid.UUID, date, uuid.UUID]  # (user_id, local date, shift_id)


@dataclass(frozen=True)
class Rotation:
    """What a person asks the generator for."""

    first: date
    last: date
    shift_ids: tuple[uuid.UUID, ...] = ()  # empty: every active shift, by start time
    user_ids: tuple[uuid.UUID, ...] = ()  # empty: every operator of the tenant, by name
    days_per_shift: int = 2
    days_off: int = 2
    replace: bool = False  # also remove the listed people's other assignments in the range


def people_needed(shift_count: int, min_staff: int, days_per_shift: int, days_off: int) -> int:
    """The fewest people with which the rotation staffs every shift with `min_staff` on every day.

    A shift is worked by the people whose place in the cycle falls in its `days_per_shift` days; with
    N offsets spread evenly over a cycle of L days any such stretch holds at least
    floor(N × days_per_shift / L) of them, which reaches min_staff once N ≥ min_staff × L / days_per_shift.
    """
    cycle = shift_count * days_per_shift + days_off
    return -(-min_staff * cycle // days_per_shift)  # ceiling division


def rotation_slots(user_ids, shift_ids, first: date, last: date, days_per_shift: int, days_off: int) -> list[Slot]:
    """The rotation itself: pure, deterministic, anchored on ANCHOR."""
    working = len(shift_ids) * days_per_shift
    cycle = working + days_off
    slots = []
    for index, user_id in enumerate(user_ids):
        offset = index * cycle // len(user_ids)  # spread evenly over the cycle
        day = first
        while day <= last:
            position = ((day - ANCHOR).days + offset) % cycle
            if position < working:
                slots.append((user_id, day, shift_ids[position // days_per_shift]))
            day += timedelta(days=1)
    return slots


@dataclass
class Plan:
    rotation: Rotation
    people: list[service.Person]
    shifts: list[Shift]
    slots: list[Slot]
    to_add: list[Slot]
    unchanged: int
    to_remove: list[tuple[uuid.UUID, Slot]]  # (assignment id, slot)
    digest: str = ""
    names: dict[uuid.UUID, str] = field(default_factory=dict)


def _check_numbers(rotation: Rotation) -> None:
    service.check_range(rotation.first, rotation.last)
    if not 1 <= rotation.days_per_shift <= DAYS_PER_SHIFT_MAX:
        raise Invalid(N_("Use 1 to %(max)s days on each shift."), "days_per_shift", max=DAYS_PER_SHIFT_MAX)
    if not 0 <= rotation.days_off <= DAYS_OFF_MAX:
        raise Invalid(N_("Use 0 to %(max)s days off per cycle."), "days_off", max=DAYS_OFF_MAX)
    for name, ids in (("shift_ids", rotation.shift_ids), ("user_ids", rotation.user_ids)):
        if len(set(ids)) != len(ids):
            raise Invalid(NAMED_TWICE, name)
    if len(rotation.user_ids) > PEOPLE_MAX:
        raise Invalid(N_("Plan at most %(max)s people at a time."), "user_ids", max=PEOPLE_MAX)


def _shifts(session: Session, tenant_id: uuid.UUID, shift_ids) -> list[Shift]:
    active = service.list_shifts(session, tenant_id, active=True)
    if not shift_ids:
        if not active:
            raise Invalid(N_("This tenant has no active shift yet; create the shifts first."), "shift_ids")
        return active
    by_id = {shift.id: shift for shift in active}
    missing = [str(shift_id) for shift_id in shift_ids if shift_id not in by_id]
    if missing:
        raise Invalid(N_("Not an active shift of this tenant: %(ids)s."), "shift_ids", ids=", ".join(missing))
    return [by_id[shift_id] for shift_id in shift_ids]


def _people(session: Session, tenant_id: uuid.UUID, user_ids) -> list[service.Person]:
    if not user_ids:
        operators = service.roster_people(session, tenant_id, roles=(OPERATOR,))
        if not operators:
            raise Invalid(N_("This tenant has no operators yet; invite them as members, "
                             "or choose the people to roster."), "user_ids")
        return operators
    everyone = {p.user_id: p for p in service.roster_people(session, tenant_id)}
    missing = [str(user_id) for user_id in user_ids if user_id not in everyone]
    if missing:
        raise Invalid(N_("Not an operator, supervisor or regional admin of this tenant: %(ids)s."), "user_ids",
                      ids=", ".join(missing))
    return [everyone[user_id] for user_id in user_ids]


def _digest(rotation: Rotation, people, shifts, slots) -> str:
    document = {
        "from": rotation.first.isoformat(), "to": rotation.last.isoformat(), "replace": rotation.replace,
        "people": [str(p.user_id) for p in people],
        "shifts": [[str(s.id), s.version] for s in shifts],
        "slots": sorted(f"{u}/{d.isoformat()}/{s}" for u, d, s in slots),
    }
    return hashlib.sha256(json.dumps(document, separators=(",", ":")).encode()).hexdigest()


def plan(session: Session, tenant: Tenant, rotation: Rotation) -> Plan:
    """What the rotation would put on the roster, and how that differs from what is there. Writes nothing."""
    _check_numbers(rotation)
    shifts = _shifts(session, tenant.id, rotation.shift_ids)
    people = _people(session, tenant.id, rotation.user_ids)
    slots = rotation_slots([p.user_id for p in people], [s.id for s in shifts], rotation.first, rotation.last,
                           rotation.days_per_shift, rotation.days_off)
    existing = dict(
        ((user_id, day, shift_id), assignment_id) for assignment_id, user_id, day, shift_id in session.execute(
            select(Assignment.id, Assignment.user_id, Assignment.local_date, Assignment.shift_id).where(
                Assignment.tenant_id == tenant.id, Assignment.local_date.between(rotation.first, rotation.last),
                Assignment.user_id.in_([p.user_id for p in people]))))
    wanted = set(slots)
    to_add = [slot for slot in slots if slot not in existing]
    to_remove = sorted(((assignment_id, slot) for slot, assignment_id in existing.items() if slot not in wanted),
                       key=lambda item: (item[1][1], str(item[1][0]))) if rotation.replace else []
    return Plan(rotation, people, shifts, slots, to_add, len(slots) - len(to_add), to_remove,
                _digest(rotation, people, shifts, slots), {p.user_id: p.name for p in people})


def preview(session: Session, tenant: Tenant, rotation: Rotation,
            max_weekly_hours: float = coverage.DEFAULT_MAX_WEEKLY_HOURS) -> tuple[Plan, coverage.CoverageReport]:
    """The plan and the coverage the roster would have with it applied."""
    proposed = plan(session, tenant, rotation)
    clock = coverage.Clock(tenant.time_zone)
    specs = {shift.id: service.spec(shift) for shift in proposed.shifts}
    added = [clock.duty(user_id, day, specs[shift_id]) for user_id, day, shift_id in proposed.to_add]
    report = service.roster_coverage(session, tenant, rotation.first, rotation.last, max_weekly_hours,
                                     proposed=added, removed=frozenset(a for a, _slot in proposed.to_remove))
    return proposed, report


@dataclass(frozen=True)
class Applied:
    created: int
    removed: int
    unchanged: int
    digest: str


def apply(session: Session, tenant: Tenant, rotation: Rotation, digest: str, actor: Actor) -> Applied:
    """Write the plan whose preview had this digest, in the caller's transaction."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"roster:{tenant.id}", 112))))
    current = plan(session, tenant, rotation)
    if current.digest != digest:
        raise Conflict(PLAN_CHANGED)
    removed = _remove(session, tenant.id, [assignment_id for assignment_id, _slot in current.to_remove])
    try:
        created = _insert(session, tenant.id, current)
    except IntegrityError:  # a membership revoked after the plan was read: the plan no longer holds
        raise Conflict(PLAN_CHANGED) from None
    record(session, actor, "roster.rotation.apply", "roster", tenant.id, tenant_id=tenant.id, after={
        "from": rotation.first.isoformat(), "to": rotation.last.isoformat(), "replace": rotation.replace,
        "days_per_shift": rotation.days_per_shift, "days_off": rotation.days_off,
        "shifts": [s.code for s in current.shifts], "people": [str(p.user_id) for p in current.people],
        "created": created, "removed": removed, "digest": digest})
    return Applied(created, removed, len(current.slots) - created, digest)


def _insert(session: Session, tenant_id: uuid.UUID, current: Plan) -> int:
    people = {p.user_id: p for p in current.people}
    created = 0
    for start in range(0, len(current.to_add), INSERT_CHUNK):
        rows = [{"tenant_id": tenant_id, "user_id": user_id, "membership_id": people[user_id].membership_id,
                 "shift_id": shift_id, "local_date": day}
                for user_id, day, shift_id in current.to_add[start:start + INSERT_CHUNK]]
        inserted = session.scalars(insert(Assignment).values(rows).returning(Assignment.id)
                                   .on_conflict_do_nothing(constraint="uq_roster_assignments_slot")).all()
        created += len(inserted)  # a slot a concurrent apply wrote first is skipped, not counted
    return created


def _remove(session: Session, tenant_id: uuid.UUID, assignment_ids: list[uuid.UUID]) -> int:
    if not assignment_ids:
        return 0
    result = session.execute(delete(Assignment).where(Assignment.tenant_id == tenant_id,
                                                      Assignment.id.in_(assignment_ids)))
    return result.rowcount
