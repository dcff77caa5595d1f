"""Shift templates, the people a roster may name, assignments, and the coverage of a stretch of roster days.

Plain functions over a session in the tenant's context; what they refuse they raise as the kernel's
refusals (platform.refusals), which the API lets through and the pages show on their forms. Every
change is audited in the same transaction, which the request's unit of work commits. The rotation
generator is in generator.py and the computation of coverage in coverage.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.models import Membership, User
from siaga112.platform.identity.roles import OPERATOR, REGIONAL_ADMIN, SUPERVISOR
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound, Stale
from siaga112.platform.tenancy.models import Tenant
from sqlalchemy import delete, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import coverage
from .models import MIN_STAFF_MAX, Assignment, Shift

# Dates the roster accepts: wide enough for any real roster, narrow enough that local-time
# arithmetic never leaves what datetime can represent.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
# Roles whose holders work in the call centre and so may be rostered, the usual one first.
ROSTER_ROLES = (OPERATOR, SUPERVISOR, REGIONAL_ADMIN)
SHIFT_FIELDS = ("name", "code", "start_time", "end_time", "min_staff", "active")
SHIFT_CHANGED = N_("Someone else changed this shift meanwhile; open it again.")


# --- shifts ------------------------------------------------------------------------------------

def shift_snapshot(shift: Shift) -> dict:
    return {"name": shift.name, "code": shift.code, "start_time": shift.start_time.strftime("%H:%M"),
            "end_time": shift.end_time.strftime("%H:%M"), "min_staff": shift.min_staff, "active": shift.active}


def shifts_query(tenant_id: uuid.UUID, active: bool | None = None):
    query = select(Shift).where(Shift.tenant_id == tenant_id)
    if active is not None:
        query = query.where(Shift.active.is_(active))
    return query.order_by(Shift.start_time, Shift.code)


def list_shifts(session: Session, tenant_id: uuid.UUID, active: bool | None = None) -> list[Shift]:
    return list(session.scalars(shifts_query(tenant_id, active)))


def get_shift(session: Session, tenant_id: uuid.UUID, shift_id: uuid.UUID) -> Shift:
    shift = session.scalar(select(Shift).where(Shift.tenant_id == tenant_id, Shift.id == shift_id))
    if shift is None:
        raise NotFound(N_("This tenant has no such shift."))
    return shift


def _check_shift(session: Session, tenant_id: uuid.UUID, values: dict, shift_id: uuid.UUID | None) -> None:
    if values["start_time"] == values["end_time"]:
        raise Invalid(N_("The shift must end at another time than it starts (it may end the next day, "
                         "such as 23:30–07:30)."), "end_time")
    if not 1 <= values["min_staff"] <= MIN_STAFF_MAX:
        raise Invalid(N_("The minimum staff is a whole number from 1 to %(max)s."), "min_staff", max=MIN_STAFF_MAX)
    taken = session.scalar(select(Shift.id).where(Shift.tenant_id == tenant_id, Shift.code == values["code"],
                                                  Shift.id != shift_id if shift_id else true()))
    if taken:
        raise _code_taken(values["code"])


# A refusal's message parameters cannot be called `code` (that is the refusal's own code): a shift's
# code is `shift_code` in them.
def _code_taken(code: str) -> Conflict:
    return Conflict(N_("There is already a shift with the code %(shift_code)s; codes tell shifts apart "
                       "in the roster grid."), "code", shift_code=code)


def create_shift(session: Session, tenant_id: uuid.UUID, values: dict, actor: Actor) -> Shift:
    values = {"active": True, **values}
    _check_shift(session, tenant_id, values, None)
    shift = Shift(tenant_id=tenant_id, **{name: values[name] for name in SHIFT_FIELDS})
    try:
        with session.begin_nested():  # two admins adding the same code at once: the second gets the 409
            session.add(shift)
            session.flush()
    except IntegrityError:
        raise _code_taken(values["code"]) from None
    record(session, actor, "shift.create", "shift", shift.id, tenant_id=tenant_id, after=shift_snapshot(shift))
    return shift


def update_shift(session: Session, shift: Shift, changes: dict, actor: Actor) -> Shift:
    before = shift_snapshot(shift)
    values = {name: changes.get(name, getattr(shift, name)) for name in SHIFT_FIELDS}
    _check_shift(session, shift.tenant_id, values, shift.id)
    for name, value in values.items():
        setattr(shift, name, value)
    try:
        session.flush()
    except StaleDataError:
        raise Stale(SHIFT_CHANGED) from None
    except IntegrityError:  # the code was taken by a shift created meanwhile
        raise _code_taken(values["code"]) from None
    if shift_snapshot(shift) != before:
        record(session, actor, "shift.change", "shift", shift.id, tenant_id=shift.tenant_id,
               before=before, after=shift_snapshot(shift))
    return shift


def delete_shift(session: Session, shift: Shift, actor: Actor) -> None:
    used = session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.tenant_id == shift.tenant_id, Assignment.shift_id == shift.id))
    if used:
        raise Conflict(N_("Shift %(shift_code)s is on the roster %(count)s time(s); make it inactive instead, "
                          "so that the roster's history stays."), shift_code=shift.code, count=used)
    record(session, actor, "shift.delete", "shift", shift.id, tenant_id=shift.tenant_id, before=shift_snapshot(shift))
    session.delete(shift)
    try:
        session.flush()
    except StaleDataError:
        raise Stale(SHIFT_CHANGED) from None


def spec(shift: Shift) -> coverage.ShiftSpec:
    return coverage.ShiftSpec(shift.id, shift.code, shift.start_time, shift.end_time, shift.min_staff,
                              shift.active, shift.name)


# --- people ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """Someone who may be on the roster: one of their memberships in the tenant, the usual role first."""

    user_id: uuid.UUID
    membership_id: uuid.UUID
    name: str
    role: str


def roster_people(session: Session, tenant_id: uuid.UUID, roles=ROSTER_ROLES) -> list[Person]:
    """Active people holding one of `roles` in the tenant, by name; each once."""
    rows = session.execute(
        select(Membership.id, Membership.user_id, Membership.role, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, Membership.role.in_(roles), User.active.is_(True))).all()
    chosen: dict[uuid.UUID, Person] = {}
    for membership_id, user_id, role, name in sorted(rows, key=lambda r: ROSTER_ROLES.index(r.role)):
        chosen.setdefault(user_id, Person(user_id, membership_id, name, role))
    return sorted(chosen.values(), key=lambda p: (p.name.casefold(), str(p.user_id)))


def person(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, field: str = "user_id") -> Person:
    found = next((p for p in roster_people(session, tenant_id) if p.user_id == user_id), None)
    if found is None:
        raise Invalid(N_("This person is not an operator, supervisor or regional admin of this tenant; "
                         "invite them as a member first."), field)
    return found


# --- dates -------------------------------------------------------------------------------------

def check_date(day: date, field: str, location: str = "json") -> date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise Invalid(N_("Use a date from %(first)s to %(last)s."), field, location=location, first=FIRST_DATE,
                      last=LAST_DATE)
    return day


def check_range(first: date, last: date, limit: int = coverage.MAX_RANGE_DAYS, *,
                location: str = "json") -> tuple[date, date]:
    """The range of roster days `from`..`to`; a refusal names the one at fault, found in `location`."""
    check_date(first, "from", location)
    check_date(last, "to", location)
    if last < first:
        raise Invalid(N_("The last day is before the first; both are included, so for one day give "
                         "the same date twice."), "to", location=location)
    if (last - first).days + 1 > limit:
        raise Invalid(N_("Ask for at most %(limit)s days at a time (from %(first)s that is up to %(last)s)."),
                      "to", location=location, limit=limit, first=first, last=first + timedelta(days=limit - 1))
    return first, last


# --- assignments -------------------------------------------------------------------------------

def assignment_snapshot(assignment: Assignment, shift: Shift) -> dict:
    return {"user_id": str(assignment.user_id), "membership_id": str(assignment.membership_id),
            "shift_id": str(shift.id), "shift_code": shift.code, "date": assignment.local_date.isoformat()}


def add_assignment(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, shift_id: uuid.UUID, day: date,
                   actor: Actor) -> Assignment:
    check_date(day, "date")
    who = person(session, tenant_id, user_id)
    shift = session.scalar(select(Shift).where(Shift.tenant_id == tenant_id, Shift.id == shift_id))
    if shift is None:
        raise Invalid(N_("This tenant has no such shift."), "shift_id")
    if not shift.active:
        raise Invalid(N_("Shift %(shift_code)s is inactive; activate it first or choose another."), "shift_id",
                      shift_code=shift.code)
    assignment = Assignment(tenant_id=tenant_id, user_id=who.user_id, membership_id=who.membership_id,
                            shift_id=shift.id, local_date=day)
    try:
        with session.begin_nested():  # a savepoint: a duplicate leaves the rest of the transaction usable
            session.add(assignment)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("%(name)s is already on shift %(shift_code)s on %(date)s."), name=who.name,
                       shift_code=shift.code, date=day) from None
    record(session, actor, "roster.assign", "roster_assignment", assignment.id, tenant_id=tenant_id,
           after=assignment_snapshot(assignment, shift))
    return assignment


def get_assignment(session: Session, tenant_id: uuid.UUID, assignment_id: uuid.UUID) -> Assignment:
    assignment = session.scalar(select(Assignment).where(Assignment.tenant_id == tenant_id,
                                                         Assignment.id == assignment_id))
    if assignment is None:
        raise NotFound(N_("This tenant's roster has no such assignment."))
    return assignment


def remove_assignment(session: Session, assignment: Assignment, actor: Actor) -> None:
    record(session, actor, "roster.unassign", "roster_assignment", assignment.id, tenant_id=assignment.tenant_id,
           before=assignment_snapshot(assignment, assignment.shift))
    session.execute(delete(Assignment).where(Assignment.tenant_id == assignment.tenant_id,
                                             Assignment.id == assignment.id))


def assignments_query(tenant_id: uuid.UUID, first: date, last: date, user_id=None, shift_id=None):
    query = (select(Assignment).join(Assignment.shift).join(Assignment.user)
             .where(Assignment.tenant_id == tenant_id, Assignment.local_date.between(first, last)))
    if user_id is not None:
        query = query.where(Assignment.user_id == user_id)
    if shift_id is not None:
        query = query.where(Assignment.shift_id == shift_id)
    return query.order_by(Assignment.local_date, Shift.start_time, func.lower(User.name), Assignment.id)


@dataclass(frozen=True)
class Placed:
    """An assignment with its times: UTC instants and the tenant's local wall clock."""

    assignment: Assignment
    duty: coverage.Duty
    clock: coverage.Clock

    def __getattr__(self, name):
        return getattr(self.assignment, name)

    @property
    def start(self):
        return self.clock.utc(self.duty.start)

    @property
    def end(self):
        return self.clock.utc(self.duty.end)

    @property
    def start_local(self):
        return self.clock.local(self.duty.start)

    @property
    def end_local(self):
        return self.clock.local(self.duty.end)


