"""What every onboarding subject shares: its refusals, the application row lock, and recording a transition.

Refusals are the kernel's (platform.refusals). A 409 that says what must hold first is a `Blocked`: its
`missing` list (each entry a sentence in both languages) is in the problem document next to the `code`,
and a page shows the same entries in the reader's language.

Concurrency: every change locks the region's application row first (SELECT … FOR UPDATE), so two
people acting at once are serialised; the second sees the first one's result and, if its action is
no longer legal, is refused with a Blocked (409) listing why.

Every transition is written three times in the caller's transaction: a history row
(onboarding_transitions, for the pages), an audit entry, and an outbox event
`onboarding.transition` (for the e-mail notifications), so all three commit with the change or not
at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.jobs.outbox import emit
from siaga112.platform.refusals import N_, STALE, Conflict, Forbidden, Invalid, Stale
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import StaleTenant, update_tenant

from .checklist import CURRENT_VERSION, Text
from .models import OnboardingApplication, OnboardingTransition

TRANSITION_TOPIC = "onboarding.transition"
ROLE = N_("Your role may not do this; it needs: %(roles)s.")


def reader_language() -> str:
    """The language of the request being served: id (the default) or en."""
    return str(get_locale() or "id")


@dataclass(frozen=True)
class Missing:
    """One thing that stops an action: a stable code, the checklist item it is about (if any), the sentence
    in both languages and its parameters."""

    code: str
    text: Text
    item: str | None = None
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "item": self.item, "message": self.text.en, **self.text.as_dict(),
                "params": self.params}


class Blocked(Conflict):
    """409: not possible now, and `missing` says why (Missing entries, in both languages).

    The API's detail is `detail` or else the English of the entries; the problem document carries
    `code` and `missing` (as_dict of each entry); `texts()` are the entries in the reader's language.
    """

    def __init__(self, code: str, missing: list[Missing], detail: str | None = None):
        self.missing = list(missing)
        super().__init__(detail or " ".join(entry.text.en for entry in self.missing), code=code,
                         extra={"missing": [entry.as_dict() for entry in self.missing]})

    def texts(self) -> list[str]:
        language = reader_language()
        return [entry.text.get(language) for entry in self.missing] or [super().text()]

    def text(self) -> str:
        return " ".join(self.texts())


def role_refusal(*roles: str) -> Forbidden:
    """403: the actor's role is not one of `roles`."""
    return Forbidden(ROLE, code="role", roles=", ".join(roles))


def unknown_action(name: str, actions) -> Invalid:
    return Invalid(N_("Unknown action “%(action)s”; use one of: %(actions)s."), "action", code="unknown_action",
                   action=name, actions=", ".join(actions))


def user_id_of(actor: Actor) -> uuid.UUID | None:
    """The user behind an actor (None for a machine client or the system)."""
    if actor.kind != "user":
        return None
    try:
        return uuid.UUID(actor.id)
    except ValueError:
        return None


def find_application(session: Session, tenant_id: uuid.UUID, lock: bool = False) -> OnboardingApplication | None:
    query = select(OnboardingApplication).where(OnboardingApplication.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update(of=OnboardingApplication).execution_options(populate_existing=True)
    return session.scalar(query)


def open_application(session: Session, tenant: Tenant, actor: Actor) -> OnboardingApplication:
    """The region's application, created as a draft (pinned to the current checklist) on first use.

    Two first uses at once create one application: the insert does nothing on the unique tenant_id.
    """
    found = find_application(session, tenant.id)
    if found is not None:
        return found
    created = session.scalar(
        insert(OnboardingApplication).values(tenant_id=tenant.id, checklist_version=CURRENT_VERSION)
        .on_conflict_do_nothing(constraint="uq_onboarding_applications_tenant")
        .returning(OnboardingApplication.id))
    application = find_application(session, tenant.id)
    if created is not None:
        record_transition(session, tenant, application, actor, "create", None, "draft")
    return application


def lock_application(session: Session, tenant: Tenant, actor: Actor) -> OnboardingApplication:
    """The region's application, locked for the rest of the transaction (created first if need be)."""
    open_application(session, tenant, actor)
    return find_application(session, tenant.id, lock=True)


def check_version(found_version: int, expected: int | None) -> None:
    """Stale when the caller read another version than the one found (expected None: it did not say)."""
    if expected is not None and expected != found_version:
        raise Stale(STALE, code="stale")


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Stale(STALE, code="stale") from None


def touch(session: Session, row) -> None:
    """Mark a versioned row changed now (bumps its version on flush)."""
    row.updated_at = func.now()
    flush(session)
    session.refresh(row, ["updated_at"])


def record_transition(session: Session, tenant: Tenant, application: OnboardingApplication, actor: Actor,
                      action: str, from_status: str | None, to_status: str, note: str | None = None,
                      subject: str = "application", subject_id: uuid.UUID | None = None,
                      details: dict | None = None) -> OnboardingTransition:
    """History row, audit entry and outbox event of one transition, in the caller's transaction."""
    transition = OnboardingTransition(
        tenant_id=tenant.id, application_id=application.id, subject=subject, subject_id=subject_id, action=action,
        from_status=from_status, to_status=to_status, note=note, actor_kind=actor.kind, actor_id=actor.id,
        role=actor.role)
    session.add(transition)
    target_type = "onboarding_application" if subject == "application" else f"onboarding_{subject}"
    audit_action = f"onboarding.{action}" if subject == "application" else f"onboarding.{subject}.{action}"
    record(session, actor, audit_action, target_type, subject_id or application.id, tenant_id=tenant.id,
           before={"status": from_status} if from_status else None,
           after={"status": to_status, "note": note, **(details or {})})
    emit(session, TRANSITION_TOPIC, {
        "tenant_id": str(tenant.id), "tenant": tenant.slug, "region_code": tenant.region_code,
        "application_id": str(application.id), "application_status": application.status,
        "subject": subject, "subject_id": str(subject_id) if subject_id else str(application.id),
        "action": action, "from": from_status, "to": to_status, "note": note,
        "actor_kind": actor.kind, "actor_id": actor.id, "actor_role": actor.role, **(details or {}),
    })
    return transition


def follow_tenant_status(session: Session, tenant: Tenant, status: str, actor: Actor, only_from: tuple[str, ...]) -> None:
    """Move the tenant's status along with its application (never out of `suspended`, which the platform set)."""
    if tenant.status == status or tenant.status not in only_from:
        return
    try:
        update_tenant(session, tenant, {"status": status}, actor, platform=True)
    except StaleTenant:
        raise Blocked("tenant_changed", [], N_("The region was changed at the same moment; try again.")) from None
