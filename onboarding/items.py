"""The region's answers to declared items, and evidence files (the region's, and photos of a visit).

Evidence bytes are written to the file store first (atomically: temp file, then rename), the row
second; if the request's transaction does not commit, the new file is deleted (on_rollback). So an
upload cut off half-way, refused, or whose transaction failed never shows up as evidence; at worst
an unreferenced temp file is left for the store's sweep. Removing a file is the other way round: the
file goes only once the row's removal has committed (on_commit), so no row ever names a missing file.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.db import on_commit, on_rollback
from siaga112.platform.identity.roles import MINISTRY_VERIFIER, REGIONAL_ADMIN
from siaga112.platform.refusals import N_, Invalid, NotFound
from siaga112.platform.storage import FileStore
from siaga112.platform.tenancy.models import Tenant

from .checklist import Item, Text
from .common import (Blocked, Missing, check_version, find_application, flush, lock_application, role_refusal, touch,
                     user_id_of)
from .models import ANSWERS, OnboardingAnswer, OnboardingApplication, OnboardingEvidence, OnboardingVisit
from .state import EDITABLE, STATUS_TEXT, clean_note, item_of
from .visits import open_visit_for_verdicts

MB = 1024 * 1024
MAX_EVIDENCE_BYTES = 20 * MB
MAX_FILES_PER_ITEM = 50


def storage_namespace(tenant_id: uuid.UUID) -> str:
    return f"onboarding/{tenant_id}"


def _not_editable(application: OnboardingApplication) -> Blocked:
    status = STATUS_TEXT[application.status]
    return Blocked("status", [Missing("status", Text(
        f"Jawaban dan bukti hanya dapat diubah saat permohonan berstatus Draf atau Perlu perbaikan (sekarang: {status.id}).",
        f"Answers and evidence can change only while the application is Draft or Changes requested "
        f"(it is {status.en})."), params={"status": application.status, "allowed_from": list(EDITABLE)})])


def _editable_declared(session: Session, tenant: Tenant, code: str, actor: Actor) -> tuple[OnboardingApplication, Item]:
    application = lock_application(session, tenant, actor)
    item = item_of(application, code)
    if item.computed:
        raise Blocked("computed", [Missing("computed", Text(
            f"{item.title.id} dihitung dari data daerah; tidak dijawab.",
            f"{item.title.en} is computed from the region's data; it is not answered."), code)])
    if application.status not in EDITABLE:
        raise _not_editable(application)
    return application, item


# --- answers ----------------------------------------------------------------------------------

def find_answer(session: Session, application: OnboardingApplication, code: str) -> OnboardingAnswer | None:
    return session.scalar(select(OnboardingAnswer).where(OnboardingAnswer.tenant_id == application.tenant_id,
                                                         OnboardingAnswer.application_id == application.id,
                                                         OnboardingAnswer.item_code == code))


def answer_snapshot(answer: OnboardingAnswer | None) -> dict | None:
    return {"answer": answer.answer, "note": answer.note} if answer else None


def answer_item(session: Session, tenant: Tenant, code: str, answer: str, note: str | None, actor: Actor,
                expected_version: int | None = None) -> OnboardingAnswer:
    """Set the region's yes/no (and note) on a declared item. expected_version: the answer's version as read
    (0 when it was unanswered); Stale if it changed."""
    if actor.role != REGIONAL_ADMIN:
        raise role_refusal(REGIONAL_ADMIN)
    if answer not in ANSWERS:
        raise Invalid(N_("Answer yes or no."), "answer", code="bad_answer")
    note = clean_note(note)
    application, item = _editable_declared(session, tenant, code, actor)
    found = find_answer(session, application, item.code)
    check_version(found.version if found else 0, expected_version)
    before = answer_snapshot(found)
    if found is None:
        found = OnboardingAnswer(tenant_id=tenant.id, application_id=application.id, item_code=item.code,
                                 answer=answer, note=note, answered_by=user_id_of(actor))
        session.add(found)
    else:
        found.answer, found.note, found.answered_by = answer, note, user_id_of(actor)
        found.answered_at = datetime.now(timezone.utc)
    flush(session)
    session.refresh(found)
    if before != answer_snapshot(found):
        record(session, actor, "onboarding.answer", "onboarding_item", f"{application.id}/{item.code}",
               tenant_id=tenant.id, before=before, after=answer_snapshot(found))
    touch(session, application)  # the application changed: its ETag must too
    return found


# --- evidence ---------------------------------------------------------------------------------

def evidence_query(tenant_id: uuid.UUID, application_id: uuid.UUID, code: str, visit_id: uuid.UUID | None = None):
    query = select(OnboardingEvidence).where(OnboardingEvidence.tenant_id == tenant_id,
                                             OnboardingEvidence.application_id == application_id,
                                             OnboardingEvidence.item_code == code)
    query = query.where(OnboardingEvidence.visit_id == visit_id if visit_id else OnboardingEvidence.visit_id.is_(None))
    return query.order_by(OnboardingEvidence.uploaded_at, OnboardingEvidence.id)


def list_evidence(session: Session, tenant: Tenant, code: str, visit_id: uuid.UUID | None = None,
                  ) -> list[OnboardingEvidence]:
    application = find_application(session, tenant.id)
    if application is None:
        return []
    item = item_of(application, code)
    return list(session.scalars(evidence_query(tenant.id, application.id, item.code, visit_id)))


def get_evidence(session: Session, tenant: Tenant, code: str, evidence_id: uuid.UUID,
                 visit_id: uuid.UUID | None = None) -> OnboardingEvidence:
    application = find_application(session, tenant.id)
    found = None
    if application is not None:
        found = session.scalar(evidence_query(tenant.id, application.id, code, visit_id)
                               .where(OnboardingEvidence.id == evidence_id))
    if found is None:
        raise NotFound(N_("This item has no such evidence file."), code="unknown_evidence")
    return found


def evidence_snapshot(evidence: OnboardingEvidence) -> dict:
    return {"item_code": evidence.item_code, "visit_id": str(evidence.visit_id) if evidence.visit_id else None,
            "name": evidence.name, "sha256": evidence.sha256, "content_type": evidence.content_type,
            "size": evidence.size}


def display_name(filename: str | None, extension: str) -> str:
    """The uploaded name without folders or control characters, ending in the extension of what it really is."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = re.sub(r"[\x00-\x1f\x7f\"]+", "", base.rsplit(".", 1)[0] if "." in base else base).strip()[:150]
    return f"{stem or 'evidence'}.{extension}"


