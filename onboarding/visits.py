"""Field visits: verification before approval (a verdict per item, with photos) and monitoring after go-live.

A verification visit is scheduled while the application is in review (→ visit_scheduled); completing
it needs a verdict on every mandatory item (→ visited); cancelling it returns the application to
in_review. A monitoring visit is scheduled once the region is live and completed with its findings
and recommendations. Only ministry verifiers schedule, change and record visits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flask import has_request_context
from flask_babel import format_date, gettext

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.models import PlatformRole, User
from siaga112.platform.identity.roles import MINISTRY_VERIFIER
from siaga112.platform.refusals import N_, Invalid, NotFound
from siaga112.platform.tenancy.models import Tenant

from .checklist import Text, checklist
from .common import (Blocked, Missing, check_version, find_application, flush, lock_application, reader_language,
                     record_transition, role_refusal, touch, unknown_action, user_id_of)
from .models import (VERDICTS, VISIT_KINDS, OnboardingApplication, OnboardingEvidence, OnboardingVerdict,
                     OnboardingVisit, OnboardingVisitVerifier)
from .state import STATUS_TEXT, ItemState, clean_note, item_of, item_states

FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
MAX_PLACE = 300
MAX_TEXT = 20000
MAX_VERIFIERS = 20
VISIT_FIELDS = ("scheduled_for", "place", "note", "findings", "recommendations")
BAD_PLACE = N_("Say where the visit takes place (at most %(count)s characters).")


class ItemInvalid(Invalid):
    """422 about a checklist item, named by its title: in English for the API, in the reader's language on a page."""

    def __init__(self, template: str, field: str, title: Text, *, code: str):
        self.title = title
        super().__init__(template, field, code=code, item=title.en)

    def text(self) -> str:
        return gettext(self.template, **(self.params | {"item": self.title.get(reader_language())}))


def _only_verifiers(actor: Actor) -> None:
    if actor.role != MINISTRY_VERIFIER:
        raise role_refusal(MINISTRY_VERIFIER)


def visits_query(tenant_id: uuid.UUID, kind: str | None = None):
    query = select(OnboardingVisit).where(OnboardingVisit.tenant_id == tenant_id)
    if kind:
        query = query.where(OnboardingVisit.kind == kind)
    return query.order_by(OnboardingVisit.scheduled_for.desc(), OnboardingVisit.created_at.desc(), OnboardingVisit.id)


def get_visit(session: Session, tenant: Tenant, visit_id: uuid.UUID, lock: bool = False) -> OnboardingVisit:
    query = select(OnboardingVisit).where(OnboardingVisit.tenant_id == tenant.id, OnboardingVisit.id == visit_id)
    if lock:
        query = query.with_for_update(of=OnboardingVisit).execution_options(populate_existing=True)
    visit = session.scalar(query)
    if visit is None:
        raise NotFound(N_("This region has no such visit."), code="unknown_visit")
    return visit


def verifiers_of(session: Session, visit: OnboardingVisit) -> list[User]:
    return list(session.scalars(
        select(User).join(OnboardingVisitVerifier, OnboardingVisitVerifier.user_id == User.id)
        .where(OnboardingVisitVerifier.tenant_id == visit.tenant_id, OnboardingVisitVerifier.visit_id == visit.id)
        .order_by(User.name, User.id)))


def visit_snapshot(session: Session, visit: OnboardingVisit) -> dict:
    return {"kind": visit.kind, "status": visit.status, "scheduled_for": visit.scheduled_for.isoformat(),
            "place": visit.place, "note": visit.note, "findings": visit.findings,
            "recommendations": visit.recommendations,
            "verifier_ids": sorted(str(user.id) for user in verifiers_of(session, visit))}