def placed(tenant: Tenant, assignment: Assignment) -> Placed:
    clock = coverage.Clock(tenant.time_zone)
    return Placed(assignment, clock.duty(assignment.user_id, assignment.local_date, spec(assignment.shift),
                                         assignment.id), clock)


def page_of_assignments(session: Session, tenant: Tenant, first: date, last: date, offset: int, limit: int,
                        user_id=None, shift_id=None) -> tuple[int, list[Placed]]:
    check_range(first, last, location="query")  # the API's from..to
    query = assignments_query(tenant.id, first, last, user_id, shift_id)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    clock = coverage.Clock(tenant.time_zone)
    rows = session.scalars(query.offset(offset).limit(limit)).all() if offset < total else []
    return total, [Placed(a, clock.duty(a.user_id, a.local_date, spec(a.shift), a.id), clock) for a in rows]


# --- coverage ----------------------------------------------------------------------------------

def duties(session: Session, tenant_id: uuid.UUID, clock: coverage.Clock, first: date, last: date,
           shifts: dict[uuid.UUID, coverage.ShiftSpec]) -> list[coverage.Duty]:
    """The assignments of the local dates first..last, placed in time (one query, no ORM objects)."""
    rows = session.execute(select(Assignment.id, Assignment.user_id, Assignment.shift_id, Assignment.local_date)
                           .where(Assignment.tenant_id == tenant_id,
                                  Assignment.local_date.between(first, last))).all()
    return [clock.duty(user_id, day, shifts[shift_id], assignment_id)
            for assignment_id, user_id, shift_id, day in rows]


