"""Escalation: when an agency does not acknowledge, the platform reminds it, then the supervisor on duty, then the
regional admin — each region's own steps, or the national default.

A dispatch's steps are rows written when it is sent, each with its due time. `sweep` (an rq job that `siaga112
cron` enqueues every SWEEP_SECONDS) takes the due rows with FOR UPDATE SKIP LOCKED, so two workers never take the
same step, and fires each in the transaction that marks it fired: the e-mail rows and the mark commit together or
not at all, so a step fires at most once. Timers live in PostgreSQL, not in a worker's memory nor in Redis: a
worker killed or a Redis restarted delays a step by a sweep at most. A step never fires for a dispatch
acknowledged or cancelled, nor for an incident closed, however old — the sweep checks again at the moment it
fires, and drops such steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.models import Membership, User
from siaga112.platform.identity.roles import REGIONAL_ADMIN, SUPERVISOR
from siaga112.platform.jobs.mail import queue_mail
from siaga112.platform.mail import bilingual, bilingual_subject
from siaga112.platform.push import publish
from siaga112.platform.refusals import N_, Invalid
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Incident

from .models import DEFAULT_STEPS, MAX_STEPS, Dispatch, Escalation, EscalationPolicy, EscalationStep

SWEEP_SECONDS = 10  # a due step fires within a sweep's interval plus the queue's delay: well within 30 s
# Steps per transaction: each fired step appends to its region's audit chain, whose lock a change in that region
# then waits for until the sweep commits; a small batch keeps that wait short (tests/bench/dispatch.py).
SWEEP_BATCH = 100


@dataclass(frozen=True)
class Step:
    after_minutes: int
    action: str


@dataclass(frozen=True)
class PolicyView:
    """The region's policy as the API and the page show it; version 0 while the national default applies."""

    id: uuid.UUID
    version: int
    steps: list[Step]
    national_default: bool


def policy_of(session: Session, tenant_id: uuid.UUID) -> EscalationPolicy | None:
    return session.get(EscalationPolicy, tenant_id)


def policy_view(session: Session, tenant_id: uuid.UUID) -> PolicyView:
    policy = policy_of(session, tenant_id)
    return PolicyView(tenant_id, policy.version if policy else 0, steps_of(session, tenant_id), policy is None)


def steps_of(session: Session, tenant_id: uuid.UUID) -> list[Step]:
    """The region's steps, or the national default when it has set none."""
    policy = policy_of(session, tenant_id)
    if policy is None:
        return [Step(after, action) for after, action in DEFAULT_STEPS]
    return [Step(step.after_minutes, step.action) for step in policy.steps]


def set_policy(session: Session, tenant_id: uuid.UUID, steps: list[dict], actor: Actor) -> PolicyView:
    """Replace the region's steps (the regional admin); each later than the one before. Dispatches already sent
    keep the steps they were sent with. Audited."""
    if len(steps) > MAX_STEPS:
        raise Invalid(N_("At most %(count)s steps."), "steps", code="too_many_steps", count=MAX_STEPS)
    minutes = [step["after_minutes"] for step in steps]
    if minutes != sorted(set(minutes)):
        raise Invalid(N_("Each step must come later than the one before it."), "steps", code="steps_out_of_order")
    policy = policy_of(session, tenant_id)
    before = [{"after_minutes": s.after_minutes, "action": s.action} for s in steps_of(session, tenant_id)]
    if policy is None:
        policy = EscalationPolicy(tenant_id=tenant_id)
        session.add(policy)
    else:
        policy.version += 1
        policy.updated_at = func.now()
    policy.updated_by = actor.user_id
    policy.steps.clear()
    session.flush()
    policy.steps.extend(EscalationStep(tenant_id=tenant_id, position=position, after_minutes=step["after_minutes"],
                                       action=step["action"]) for position, step in enumerate(steps, start=1))
    session.flush()
    record(session, actor, "escalation_policy.update", "escalation_policy", tenant_id, tenant_id=tenant_id,
           before={"steps": before}, after={"steps": [dict(step) for step in steps]})
    return policy_view(session, tenant_id)


def schedule(session: Session, dispatch: Dispatch) -> None:
    """The dispatch's steps with their due times, from the region's policy as it is now."""
    for position, step in enumerate(steps_of(session, dispatch.tenant_id), start=1):
        session.add(Escalation(tenant_id=dispatch.tenant_id, dispatch_id=dispatch.id, agency_id=dispatch.agency_id,
                               position=position, action=step.action,
                               due_at=dispatch.sent_at + timedelta(minutes=step.after_minutes)))
    session.flush()