def _check_fields(values: dict) -> dict:
    checked = {}
    if "scheduled_for" in values:
        day = values["scheduled_for"]
        if not isinstance(day, date) or not FIRST_DATE <= day <= LAST_DATE:
            raise Invalid(N_("Choose a date of the visit from the year 2000 to 2099."), "scheduled_for",
                          code="bad_date")
        checked["scheduled_for"] = day
    if "place" in values:
        place = (values["place"] or "").strip()
        if not place or len(place) > MAX_PLACE:
            raise Invalid(BAD_PLACE, "place", code="bad_place", count=MAX_PLACE)
        checked["place"] = place
    if "note" in values:
        checked["note"] = clean_note(values["note"])
    for name in ("findings", "recommendations"):
        if name in values:
            text = (values[name] or "").strip() or None
            if text and len(text) > MAX_TEXT:
                raise Invalid(N_("Keep the findings and the recommendations under %(count)s characters each."), name,
                              code="too_long", count=MAX_TEXT)
            checked[name] = text
    return checked


class LocalDate:
    """A date as a message parameter: written out in the language the message is rendered in."""

    def __init__(self, day: date):
        self.day = day

    def __str__(self) -> str:
        return format_date(self.day, "long") if has_request_context() else self.day.isoformat()


def _not_before_submission(tenant: Tenant, application: OnboardingApplication, day: date) -> None:
    """A visit takes place on or after the day (on the region's clock) the application was submitted."""
    if application.submitted_at is None:
        return
    submitted = application.submitted_at.astimezone(ZoneInfo(tenant.time_zone)).date()
    if day < submitted:
        raise Invalid(N_("The visit cannot be before the application was submitted (%(day)s): choose that day or a "
                         "later one."), "scheduled_for", code="before_submission", day=LocalDate(submitted))


def active_verifiers(session: Session) -> list[User]:
    """Who can be named on a visit: the active ministry verifiers."""
    return list(session.scalars(
        select(User).join(PlatformRole, PlatformRole.user_id == User.id)
        .where(PlatformRole.role == MINISTRY_VERIFIER, User.active.is_(True)).order_by(User.name, User.email)))


def _check_verifiers(session: Session, user_ids, actor: Actor) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(user_ids or ()))
    if not ids:
        own = user_id_of(actor)
        if own is None:
            raise Invalid(N_("Choose the verifiers of the visit."), "verifier_ids", code="no_verifiers")
        ids = [own]
    if len(ids) > MAX_VERIFIERS:
        raise Invalid(N_("At most %(count)s verifiers on one visit."), "verifier_ids", code="too_many_verifiers",
                      count=MAX_VERIFIERS)
    found = set(session.scalars(select(PlatformRole.user_id).join(User, User.id == PlatformRole.user_id).where(
        PlatformRole.user_id.in_(ids), PlatformRole.role == MINISTRY_VERIFIER, User.active.is_(True))))
    unknown = [str(user_id) for user_id in ids if user_id not in found]
    if unknown:
        raise Invalid(N_("Choose verifiers from the list of active ministry verifiers (not: %(ids)s)."),
                      "verifier_ids", code="not_verifier", ids=", ".join(unknown))
    return ids


def _set_verifiers(session: Session, visit: OnboardingVisit, user_ids: list[uuid.UUID]) -> None:
    session.execute(delete(OnboardingVisitVerifier).where(OnboardingVisitVerifier.tenant_id == visit.tenant_id,
                                                          OnboardingVisitVerifier.visit_id == visit.id))
    session.add_all(OnboardingVisitVerifier(tenant_id=visit.tenant_id, visit_id=visit.id, user_id=user_id)
                    for user_id in user_ids)
    flush(session)


def visit_details(session: Session, visit: OnboardingVisit) -> dict:
    """What a visit's transition tells the history, the audit log and the e-mail notifications."""
    return {"visit_id": str(visit.id), "kind": visit.kind, "scheduled_for": visit.scheduled_for.isoformat(),
            "place": visit.place, "verifier_ids": sorted(str(user.id) for user in verifiers_of(session, visit))}


def _status_conflict(application: OnboardingApplication, what: Text, allowed: tuple[str, ...]) -> Blocked:
    status = STATUS_TEXT[application.status]
    return Blocked("status", [Missing("status", Text(f"{what.id} (status permohonan: {status.id}).",
                                                     f"{what.en} (the application is {status.en})."),
                                      params={"status": application.status, "allowed_from": list(allowed)})])


