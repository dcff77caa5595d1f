"""Telco routing of 112 to the region after approval, and go-live.

Approval requests routing from every telco (one row each, `requested`). A ministry verifier records
each telco's progress: activate (the telco routes 112 to the region's inbound lines) and
pass_test_call (by whom, when, from which number). A telco that does not serve the region can be
excluded (with a note) and included again. When every required telco has passed its test call,
the application and the tenant become live.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.roles import MINISTRY_VERIFIER
from siaga112.platform.refusals import N_, Invalid, NotFound
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.directory.phone import InvalidNumber, parse_number

from .checklist import Text
from .common import (Blocked, Missing, check_version, find_application, flush, follow_tenant_status, lock_application,
                     record_transition, role_refusal, touch, unknown_action, user_id_of)
from .models import TELCOS, OnboardingApplication, OnboardingTransition, RoutingActivation
from .state import STATUS_TEXT, clean_note

ROUTING_ACTIONS = ("activate", "pass_test_call", "exclude", "include")
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)


def routing_query(tenant_id: uuid.UUID, application_id: uuid.UUID):
    order = {code: index for index, code in enumerate(TELCOS)}
    rows = select(RoutingActivation).where(RoutingActivation.tenant_id == tenant_id,
                                           RoutingActivation.application_id == application_id)
    return rows, order


def list_routing(session: Session, tenant: Tenant) -> list[RoutingActivation]:
    """The region's telco activations, in the order of TELCOS (empty before approval)."""
    application = find_application(session, tenant.id)
    if application is None:
        return []
    query, order = routing_query(tenant.id, application.id)
    return sorted(session.scalars(query), key=lambda row: order[row.telco])


def get_routing(session: Session, tenant: Tenant, telco: str, lock: bool = False) -> RoutingActivation:
    if telco not in TELCOS:
        raise NotFound(N_("There is no telco “%(telco)s”; the telcos are: %(telcos)s."), code="unknown_telco",
                       telco=telco, telcos=", ".join(TELCOS))
    application = find_application(session, tenant.id)
    found = None
    if application is not None:
        query, _ = routing_query(tenant.id, application.id)
        query = query.where(RoutingActivation.telco == telco)
        if lock:
            query = query.with_for_update(of=RoutingActivation).execution_options(populate_existing=True)
        found = session.scalar(query)
    if found is None:
        raise NotFound(N_("Routing by %(telco)s is requested once the application is approved."),
                       code="not_requested", telco=TELCOS[telco])
    return found


def routing_snapshot(row: RoutingActivation) -> dict:
    return {"telco": row.telco, "required": row.required, "status": row.status,
            "test_call_from": row.test_call_from,
            "test_call_at": row.test_call_at.isoformat() if row.test_call_at else None, "note": row.note}


def request_routing(session: Session, tenant: Tenant, application: OnboardingApplication, actor: Actor) -> None:
    """On approval: ask every telco to route 112 to the region (rows that exist already are kept)."""
    existing = {row.telco for row in session.scalars(routing_query(tenant.id, application.id)[0])}
    for telco in TELCOS:
        if telco in existing:
            continue
        row = RoutingActivation(tenant_id=tenant.id, application_id=application.id, telco=telco,
                                requested_by=user_id_of(actor))
        session.add(row)
        flush(session)
        record_transition(session, tenant, application, actor, "request", None, "requested", subject="routing",
                          subject_id=row.id, details={"telco": telco, "telco_name": TELCOS[telco]})


def _status_conflict(text: Text, **params) -> Blocked:
    return Blocked("routing_status", [Missing("routing_status", text, params=params)])


def _approved_application(session: Session, tenant: Tenant, actor: Actor) -> OnboardingApplication:
    """The application, locked; routing is recorded only between approval and go-live."""
    application = lock_application(session, tenant, actor)
    if application.status != "approved":
        status = STATUS_TEXT[application.status]
        raise _status_conflict(Text(f"Routing dicatat setelah permohonan disetujui dan sebelum 112 aktif (sekarang: {status.id}).",
                                    f"Routing is tracked after approval and before go-live (the application is "
                                    f"{status.en})."), status=application.status)
    return application