def escalations_of(session: Session, tenant_id: uuid.UUID, dispatch_ids) -> list[Escalation]:
    return list(session.scalars(select(Escalation).where(Escalation.tenant_id == tenant_id,
                                                         Escalation.dispatch_id.in_(list(dispatch_ids)))
                                .order_by(Escalation.due_at)))


def sweep(session: Session, public_url: str, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Fire the steps due by `now` (platform context, every region); returns how many fired. Steps whose dispatch
    was acknowledged or cancelled, or whose incident closed, are dropped instead."""
    now = now or datetime.now(timezone.utc)
    due = session.execute(
        select(Escalation, Dispatch, Incident)
        .join(Dispatch, (Dispatch.tenant_id == Escalation.tenant_id) & (Dispatch.id == Escalation.dispatch_id))
        .join(Incident, (Incident.tenant_id == Dispatch.tenant_id) & (Incident.id == Dispatch.incident_id))
        .where(Escalation.fired_at.is_(None), Escalation.cancelled_at.is_(None), Escalation.due_at <= now)
        .order_by(Escalation.due_at).limit(limit)
        .with_for_update(of=Escalation, skip_locked=True)).all()
    fired = 0
    tenants: dict[uuid.UUID, Tenant] = {}
    # Region by region, in one order for every sweeper: each takes its regions' audit chain locks in that order,
    # so two sweepers side by side can wait for each other but never deadlock.
    for escalation, dispatch, incident in sorted(due, key=lambda row: (str(row[0].tenant_id), row[0].due_at)):
        if dispatch.status != "sent" or incident.status == "closed":
            escalation.cancelled_at = now
            continue
        tenant = tenants.get(escalation.tenant_id) or session.get(Tenant, escalation.tenant_id)
        tenants[tenant.id] = tenant
        escalation.notified = _notify(session, tenant, escalation, dispatch, incident, public_url, now)
        escalation.fired_at = now
        publish(session, tenant.id, "incidents")
        record(session, Actor.system("escalation"), "dispatch.escalate", "dispatch", dispatch.id, tenant_id=tenant.id,
               after={"position": escalation.position, "action": escalation.action, "notified": escalation.notified})
        fired += 1
    session.flush()
    return fired


def _notify(session: Session, tenant: Tenant, escalation: Escalation, dispatch: Dispatch, incident: Incident,
            public_url: str, now: datetime) -> int:
    from .links import mail_agency

    if escalation.action == "agency_again":
        from .webhooks import announce

        hooks = announce(session, tenant, dispatch, incident, "dispatch.reminder", public_url)
        return int(mail_agency(session, tenant, dispatch, incident, public_url, reminder=True)) + hooks
    people = (supervisors_on_duty(session, tenant, now) if escalation.action == "supervisor_on_duty"
              else members(session, tenant.id, REGIONAL_ADMIN))
    waited = int((now - dispatch.sent_at).total_seconds() // 60)
    url = f"{public_url.rstrip('/')}/tenants/{tenant.slug}/incidents/{incident.id}"
    for name, email in people:
        queue_mail(session, email, bilingual_subject(
            f"ESKALASI 112 {incident.number}: {dispatch.agency.name} belum konfirmasi",
            f"112 ESCALATION {incident.number}: {dispatch.agency.name} has not acknowledged"), bilingual(
            f"{name},\n\n{dispatch.agency.name} belum mengonfirmasi penugasan kejadian {incident.number} "
            f"({incident.summary}) setelah {waited} menit.\n\nHubungi instansi itu lewat telepon dan catat hasilnya:\n"
            f"{url}",
            f"{name},\n\n{dispatch.agency.name} has not acknowledged incident {incident.number} ({incident.summary}) "
            f"after {waited} minutes.\n\nCall the agency and record what it said:\n{url}"), name)
    return len(people)


def members(session: Session, tenant_id: uuid.UUID, role: str) -> list:
    """(name, e-mail) of the region's active people holding `role`."""
    return list(session.execute(
        select(User.name, User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == role, User.active.is_(True))
        .distinct().order_by(User.name)).all())


def supervisors_on_duty(session: Session, tenant: Tenant, now: datetime) -> list[tuple[str, str]]:
    """The supervisors the roster has on duty now; when it has none, every supervisor of the region (an escalation
    must reach someone)."""
    from siaga112.tenants.roster.service import today

    supervisors = members(session, tenant.id, SUPERVISOR)
    on_duty = {placed.user_id for placed in today(session, tenant, uuid.UUID(int=0), now, days=0).on_duty}
    emails = dict(session.execute(select(User.email, User.id).where(User.id.in_(on_duty))).all()) if on_duty else {}
    chosen = [(name, email) for name, email in supervisors if email in emails]
    return chosen or supervisors