def schedule_visit(session: Session, tenant: Tenant, fields: dict, actor: Actor) -> OnboardingVisit:
    """Schedule a verification visit (application in_review → visit_scheduled) or, once live, a monitoring visit.

    fields: kind (verification | monitoring, default verification), scheduled_for, place, verifier_ids
    (ministry verifiers; default: the actor), note.
    """
    _only_verifiers(actor)
    kind = fields.get("kind") or "verification"
    if kind not in VISIT_KINDS:
        raise Invalid(N_("Choose a verification or a monitoring visit."), "kind", code="bad_kind")
    if fields.get("scheduled_for") in (None, ""):
        raise Invalid(N_("Enter the date of the visit."), "scheduled_for", code="required")
    if fields.get("place") in (None, ""):
        raise Invalid(BAD_PLACE, "place", code="required", count=MAX_PLACE)
    values = _check_fields({name: fields.get(name) for name in ("scheduled_for", "place", "note")})
    verifier_ids = _check_verifiers(session, fields.get("verifier_ids"), actor)
    application = lock_application(session, tenant, actor)
    needed = "in_review" if kind == "verification" else "live"
    if application.status != needed:
        what = (Text("Kunjungan verifikasi dijadwalkan saat permohonan sedang ditinjau",
                     "A verification visit is scheduled while the application is in review")
                if kind == "verification" else
                Text("Kunjungan pemantauan dijadwalkan setelah 112 aktif", "A monitoring visit is scheduled once live"))
        raise _status_conflict(application, what, (needed,))
    _not_before_submission(tenant, application, values["scheduled_for"])
    visit = OnboardingVisit(tenant_id=tenant.id, application_id=application.id, kind=kind, **values)
    session.add(visit)
    flush(session)
    _set_verifiers(session, visit, verifier_ids)
    session.refresh(visit)
    details = visit_details(session, visit)
    record_transition(session, tenant, application, actor, "schedule", None, "scheduled", values.get("note"),
                      subject="visit", subject_id=visit.id, details=details)
    if kind == "verification":
        before = application.status
        application.status = "visit_scheduled"
        touch(session, application)
        record_transition(session, tenant, application, actor, "schedule_visit", before, application.status,
                          values.get("note"), details=details)
    return visit


def _open_visit(session: Session, tenant: Tenant, visit_id: uuid.UUID, actor: Actor,
                expected_version: int | None) -> tuple[OnboardingApplication, OnboardingVisit]:
    _only_verifiers(actor)
    application = lock_application(session, tenant, actor)
    visit = get_visit(session, tenant, visit_id, lock=True)
    check_version(visit.version, expected_version)
    if visit.status != "scheduled":
        raise Blocked("visit_status", [Missing("visit_status", Text(
            f"Kunjungan ini sudah {visit.status}; tidak dapat diubah lagi.",
            f"This visit is {visit.status}; it cannot change any more."), params={"visit_status": visit.status})])
    return application, visit


def update_visit(session: Session, tenant: Tenant, visit_id: uuid.UUID, changes: dict, actor: Actor,
                 expected_version: int | None = None) -> OnboardingVisit:
    """Change a scheduled visit: date, place, note, findings, recommendations, verifier_ids."""
    application, visit = _open_visit(session, tenant, visit_id, actor, expected_version)
    values = _check_fields({name: changes[name] for name in VISIT_FIELDS if name in changes})
    if "scheduled_for" in values:
        _not_before_submission(tenant, application, values["scheduled_for"])
    before = visit_snapshot(session, visit)
    for name, value in values.items():
        setattr(visit, name, value)
    if "verifier_ids" in changes:
        _set_verifiers(session, visit, _check_verifiers(session, changes["verifier_ids"], actor))
    touch(session, visit)
    after = visit_snapshot(session, visit)
    if after != before:
        record(session, actor, "onboarding.visit.update", "onboarding_visit", visit.id, tenant_id=tenant.id,
               before=before, after=after)
    return visit


