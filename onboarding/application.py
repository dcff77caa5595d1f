"""The application and its state machine: who may do what, and what must hold first.

    draft ──submit──▶ submitted ──start_review──▶ in_review ──(schedule a visit)──▶ visit_scheduled
      ▲                  ▲                          │  ▲                                  │
      │                  │ submit                   │  └──────(cancel the visit)──────────┤
      │           changes_requested ◀─request_changes┴──────────── visited ◀─(complete the visit)
      │                                                               │
    reopen ◀── withdrawn / rejected                                  approve
                                                                      ▼
                                    approved ──(every required telco's test call passed)──▶ live

The region's regional_admin submits, withdraws (any time before approval) and reopens a withdrawn or
rejected application as a new draft; a ministry_verifier starts the review, requests changes (from
in_review or after the visit), approves (after the visit) and rejects. Visits move the application
to visit_scheduled and visited (visits.py); telco routing moves it to live (routing.py).

Guards: submitting needs every mandatory declared item answered "yes" with evidence where evidence is
required, and every computed item green; approving needs a pass on the last visit for every
mandatory item, and every computed item still green. A refusal lists everything that is missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.sql import Select

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.roles import MINISTRY_VERIFIER, REGIONAL_ADMIN
from siaga112.platform.refusals import N_, Invalid
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.models import Tenant

from . import readiness
from .checklist import CURRENT_VERSION, Checklist, Text, checklist
from .common import (Blocked, Missing, check_version, follow_tenant_status, lock_application, record_transition,
                     role_refusal, touch, unknown_action)
from .models import (APPLICATION_STATUSES, OnboardingApplication, OnboardingTransition, OnboardingVerdict,
                     OnboardingVisit)
from .routing import request_routing
from .state import EDITABLE, STATUS_TEXT, ItemState, clean_note, item_states
from .visits import cancel_open_visits

OPEN = ("draft", "submitted", "in_review", "visit_scheduled", "visited", "changes_requested")


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    note_required: bool = False


ACTIONS = {action.name: action for action in (
    Action("submit", EDITABLE, "submitted", (REGIONAL_ADMIN,)),
    Action("withdraw", OPEN, "withdrawn", (REGIONAL_ADMIN,)),
    Action("reopen", ("withdrawn", "rejected"), "draft", (REGIONAL_ADMIN,)),
    Action("start_review", ("submitted",), "in_review", (MINISTRY_VERIFIER,)),
    Action("request_changes", ("in_review", "visited"), "changes_requested", (MINISTRY_VERIFIER,), note_required=True),
    Action("approve", ("visited",), "approved", (MINISTRY_VERIFIER,)),
    Action("reject", ("in_review", "visit_scheduled", "visited"), "rejected", (MINISTRY_VERIFIER,), note_required=True),
)}


# --- the visits the guards look at ------------------------------------------------------------

def latest_verification(session: Session, application: OnboardingApplication,
                        status: str | None = "completed") -> OnboardingVisit | None:
    query = select(OnboardingVisit).where(OnboardingVisit.tenant_id == application.tenant_id,
                                          OnboardingVisit.application_id == application.id,
                                          OnboardingVisit.kind == "verification")
    if status:
        query = query.where(OnboardingVisit.status == status)
    return session.scalar(query.order_by(OnboardingVisit.created_at.desc(), OnboardingVisit.id).limit(1))


# --- guards -----------------------------------------------------------------------------------

def submission_gaps(states: list[ItemState]) -> list[Missing]:
    """What stops a submission: mandatory declared items not answered yes with evidence; red computed items."""
    return [missing for state in states if (missing := state.missing()) is not None]


def approval_gaps(session: Session, application: OnboardingApplication, states: list[ItemState]) -> list[Missing]:
    """What stops an approval: a mandatory item without a pass on the last completed visit; a red computed item."""
    visit = latest_verification(session, application)
    found: list[Missing] = []
    if visit is None:
        return [Missing("no_visit", Text("Belum ada kunjungan lapangan yang selesai.", "No field visit was completed."))]
    verdicts = {v.item_code: v.verdict for v in session.scalars(select(OnboardingVerdict).where(
        OnboardingVerdict.tenant_id == application.tenant_id, OnboardingVerdict.visit_id == visit.id))}
    for state in states:
        item = state.item
        if item.mandatory and verdicts.get(item.code) != "pass":
            verdict = verdicts.get(item.code)
            found.append(Missing("not_passed", Text(
                f"Tidak lulus verifikasi lapangan ({verdict or 'tanpa penilaian'}): {item.title.id}.",
                f"Not passed on the field visit ({verdict or 'no verdict'}): {item.title.en}."),
                item.code, {"verdict": verdict, "visit_id": str(visit.id)}))
        if item.computed and not state.ready:
            found.append(state.missing())
    return found


def _status_missing(application: OnboardingApplication, action: Action) -> Missing:
    sources = ", ".join(action.sources)
    return Missing("status", Text(
        f"Aksi {action.name} tidak dapat dilakukan saat permohonan berstatus {STATUS_TEXT[application.status].id}.",
        f"{action.name} is not possible while the application is {STATUS_TEXT[application.status].en} "
        f"(it is possible from: {sources})."),
        params={"status": application.status, "allowed_from": list(action.sources)})


def available_actions(application: OnboardingApplication, role: str | None) -> list[str]:
    """The actions of POST …/onboarding/actions that `role` may try in the application's status
    (the guards may still refuse them)."""
    return [name for name, action in ACTIONS.items() if role in action.roles and application.status in action.sources]


# --- acting -----------------------------------------------------------------------------------

def act(session: Session, tenant: Tenant, action_name: str, note: str | None, actor: Actor,
        expected_version: int | None = None,
        results: dict[str, readiness.CheckResult] | None = None) -> OnboardingApplication:
    """Carry out one action of ACTIONS on the region's application, under its row lock.

    Raises Invalid (unknown action, a note missing), Forbidden (not the actor's role), Stale
    (expected_version differs), Blocked (status or guards; `missing` lists why). `results` may pass
    readiness results evaluated in this transaction after the lock.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise unknown_action(action_name, ACTIONS)
    note = clean_note(note)
    if actor.role not in action.roles:
        raise role_refusal(*action.roles)
    application = lock_application(session, tenant, actor)
    check_version(application.version, expected_version)
    if application.status not in action.sources:
        raise Blocked("status", [_status_missing(application, action)])
    if action.note_required and not note:
        raise Invalid(N_("Say why in a note: the region reads it to know what to do."), "note", code="note_required")
    gaps: list[Missing] = []
    if action.name in ("submit", "approve"):
        states = item_states(session, tenant, application, results)
        gaps = submission_gaps(states) if action.name == "submit" else approval_gaps(session, application, states)
    if gaps:
        raise Blocked("guard", gaps, f"Cannot {action.name.replace('_', ' ')} yet: {len(gaps)} thing(s) missing. "
                      + " ".join(m.text.en for m in gaps[:5]) + (" …" if len(gaps) > 5 else ""))
    before = application.status
    now = datetime.now(timezone.utc)
    application.status = action.target
    if action.name == "submit":
        application.submitted_at = now
    elif action.name == "approve":
        application.approved_at = now
    elif action.name == "reopen":
        application.checklist_version = CURRENT_VERSION  # a new round answers the current edition
        application.submitted_at = application.approved_at = None
    touch(session, application)
    if action.name in ("withdraw", "reject"):
        cancel_open_visits(session, tenant, application, actor, note)
    record_transition(session, tenant, application, actor, action.name, before, action.target, note)
    if action.name == "submit":
        follow_tenant_status(session, tenant, "onboarding", actor, only_from=("prospect",))
    elif action.name in ("withdraw", "reject"):
        follow_tenant_status(session, tenant, "prospect", actor, only_from=("onboarding",))
    elif action.name == "approve":
        request_routing(session, tenant, application, actor)
    return application


# --- reading ----------------------------------------------------------------------------------

@dataclass
class ApplicationView:
    """Everything a page or the API shows of one application."""

    application: OnboardingApplication
    tenant: Tenant
    checklist: Checklist
    items: list[ItemState]
    actions: list[str]
    history: list[OnboardingTransition]

    @property
    def progress(self) -> dict:
        counted = [state for state in self.items if state.item.mandatory]
        ready = sum(1 for state in counted if state.ready)
        return {"ready": ready, "total": len(counted),
                "percent": round(100 * ready / len(counted), 1) if counted else 100.0}

    @property
    def missing_for_submit(self) -> list[dict]:
        return [m.as_dict() for m in submission_gaps(self.items)]


def history(session: Session, application: OnboardingApplication, limit: int = 200) -> list[OnboardingTransition]:
    return list(session.scalars(select(OnboardingTransition).where(
        OnboardingTransition.tenant_id == application.tenant_id,
        OnboardingTransition.application_id == application.id)
        .order_by(OnboardingTransition.seq.desc()).limit(limit)))


def view(session: Session, tenant: Tenant, application: OnboardingApplication, role: str | None,
         results: dict[str, readiness.CheckResult] | None = None) -> ApplicationView:
    states = item_states(session, tenant, application, results)
    return ApplicationView(application, tenant, checklist(application.checklist_version), states,
                           available_actions(application, role), history(session, application))


def computed_results(session: Session, tenant: Tenant, application: OnboardingApplication) -> dict:
    pinned = checklist(application.checklist_version)
    return readiness.evaluate(session, tenant, {item.check for item in pinned.computed})


def etag_data(application: OnboardingApplication, results: dict[str, readiness.CheckResult]) -> dict:
    """What the application's ETag covers: its version and the colour of each computed check."""
    return {"id": str(application.id), "version": application.version,
            "computed": {name: result.green for name, result in sorted(results.items())}}


# --- the national pipeline ---------------------------------------------------------------------

def pipeline_query(stages: list[str] | None = None, province: str | None = None, q: str | None = None) -> Select:
    """Every application with its region, for platform roles (platform context), by region code."""
    query = (select(OnboardingApplication).join(Tenant, Tenant.id == OnboardingApplication.tenant_id)
             .join(Region, Region.code == Tenant.region_code)
             .options(contains_eager(OnboardingApplication.tenant)))
    if stages:
        query = query.where(OnboardingApplication.status.in_(stages))
    if province:
        query = query.where(Region.province_code == province)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Region.name.ilike(pattern, escape="\\"), Tenant.slug.ilike(pattern, escape="\\")))
    return query.order_by(Region.code)