def roster_coverage(session: Session, tenant: Tenant, first: date, last: date,
                    max_weekly_hours: float = coverage.DEFAULT_MAX_WEEKLY_HOURS,
                    proposed=(), removed: frozenset = frozenset()) -> coverage.CoverageReport:
    """The coverage and conflicts of the roster days first..last.

    `proposed` (Duty objects) are counted as if they were on the roster and the assignments whose ids
    are in `removed` as if they were not: that is how the rotation generator's preview shows what
    applying a plan would give, without writing anything. A range out of bounds is refused as the query
    string's from/to, where the API asks for coverage (the generator checks its body's range before).
    """
    check_range(first, last, location="query")
    clock = coverage.Clock(tenant.time_zone)
    shifts = {shift.id: spec(shift) for shift in list_shifts(session, tenant.id)}
    load_from, load_to = coverage.duty_dates_needed(first, last)
    placed = [d for d in duties(session, tenant.id, clock, load_from, load_to, shifts)
              if d.assignment_id not in removed]
    return coverage.compute(clock, shifts.values(), placed + list(proposed), first, last, max_weekly_hours)


def names_of(session: Session, user_ids) -> dict[uuid.UUID, str]:
    """Display names of people, for reports that name them."""
    ids = set(user_ids)
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def report_names(session: Session, report: coverage.CoverageReport) -> dict[uuid.UUID, str]:
    return names_of(session, {conflict.user_id for conflict in report.conflicts})


