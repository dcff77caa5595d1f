"""The onboarding vocabulary every subject shares, and the state of each checklist item of an application.

application.py, items.py, visits.py and routing.py all read these; this module imports none of them, so
the subjects depend on it (and on common.py), and the graph stays without circles:

    checklist ← readiness, common ← state ← visits, routing ← items, application ← service
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.refusals import N_, Invalid, NotFound
from siaga112.platform.tenancy.models import Tenant

from . import readiness
from .checklist import Item, Text, checklist
from .common import Missing
from .models import OnboardingAnswer, OnboardingApplication, OnboardingEvidence, OnboardingVerdict, OnboardingVisit

EDITABLE = ("draft", "changes_requested")  # the region may change answers and evidence
MAX_NOTE = 4000
NOTE_TOO_LONG = N_("Keep the note under %(count)s characters.")
CODE_FORMAT = re.compile(r"^[a-z0-9_]{1,60}$")

STATUS_TEXT = {  # stage names, capitalised in both languages (docs/glossary.md)
    "draft": Text("Draf", "Draft"), "submitted": Text("Diajukan", "Submitted"),
    "in_review": Text("Sedang ditinjau", "In review"), "visit_scheduled": Text("Kunjungan dijadwalkan", "Visit scheduled"),
    "visited": Text("Telah dikunjungi", "Visited"), "changes_requested": Text("Perlu perbaikan", "Changes requested"),
    "approved": Text("Disetujui", "Approved"), "rejected": Text("Ditolak", "Rejected"),
    "withdrawn": Text("Ditarik", "Withdrawn"), "live": Text("112 aktif", "112 live"),
}


def clean_note(note: str | None) -> str | None:
    """A note as stored: trimmed, None when blank; Invalid when longer than MAX_NOTE."""
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise Invalid(NOTE_TOO_LONG, "note", code="note_too_long", count=MAX_NOTE)
    return note


def item_of(application: OnboardingApplication, code: str) -> Item:
    """The item `code` of the application's pinned checklist; NotFound if it has none."""
    item = checklist(application.checklist_version).get(code) if CODE_FORMAT.fullmatch(code or "") else None
    if item is None:
        raise NotFound(N_("The checklist (version %(version)s) has no item “%(item)s”."), code="unknown_item",
                       version=application.checklist_version, item=code)
    return item


# --- the state of each item -------------------------------------------------------------------

@dataclass
class ItemState:
    """One checklist item of an application: the region's answer and evidence, or the computed result,
    and the verdict of the latest verification visit."""

    item: Item
    answer: OnboardingAnswer | None = None
    evidence: tuple[OnboardingEvidence, ...] = ()
    result: readiness.CheckResult | None = None
    verdict: OnboardingVerdict | None = None
    fact: Text | None = None  # what the platform itself recorded for a declared item (readiness.FACTS)

    @property
    def state(self) -> str:
        """declared: unanswered | answered_no | needs_evidence | ready; computed: green | red."""
        if self.item.computed:
            return "green" if self.result and self.result.green else "red"
        if self.answer is None:
            return "unanswered"
        if self.answer.answer != "yes":
            return "answered_no"
        if self.item.evidence_required and not self.evidence:
            return "needs_evidence"
        return "ready"

    @property
    def ready(self) -> bool:
        return self.state in ("ready", "green")

    @property
    def reason(self) -> dict | None:
        missing = self.missing()
        return missing.as_dict() if missing else None

    def missing(self) -> Missing | None:
        """Why this item stops a submission (None if it does not; an optional item never does)."""
        state, code = self.state, self.item.code
        if state in ("ready", "green"):
            return None
        if self.item.computed:
            reason = self.result.reason if self.result else None
            if reason is None:
                return Missing("not_evaluated", Text("Belum dievaluasi.", "Not evaluated."), code)
            return Missing(reason.code, reason.text, code, reason.params)
        if not self.item.mandatory:
            return None
        title = self.item.title
        if state == "unanswered":
            return Missing("unanswered", Text(f"Belum dijawab: {title.id}.", f"Not answered yet: {title.en}."), code)
        if state == "answered_no":
            return Missing("answered_no", Text(f"Dijawab \"tidak\": {title.id}.", f"Answered \"no\": {title.en}."), code)
        return Missing("no_evidence", Text(f"Lampirkan bukti untuk: {title.id}.", f"Attach evidence for: {title.en}."),
                       code)


def item_states(session: Session, tenant: Tenant, application: OnboardingApplication,
                results: dict[str, readiness.CheckResult] | None = None,
                visit: OnboardingVisit | None = None) -> list[ItemState]:
    """Every item of the application's pinned checklist with its state (computed items evaluated now,
    unless `results` are given); verdicts of `visit`, or of the latest visit that has verdicts."""
    pinned = checklist(application.checklist_version)
    if results is None:
        results = readiness.evaluate(session, tenant, {item.check for item in pinned.computed})
    answers = {answer.item_code: answer for answer in session.scalars(select(OnboardingAnswer).where(
        OnboardingAnswer.tenant_id == tenant.id, OnboardingAnswer.application_id == application.id))}
    evidence: dict[str, list[OnboardingEvidence]] = {}
    for row in session.scalars(select(OnboardingEvidence).where(
            OnboardingEvidence.tenant_id == tenant.id, OnboardingEvidence.application_id == application.id,
            OnboardingEvidence.visit_id.is_(None)).order_by(OnboardingEvidence.uploaded_at, OnboardingEvidence.id)):
        evidence.setdefault(row.item_code, []).append(row)
    visit = visit or _visit_with_verdicts(session, application)
    verdicts = {}
    if visit is not None:
        verdicts = {v.item_code: v for v in session.scalars(select(OnboardingVerdict).where(
            OnboardingVerdict.tenant_id == tenant.id, OnboardingVerdict.visit_id == visit.id))}
    facts = readiness.facts(session, tenant, [item.code for item in pinned.items if not item.computed])
    return [ItemState(item, answers.get(item.code), tuple(evidence.get(item.code, ())),
                      results.get(item.check) if item.computed else None, verdicts.get(item.code),
                      facts.get(item.code))
            for item in pinned.items]


def _visit_with_verdicts(session: Session, application: OnboardingApplication) -> OnboardingVisit | None:
    return session.scalar(
        select(OnboardingVisit).where(OnboardingVisit.tenant_id == application.tenant_id,
                                      OnboardingVisit.application_id == application.id,
                                      OnboardingVisit.kind == "verification",
                                      OnboardingVisit.status.in_(("scheduled", "completed")))
        .order_by(OnboardingVisit.created_at.desc(), OnboardingVisit.id).limit(1))
