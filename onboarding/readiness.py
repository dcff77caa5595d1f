"""The computed checklist items, evaluated from the region's live data.

Read-only over the tenant contexts (DESIGN.md: onboarding may call tenants' services read-only):
the roster's coverage, the directory's reachable agencies and inbound lines, and training. The
window is the next 30 days in the region's local time, today included.

A red check carries a Reason: a stable `code` with `params` (for pages that word it themselves)
and the sentence in both languages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from siaga112.platform.identity.models import Membership
from siaga112.platform.identity.roles import SUPERVISOR
from siaga112.platform.tenancy.models import Tenant

from .checklist import Text

WINDOW_DAYS = 30
MIN_INBOUND_LINES = 2
REQUIRED_AGENCY_KINDS = ("police", "fire", "medical", "disaster")
AGENCY_KIND_NAMES = {
    "police": Text("polisi", "police"),
    "fire": Text("pemadam kebakaran", "fire"),
    "medical": Text("layanan medis", "medical"),
    "disaster": Text("penanggulangan bencana", "disaster"),
}
NAMES_SHOWN = 3


@dataclass(frozen=True)
class Reason:
    """Why a computed item is red: a code and its parameters, and the sentence in both languages."""

    code: str
    text: Text
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params, **self.text.as_dict()}


@dataclass(frozen=True)
class CheckResult:
    check: str
    green: bool
    reason: Reason | None = None


def local_today(tenant: Tenant) -> date:
    return datetime.now(ZoneInfo(tenant.time_zone)).date()


def window(tenant: Tenant, today: date | None = None) -> tuple[date, date]:
    """The local dates the staff and training checks look at: today and the 29 days after."""
    first = today or local_today(tenant)
    return first, first + timedelta(days=WINDOW_DAYS - 1)


# --- the checks ---------------------------------------------------------------------------------

def check_roster_coverage(session: Session, tenant: Tenant, first: date, last: date) -> CheckResult:
    from siaga112.tenants.roster.service import list_shifts, roster_coverage

    if not list_shifts(session, tenant.id, active=True):
        return CheckResult("roster_coverage", False, _no_shifts())
    report = roster_coverage(session, tenant, first, last)
    if report.percent == 100.0:
        return CheckResult("roster_coverage", True)
    gap = report.gaps[0]
    start = report.clock.local(gap.start).strftime("%Y-%m-%d %H:%M")
    params = {"percent": report.percent, "gaps": len(report.gaps), "first_gap": start, "first": first.isoformat(),
              "last": last.isoformat()}
    return CheckResult("roster_coverage", False, Reason("roster_gaps", Text(
        f"Roster hanya menutup {report.percent}% dari {first} s.d. {last}; celah pertama {start} "
        f"({len(report.gaps)} celah). Lengkapi roster hingga staf minimum setiap shift terpenuhi.",
        f"The roster covers only {report.percent}% of {first} to {last}; the first gap is at {start} "
        f"({len(report.gaps)} gaps). Fill the roster until every shift has its minimum staff."), params))


def unsupervised_shifts(session: Session, tenant_id: uuid.UUID, first: date, last: date) -> list[tuple[date, object]]:
    """(local date, shift) of each active shift instance first..last with nobody holding the supervisor role on it.

    The person counts as a supervisor if they hold the supervisor role in the tenant, whichever of their
    memberships put them on the roster.
    """
    from siaga112.tenants.roster.models import Assignment
    from siaga112.tenants.roster.service import list_shifts

    shifts = list_shifts(session, tenant_id, active=True)
    is_supervisor = exists().where(Membership.tenant_id == Assignment.tenant_id,
                                   Membership.user_id == Assignment.user_id, Membership.role == SUPERVISOR)
    supervised = set(session.execute(
        select(Assignment.local_date, Assignment.shift_id).distinct()
        .where(Assignment.tenant_id == tenant_id, Assignment.local_date.between(first, last), is_supervisor)).all())
    missing = []
    day = first
    while day <= last:
        missing.extend((day, shift) for shift in shifts if (day, shift.id) not in supervised)
        day += timedelta(days=1)
    return missing


def check_supervisor_every_shift(session: Session, tenant: Tenant, first: date, last: date) -> CheckResult:
    from siaga112.tenants.roster.service import list_shifts

    if not list_shifts(session, tenant.id, active=True):
        return CheckResult("supervisor_every_shift", False, _no_shifts())
    missing = unsupervised_shifts(session, tenant.id, first, last)
    if not missing:
        return CheckResult("supervisor_every_shift", True)
    day, shift = missing[0]
    params = {"count": len(missing), "first_date": day.isoformat(), "first_shift": shift.code}
    return CheckResult("supervisor_every_shift", False, Reason("unsupervised_shifts", Text(
        f"{len(missing)} shift tanpa supervisor dari {first} s.d. {last}, pertama shift {shift.code} tanggal {day}. "
        f"Jadwalkan seorang supervisor di setiap shift.",
        f"{len(missing)} shifts without a supervisor from {first} to {last}, the first is shift {shift.code} on "
        f"{day}. Roster a supervisor on every shift."), params))


def check_inbound_lines(session: Session, tenant: Tenant, first: date, last: date) -> CheckResult:
    from siaga112.tenants.directory.service import active_lines

    count = len(active_lines(session, tenant.id, "inbound_line"))
    if count >= MIN_INBOUND_LINES:
        return CheckResult("inbound_lines", True)
    return CheckResult("inbound_lines", False, Reason("too_few_inbound_lines", Text(
        f"Baru {count} saluran masuk 112 aktif; diperlukan minimal {MIN_INBOUND_LINES}. Daftarkan di menu Nomor.",
        f"Only {count} active 112 inbound line(s); at least {MIN_INBOUND_LINES} are needed. Register them under "
        f"Numbers."), {"count": count, "required": MIN_INBOUND_LINES}))


def check_operators_trained(session: Session, tenant: Tenant, first: date, last: date) -> CheckResult:
    from siaga112.tenants.training.service import people_without_valid_training, rostered_days

    days = rostered_days(session, tenant.id, first, last)
    if not days:
        return CheckResult("operators_trained", False, Reason("nobody_rostered", Text(
            f"Belum ada petugas dalam roster dari {first} s.d. {last}.",
            f"Nobody is on the roster from {first} to {last}."), {"first": first.isoformat(), "last": last.isoformat()}))
    untrained = people_without_valid_training(session, tenant.id, days)
    if not untrained:
        return CheckResult("operators_trained", True)
    names = [person.name for person in untrained[:NAMES_SHOWN]]
    shown = ", ".join(names) + (f" (+{len(untrained) - len(names)})" if len(untrained) > len(names) else "")
    return CheckResult("operators_trained", False, Reason("untrained_rostered", Text(
        f"{len(untrained)} petugas dalam roster tanpa pelatihan yang berlaku: {shown}.",
        f"{len(untrained)} rostered people without valid training: {shown}."),
        {"count": len(untrained), "names": names, "user_ids": [str(p.user_id) for p in untrained]}))


def check_agency_contacts(session: Session, tenant: Tenant, first: date, last: date) -> CheckResult:
    from siaga112.tenants.directory.service import reachable_agency_kinds

    reachable = reachable_agency_kinds(session, tenant.id)
    missing = [kind for kind in REQUIRED_AGENCY_KINDS if kind not in reachable]
    if not missing:
        return CheckResult("agency_contacts", True)
    in_id = ", ".join(AGENCY_KIND_NAMES[kind].id for kind in missing)
    in_en = ", ".join(AGENCY_KIND_NAMES[kind].en for kind in missing)
    return CheckResult("agency_contacts", False, Reason("agencies_unreachable", Text(
        f"Belum ada instansi aktif dengan nomor kontak aktif untuk: {in_id}.",
        f"No active agency with an active contact number for: {in_en}."), {"missing": missing}))


def _no_shifts() -> Reason:
    return Reason("no_shifts", Text("Belum ada shift aktif; buat shift (misalnya 07.30–16.00, 16.00–23.30, 23.30–07.30).",
                                    "There is no active shift yet; create the shifts (e.g. 07:30–16:00, 16:00–23:30, "
                                    "23:30–07:30)."))


CHECKS: dict[str, Callable[[Session, Tenant, date, date], CheckResult]] = {
    "roster_coverage": check_roster_coverage,
    "supervisor_every_shift": check_supervisor_every_shift,
    "inbound_lines": check_inbound_lines,
    "operators_trained": check_operators_trained,
    "agency_contacts": check_agency_contacts,
}


# --- what the platform recorded for a declared item ------------------------------------------------

TEST_CALL_DAYS = 7


def test_calls_fact(session: Session, tenant: Tenant) -> Text:
    """The test calls the region's telephony delivered lately (a region not live records every call as a test):
    what the platform saw of the simulation exercise, which the region still attests with its report."""
    from siaga112.tenants.calls.service import test_call_counts

    since = datetime.now(timezone.utc) - timedelta(days=TEST_CALL_DAYS)
    total, classified = test_call_counts(session, tenant.id, since)
    if not total:
        return Text(f"Belum ada panggilan uji tercatat di platform dalam {TEST_CALL_DAYS} hari terakhir.",
                    f"No test call recorded on the platform in the last {TEST_CALL_DAYS} days.")
    id_, en = (lambda n: format_decimal(n, locale="id")), (lambda n: format_decimal(n, locale="en"))
    return Text(f"Tercatat di platform: {id_(total)} panggilan uji dalam {TEST_CALL_DAYS} hari terakhir, "
                f"{id_(classified)} di antaranya diklasifikasi operator.",
                f"Recorded on the platform: {en(total)} test calls in the last {TEST_CALL_DAYS} days, "
                f"{en(classified)} of them classified by an operator.")


FACTS: dict[str, Callable[[Session, Tenant], Text]] = {"simulation_exercise": test_calls_fact}


def facts(session: Session, tenant: Tenant, codes) -> dict[str, Text]:
    """What the platform recorded for each of these declared items that it knows something of."""
    return {code: FACTS[code](session, tenant) for code in codes if code in FACTS}


def evaluate(session: Session, tenant: Tenant, checks=None, today: date | None = None) -> dict[str, CheckResult]:
    """The result of each check (all of them, or those named), over the next 30 days from `today` (local)."""
    first, last = window(tenant, today)
    return {name: CHECKS[name](session, tenant, first, last) for name in (checks or CHECKS)}