PIPELINE_STAGES = ("no_tenant", "not_started") + APPLICATION_STATUSES


PIPELINE_SORTS = ("code", "name", "stage", "submitted")


def region_stages(stage: str | None = None, province: str | None = None, external: bool | None = None,
                  sort: str = "code", descending: bool = False) -> Select:
    """Every region, with or without a tenant, and its stage (PIPELINE_STAGES): code, name, province_code,
    slug (None without a tenant), stage, submitted_at, external_112_since (the region runs 112 outside
    Siaga112 since then, or None). `external` keeps only those that do (True) or do not (False); `sort`
    is one of PIPELINE_SORTS, ties broken by code. Needs platform context."""
    # A tenant a platform admin made live without an application (a region that moved onto the platform) is
    # live all the same.
    stage_of = case((Tenant.id.is_(None), literal("no_tenant")),
                    (OnboardingApplication.id.is_(None) & (Tenant.status == "live"), literal("live")),
                    (OnboardingApplication.id.is_(None), literal("not_started")),
                    else_=OnboardingApplication.status)
    query = (select(Region.code, Region.name, Region.province_code, Tenant.slug, stage_of.label("stage"),
                    OnboardingApplication.submitted_at, Region.external_112_since)
             .outerjoin(Tenant, Tenant.region_code == Region.code)
             .outerjoin(OnboardingApplication, OnboardingApplication.tenant_id == Tenant.id))
    if stage:
        query = query.where(stage_of == stage)
    if province:
        query = query.where(Region.province_code == province)
    if external is not None:
        query = query.where(Region.external_112_since.is_not(None) if external else Region.external_112_since.is_(None))
    if sort == "stage":  # in the order of the pipeline, not alphabetically
        column = case({name: index for index, name in enumerate(PIPELINE_STAGES)}, value=stage_of)
    else:
        column = {"name": Region.name, "submitted": OnboardingApplication.submitted_at}.get(sort, Region.code)
    column = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return query.order_by(column, Region.code)


def external_counts(session: Session, province: str | None = None) -> dict[str, int]:
    """Regions running 112 outside Siaga112, by stage (no_tenant, not_started, …). Needs platform context."""
    rows = session.execute(select(region_stages(province=province, external=True).subquery().c.stage, func.count())
                           .group_by("stage")).all()
    return dict(rows)


def stage_counts(session: Session, province: str | None = None) -> dict[str, int]:
    """How many regions are at each stage, all 514 counted: no_tenant (no tenant yet), not_started (a tenant
    without an application), then the application statuses. Needs platform context."""
    counts = dict.fromkeys(PIPELINE_STAGES, 0)
    stages = region_stages(province=province).order_by(None).subquery()
    counts.update(session.execute(select(stages.c.stage, func.count()).group_by(stages.c.stage)).all())
    return counts


def find_by_id(session: Session, application_id: uuid.UUID) -> OnboardingApplication | None:
    return session.get(OnboardingApplication, application_id)