def open_visit_for_verdicts(session: Session, tenant: Tenant, application: OnboardingApplication,
                            visit_id: uuid.UUID) -> OnboardingVisit:
    """The scheduled verification visit that verdicts and photos may be recorded on (locked)."""
    visit = get_visit(session, tenant, visit_id, lock=True)
    if visit.kind != "verification" or visit.status != "scheduled":
        raise Blocked("visit_status", [Missing("visit_status", Text(
            "Penilaian dan foto dicatat pada kunjungan verifikasi yang masih terjadwal.",
            "Verdicts and photos are recorded on a verification visit that is still scheduled."),
            params={"visit_status": visit.status, "kind": visit.kind})])
    return visit


def find_verdict(session: Session, visit: OnboardingVisit, code: str) -> OnboardingVerdict | None:
    return session.scalar(select(OnboardingVerdict).where(OnboardingVerdict.tenant_id == visit.tenant_id,
                                                          OnboardingVerdict.visit_id == visit.id,
                                                          OnboardingVerdict.item_code == code))


def verdicts_of(session: Session, visit: OnboardingVisit) -> dict[str, OnboardingVerdict]:
    return {v.item_code: v for v in session.scalars(select(OnboardingVerdict).where(
        OnboardingVerdict.tenant_id == visit.tenant_id, OnboardingVerdict.visit_id == visit.id))}


def record_verdict(session: Session, tenant: Tenant, visit_id: uuid.UUID, code: str, verdict: str,
                   note: str | None, actor: Actor, expected_version: int | None = None) -> OnboardingVerdict:
    """The verifier's verdict (pass | fail | not_applicable, with a note) on one item of a scheduled
    verification visit. expected_version: the verdict's version as read (0 when there was none)."""
    _only_verifiers(actor)
    if verdict not in VERDICTS:
        raise Invalid(N_("Choose pass, fail or not applicable."), "verdict", code="bad_verdict")
    note = clean_note(note)
    application = lock_application(session, tenant, actor)
    item = item_of(application, code)
    visit = open_visit_for_verdicts(session, tenant, application, visit_id)
    if verdict == "not_applicable" and item.mandatory:
        raise ItemInvalid(N_("%(item)s is mandatory: it passes or fails; it cannot be not applicable."), "verdict",
                          item.title, code="mandatory_not_applicable")
    found = find_verdict(session, visit, item.code)
    check_version(found.version if found else 0, expected_version)
    before = {"verdict": found.verdict, "note": found.note} if found else None
    if found is None:
        found = OnboardingVerdict(tenant_id=tenant.id, visit_id=visit.id, item_code=item.code, verdict=verdict,
                                  note=note, recorded_by=user_id_of(actor))
        session.add(found)
    else:
        found.verdict, found.note, found.recorded_by = verdict, note, user_id_of(actor)
        found.recorded_at = datetime.now(timezone.utc)
    flush(session)
    session.refresh(found)
    after = {"verdict": found.verdict, "note": found.note}
    if after != before:
        record(session, actor, "onboarding.verdict", "onboarding_visit", visit.id, tenant_id=tenant.id,
               before={"item": item.code, **(before or {})}, after={"item": item.code, **after})
    touch(session, visit)
    return found


VISIT_ACTIONS = ("complete", "cancel")