def _check_evidence_target(session: Session, tenant: Tenant, code: str, actor: Actor, visit_id: uuid.UUID | None,
                           adding: bool = True) -> tuple[OnboardingApplication, Item, OnboardingVisit | None]:
    if visit_id is None:
        if actor.role != REGIONAL_ADMIN:
            raise role_refusal(REGIONAL_ADMIN)
        application, item = _editable_declared(session, tenant, code, actor)
        visit = None
    else:
        if actor.role != MINISTRY_VERIFIER:
            raise role_refusal(MINISTRY_VERIFIER)
        application = lock_application(session, tenant, actor)
        item = item_of(application, code)
        visit = open_visit_for_verdicts(session, tenant, application, visit_id)
    count = len(session.scalars(evidence_query(tenant.id, application.id, item.code, visit_id)).all())
    if adding and count >= MAX_FILES_PER_ITEM:
        raise Blocked("too_many_files", [Missing("too_many_files", Text(
            f"Paling banyak {MAX_FILES_PER_ITEM} berkas per butir.", f"At most {MAX_FILES_PER_ITEM} files per item."),
            item.code)])
    return application, item, visit


def store_evidence(session: Session, tenant: Tenant, code: str, stream: BinaryIO, filename: str | None,
                   actor: Actor, store: FileStore, visit_id: uuid.UUID | None = None) -> OnboardingEvidence:
    """Check, store and attach a file. StorageError (TooLarge, UnsupportedContent, EmptyUpload) when the
    file is refused: nothing is kept; if the transaction does not commit, the stored file is removed
    again (file and row are kept together or not at all). Region evidence (visit_id None) is the
    regional_admin's while the application is editable; visit photos are a ministry_verifier's while
    the visit is open."""
    application, item, visit = _check_evidence_target(session, tenant, code, actor, visit_id)
    stored = store.save(stream, storage_namespace(tenant.id), max_bytes=MAX_EVIDENCE_BYTES)
    on_rollback(session, lambda: store.delete(stored.key))
    evidence = OnboardingEvidence(
        tenant_id=tenant.id, application_id=application.id, item_code=item.code, visit_id=visit_id,
        key=stored.key, sha256=stored.sha256, content_type=stored.content_type, size=stored.size,
        name=display_name(filename, stored.extension), uploaded_by=user_id_of(actor))
    session.add(evidence)
    flush(session)
    record(session, actor, "onboarding.evidence.add", "onboarding_evidence", evidence.id, tenant_id=tenant.id,
           after=evidence_snapshot(evidence))
    touch(session, visit if visit is not None else application)
    return evidence


def save_item(session: Session, tenant: Tenant, code: str, answer: str, note: str | None,
              uploads: list[tuple[BinaryIO, str | None]], actor: Actor, store: FileStore) -> list[OnboardingEvidence]:
    """The region's answer, note and new evidence files of one declared item, saved together: the answer first,
    then each file. A refusal of any of them keeps none (the request's transaction rolls back, and with it
    the stored files). Returns the files attached."""
    answer_item(session, tenant, code, answer, note, actor)
    return [store_evidence(session, tenant, code, stream, filename, actor, store) for stream, filename in uploads]


def remove_evidence(session: Session, tenant: Tenant, code: str, evidence_id: uuid.UUID, actor: Actor,
                    store: FileStore, visit_id: uuid.UUID | None = None) -> None:
    """Remove an evidence file: its row, and the file once that removal is committed (gone for good)."""
    application, _item, visit = _check_evidence_target(session, tenant, code, actor, visit_id, adding=False)
    evidence = get_evidence(session, tenant, code, evidence_id, visit_id)
    record(session, actor, "onboarding.evidence.remove", "onboarding_evidence", evidence.id, tenant_id=tenant.id,
           before=evidence_snapshot(evidence))
    session.delete(evidence)
    flush(session)
    touch(session, visit if visit is not None else application)
    key = evidence.key
    on_commit(session, lambda: store.delete(key))