def grid_entries(session: Session, tenant_id: uuid.UUID, first: date, last: date):
    """Who is on which shift on the local dates first..last, for the roster grid (no ORM objects)."""
    from .grid import Entry

    rows = session.execute(
        select(Assignment.id, Assignment.user_id, Assignment.local_date, Shift.code, Shift.start_time)
        .join(Shift, (Shift.tenant_id == Assignment.tenant_id) & (Shift.id == Assignment.shift_id))
        .where(Assignment.tenant_id == tenant_id, Assignment.local_date.between(first, last))).all()
    return [Entry(user_id, day, code, start, assignment_id) for assignment_id, user_id, day, code, start in rows]


def rostered_dates(session: Session, tenant_id: uuid.UUID, first: date, last: date) -> dict[uuid.UUID, set[date]]:
    """Who is on the roster on which local dates first..last (for training and onboarding checks): only the
    two columns, no assignment objects, since the readiness of every region asks this."""
    days: dict[uuid.UUID, set[date]] = {}
    for user_id, local_date in session.execute(select(Assignment.user_id, Assignment.local_date).distinct().where(
            Assignment.tenant_id == tenant_id, Assignment.local_date.between(first, last))):
        days.setdefault(user_id, set()).add(local_date)
    return days


@dataclass(frozen=True)
class Today:
    """The day of a call centre as its landing page shows it: who is on duty now, and one person's next shifts."""

    on_duty: list[Placed]
    mine: list[Placed]


def today(session: Session, tenant: Tenant, user_id: uuid.UUID, now: datetime | None = None, days: int = 7) -> Today:
    """On duty at `now` (a night shift begun yesterday included) and `user_id`'s shifts not yet ended in `days`."""
    now = now or datetime.now(timezone.utc)
    clock = coverage.Clock(tenant.time_zone)
    local = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    rows = session.scalars(assignments_query(tenant.id, local - timedelta(days=1), local + timedelta(days=days)))
    placed_rows = [Placed(a, clock.duty(a.user_id, a.local_date, spec(a.shift), a.id), clock) for a in rows]
    return Today(on_duty=[p for p in placed_rows if p.start <= now < p.end],
                 mine=[p for p in placed_rows if p.user_id == user_id and p.end > now])