def visit_action(session: Session, tenant: Tenant, visit_id: uuid.UUID, action: str, actor: Actor,
                 note: str | None = None, findings: str | None = None, recommendations: str | None = None,
                 expected_version: int | None = None) -> OnboardingVisit:
    """complete: a verification visit needs a verdict on every mandatory item (application → visited); a
    monitoring visit needs its findings (given here or earlier). cancel: a verification visit returns the
    application to in_review."""
    if action not in VISIT_ACTIONS:
        raise unknown_action(action, VISIT_ACTIONS)
    application, visit = _open_visit(session, tenant, visit_id, actor, expected_version)
    values = _check_fields({name: value for name, value in
                            (("note", note), ("findings", findings), ("recommendations", recommendations))
                            if value is not None})
    for name, value in values.items():
        if name != "note":
            setattr(visit, name, value)
    note = values.get("note")
    if action == "cancel":
        return _cancel(session, tenant, application, visit, actor, note)
    if visit.kind == "verification":
        verdicts = verdicts_of(session, visit)
        missing = [Missing("no_verdict", Text(f"Belum dinilai: {item.title.id}.", f"No verdict yet: {item.title.en}."),
                           item.code)
                   for item in checklist(application.checklist_version).mandatory if item.code not in verdicts]
        if missing:
            raise Blocked("guard", missing, f"Record a verdict on every mandatory item first ({len(missing)} missing).")
    elif not visit.findings:
        raise Invalid(N_("A monitoring visit is completed with its findings: write them down first."), "findings",
                      code="findings_required")
    visit.status = "completed"
    visit.completed_at = datetime.now(timezone.utc)
    visit.completed_by = user_id_of(actor)
    touch(session, visit)
    details = visit_details(session, visit)
    if visit.kind == "verification":
        verdicts = verdicts_of(session, visit)
        details["verdicts"] = {code: v.verdict for code, v in sorted(verdicts.items())}
    record_transition(session, tenant, application, actor, "complete", "scheduled", "completed", note,
                      subject="visit", subject_id=visit.id, details=details)
    if visit.kind == "verification":
        before = application.status
        application.status = "visited"
        touch(session, application)
        record_transition(session, tenant, application, actor, "record_visit", before, "visited", note, details=details)
    return visit


def _cancel(session: Session, tenant: Tenant, application: OnboardingApplication, visit: OnboardingVisit,
            actor: Actor, note: str | None) -> OnboardingVisit:
    visit.status = "cancelled"
    touch(session, visit)
    details = visit_details(session, visit)
    record_transition(session, tenant, application, actor, "cancel", "scheduled", "cancelled", note,
                      subject="visit", subject_id=visit.id, details=details)
    if visit.kind == "verification" and application.status == "visit_scheduled":
        application.status = "in_review"
        touch(session, application)
        record_transition(session, tenant, application, actor, "cancel_visit", "visit_scheduled", "in_review", note,
                          details=details)
    return visit


def cancel_open_visits(session: Session, tenant: Tenant, application: OnboardingApplication, actor: Actor,
                       note: str | None) -> None:
    """Cancel the scheduled verification visits of an application that is withdrawn or rejected."""
    for visit in session.scalars(select(OnboardingVisit).where(
            OnboardingVisit.tenant_id == tenant.id, OnboardingVisit.application_id == application.id,
            OnboardingVisit.kind == "verification", OnboardingVisit.status == "scheduled")
            .with_for_update(of=OnboardingVisit)):
        visit.status = "cancelled"
        touch(session, visit)
        record_transition(session, tenant, application, actor, "cancel", "scheduled", "cancelled", note,
                          subject="visit", subject_id=visit.id, details=visit_details(session, visit))


# --- the visit report -------------------------------------------------------------------------

@dataclass
class VisitReport:
    """What the printable visit report shows: the visit, its verifiers, and each item with its verdict and photos."""

    tenant: Tenant
    application: OnboardingApplication
    visit: OnboardingVisit
    verifiers: list[User]
    items: list[ItemState]
    photos: dict[str, list[OnboardingEvidence]]

    @property
    def counts(self) -> dict[str, int]:
        counts = {verdict: 0 for verdict in VERDICTS} | {"none": 0}
        for state in self.items:
            counts[state.verdict.verdict if state.verdict else "none"] += 1
        return counts


def visit_report(session: Session, tenant: Tenant, visit_id: uuid.UUID) -> VisitReport:
    visit = get_visit(session, tenant, visit_id)
    application = find_application(session, tenant.id)
    photos: dict[str, list[OnboardingEvidence]] = {}
    for photo in session.scalars(select(OnboardingEvidence).where(
            OnboardingEvidence.tenant_id == tenant.id, OnboardingEvidence.visit_id == visit.id)
            .order_by(OnboardingEvidence.uploaded_at, OnboardingEvidence.id)):
        photos.setdefault(photo.item_code, []).append(photo)
    states = item_states(session, tenant, application, visit=visit) if visit.kind == "verification" else []
    return VisitReport(tenant, application, visit, verifiers_of(session, visit), states, photos)