def routing_action(session: Session, tenant: Tenant, telco: str, action: str, actor: Actor, note: str | None = None,
                   from_number: str | None = None, called_at: datetime | None = None,
                   expected_version: int | None = None) -> RoutingActivation:
    """activate (requested → active), pass_test_call (active → test_call_passed; from_number required,
    called_at defaults to now), exclude (not required; a note says why) or include (required again).
    Goes live when every required telco has passed."""
    if actor.role != MINISTRY_VERIFIER:
        raise role_refusal(MINISTRY_VERIFIER)
    if action not in ROUTING_ACTIONS:
        raise unknown_action(action, ROUTING_ACTIONS)
    note = clean_note(note)
    now = datetime.now(timezone.utc)
    e164 = None
    if action == "pass_test_call":
        try:
            e164 = parse_number(from_number or "")
        except InvalidNumber as error:
            # Pages word it as the directory's number fields do, by the code (the parser's reason).
            raise Invalid(N_("The number the test call was made from is not valid: %(reason)s"), "from_number",
                          code=error.reason, reason=str(error)) from None
        if called_at is not None:
            if called_at.tzinfo is None:
                raise Invalid(N_("Enter the time of the test call with its offset, e.g. 2026-05-01T10:00:00+07:00."),
                              "called_at", code="naive_time")
            if called_at < EARLIEST:
                raise Invalid(N_("The test call cannot be before the year 2000: enter the time it was made."),
                              "called_at", code="too_early")
            if called_at > now + CLOCK_SKEW:
                raise Invalid(N_("The time of the test call is in the future: record a test call once it was made."),
                              "called_at", code="future")
    if action == "exclude" and not note:
        raise Invalid(N_("Say in a note why this telco is not required."), "note", code="note_required")
    application = _approved_application(session, tenant, actor)
    row = get_routing(session, tenant, telco, lock=True)
    check_version(row.version, expected_version)
    before = routing_snapshot(row)
    from_status, transition = row.status, action
    if action == "activate":
        if row.status != "requested":
            raise _status_conflict(Text(f"{row.telco_name} sudah {row.status}.", f"{row.telco_name} is already {row.status}."),
                                   routing_status=row.status, allowed_from=["requested"])
        row.status, row.activated_at, row.activated_by = "active", now, user_id_of(actor)
    elif action == "pass_test_call":
        if row.status != "active":
            raise _status_conflict(Text(f"Uji panggilan dicatat setelah {row.telco_name} aktif (sekarang: {row.status}).",
                                        f"A test call is recorded once {row.telco_name} is active (it is {row.status})."),
                                   routing_status=row.status, allowed_from=["active"])
        at = called_at.astimezone(timezone.utc) if called_at else now
        if row.activated_at and at < row.activated_at - CLOCK_SKEW:
            raise Invalid(N_("The test call is before the telco's routing was marked active."), "called_at",
                          code="before_activation")
        row.status, row.test_call_at, row.test_call_by, row.test_call_from = ("test_call_passed", at,
                                                                             user_id_of(actor), e164)
    else:
        wanted = action == "include"
        if row.required == wanted:
            raise _status_conflict(Text(f"{row.telco_name} sudah {'wajib' if wanted else 'dikecualikan'}.",
                                        f"{row.telco_name} is already {'required' if wanted else 'excluded'}."),
                                   required=row.required)
        row.required = wanted
    if note:
        row.note = note
    touch(session, row)
    if action in ("activate", "pass_test_call"):
        details = {"telco": telco, "telco_name": TELCOS[telco]}
        if e164:
            details.update(test_call_from=e164, test_call_at=row.test_call_at.isoformat())
        record_transition(session, tenant, application, actor, transition, from_status, row.status, note,
                          subject="routing", subject_id=row.id, details=details)
    else:
        record(session, actor, f"onboarding.routing.{action}", "onboarding_routing", row.id, tenant_id=tenant.id,
               before=before, after=routing_snapshot(row))
    go_live_if_ready(session, tenant, application, actor)
    return row


FAILED_TEST_CALL = "fail_test_call"


def fail_test_call(session: Session, tenant: Tenant, telco: str, actor: Actor, reason: str | None,
                   from_number: str | None = None, expected_version: int | None = None) -> RoutingActivation:
    """Record a test call through an active telco that failed, with why (required) and, if known, the number it
    was made from. The routing stays active (a passed test call is still to come); the failure is in the
    routing's history and the audit log."""
    if actor.role != MINISTRY_VERIFIER:
        raise role_refusal(MINISTRY_VERIFIER)
    reason = clean_note(reason)
    if not reason:
        raise Invalid(N_("Say why the test call failed (e.g. the call did not reach the region's line)."), "note",
                      code="reason_required")
    e164 = None
    if (from_number or "").strip():
        try:
            e164 = parse_number(from_number)
        except InvalidNumber as error:
            raise Invalid(N_("The number the test call was made from is not valid: %(reason)s"), "from_number",
                          code=error.reason, reason=str(error)) from None
    application = _approved_application(session, tenant, actor)
    row = get_routing(session, tenant, telco, lock=True)
    check_version(row.version, expected_version)
    if row.status != "active" or not row.required:
        raise _status_conflict(Text(f"Uji panggilan dicatat setelah {row.telco_name} aktif (sekarang: {row.status}).",
                                    f"A test call is recorded once {row.telco_name} is active (it is {row.status})."),
                               routing_status=row.status, allowed_from=["active"])
    touch(session, row)
    record_transition(session, tenant, application, actor, FAILED_TEST_CALL, row.status, row.status, reason,
                      subject="routing", subject_id=row.id,
                      details={"telco": telco, "telco_name": TELCOS[telco], "test_call_from": e164})
    return row


def failed_test_calls(session: Session, tenant: Tenant, rows: list[RoutingActivation]) -> dict[str, OnboardingTransition]:
    """The latest failed test call of each telco that has not passed one since (telco → its history row)."""
    waiting = {row.id: row.telco for row in rows if row.status == "active"}
    if not waiting:
        return {}
    found: dict[str, OnboardingTransition] = {}
    for transition in session.scalars(select(OnboardingTransition).where(
            OnboardingTransition.tenant_id == tenant.id, OnboardingTransition.subject == "routing",
            OnboardingTransition.action == FAILED_TEST_CALL, OnboardingTransition.subject_id.in_(waiting))
            .order_by(OnboardingTransition.seq.desc())):
        found.setdefault(waiting[transition.subject_id], transition)
    return found


def routing_gaps(session: Session, tenant: Tenant, application: OnboardingApplication) -> list[Missing]:
    """The required telcos that have not passed their test call (empty: ready to go live)."""
    rows = session.scalars(routing_query(tenant.id, application.id)[0]).all()
    required = [row for row in rows if row.required]
    if not required:
        return [Missing("no_required_telco", Text("Tidak ada operator yang wajib.", "No telco is required."))]
    return [Missing("test_call_missing", Text(f"{row.telco_name}: uji panggilan belum lulus ({row.status}).",
                                              f"{row.telco_name}: no passed test call yet ({row.status})."),
                    params={"telco": row.telco, "routing_status": row.status})
            for row in sorted(required, key=lambda r: list(TELCOS).index(r.telco)) if row.status != "test_call_passed"]


def go_live_if_ready(session: Session, tenant: Tenant, application: OnboardingApplication, actor: Actor) -> bool:
    """approved → live, with the tenant, when every required telco has passed its test call."""
    if application.status != "approved" or routing_gaps(session, tenant, application):
        return False
    application.status = "live"
    application.live_at = datetime.now(timezone.utc)
    touch(session, application)
    passed = [row.telco for row in session.scalars(routing_query(tenant.id, application.id)[0])
              if row.status == "test_call_passed"]
    record_transition(session, tenant, application, actor, "go_live", "approved", "live",
                      details={"telcos": sorted(passed)})
    follow_tenant_status(session, tenant, "live", actor, only_from=("prospect", "onboarding"))
    return True
