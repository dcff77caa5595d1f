"""Training records of a tenant's people, their certificates, and who is rostered without valid training.

Plain functions over a session in the tenant's context. Certificate bytes are
written to the file store *before* the row changes (the store's write is
atomic, the database's commit is the point of no return): callers delete the
new file if the transaction fails and the replaced one after it commits, so a
failure leaves at worst an unreferenced file, never a row without its file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.identity.models import Membership, User
from siaga112.platform.refusals import STALE, N_, Day, Invalid, NotFound, Stale
from siaga112.platform.storage import StoredFile
from siaga112.platform.tenancy.models import Tenant
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from .models import TrainingRecord

RECORD_FIELDS = ("user_id", "course", "provider", "completed_on", "valid_until")
MAX_RANGE_DAYS = 366
NOT_MEMBER = N_("Choose a member of this region.")


def record_snapshot(training: TrainingRecord) -> dict:
    snapshot = {name: getattr(training, name) for name in RECORD_FIELDS}
    snapshot["certificate_sha256"] = training.certificate_sha256
    return snapshot


def storage_namespace(tenant_id: uuid.UUID) -> str:
    return f"training/{tenant_id}"


# --- records ------------------------------------------------------------------------------------

def records_query(tenant_id: uuid.UUID, user_id: uuid.UUID | None = None, valid_on: date | None = None) -> Select:
    query = select(TrainingRecord).join(TrainingRecord.user).where(TrainingRecord.tenant_id == tenant_id)
    if user_id is not None:
        query = query.where(TrainingRecord.user_id == user_id)
    if valid_on is not None:
        query = query.where(TrainingRecord.completed_on <= valid_on,
                            (TrainingRecord.valid_until.is_(None)) | (TrainingRecord.valid_until >= valid_on))
    return query.order_by(func.lower(User.name), TrainingRecord.completed_on.desc(), TrainingRecord.id)


def get_record(session: Session, tenant_id: uuid.UUID, record_id: uuid.UUID) -> TrainingRecord:
    training = session.scalar(select(TrainingRecord).where(TrainingRecord.tenant_id == tenant_id,
                                                           TrainingRecord.id == record_id))
    if training is None:
        raise NotFound(N_("This region has no such training record."))
    return training


def members(session: Session, tenant_id: uuid.UUID) -> list[User]:
    """The people of the tenant (any role), by name: whom a training record can be about."""
    return list(session.scalars(
        select(User).where(User.id.in_(select(Membership.user_id).where(Membership.tenant_id == tenant_id)))
        .order_by(func.lower(User.name), User.id)))


def _check_person(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    if not session.scalar(select(Membership.id).where(Membership.tenant_id == tenant_id,
                                                      Membership.user_id == user_id).limit(1)):
        raise Invalid(NOT_MEMBER, "user_id", code="not_member")


def _check_dates(session: Session, tenant_id: uuid.UUID, completed_on: date, valid_until: date | None) -> None:
    today = _region_today(session, tenant_id)
    if completed_on > today:
        raise Invalid(N_("The course cannot be completed in the future: %(day)s is after today (%(today)s) in the "
                         "region."), "completed_on", code="completed_in_future", day=Day(completed_on),
                      today=Day(today))
    if valid_until is not None and valid_until < completed_on:
        raise Invalid(N_("The end of validity is before the course was completed."), "valid_until",
                      code="valid_before_completed")


def _region_today(session: Session, tenant_id: uuid.UUID) -> date:
    """Today on the region's clock (WIB, WITA or WIT): a course finished tonight in Jayapura is not in the future."""
    return datetime.now(ZoneInfo(session.get(Tenant, tenant_id).time_zone)).date()


def create_record(session: Session, tenant_id: uuid.UUID, fields: dict, actor: Actor) -> TrainingRecord:
    _check_person(session, tenant_id, fields["user_id"])
    _check_dates(session, tenant_id, fields["completed_on"], fields.get("valid_until"))
    training = TrainingRecord(tenant_id=tenant_id, **{name: fields.get(name) for name in RECORD_FIELDS})
    session.add(training)
    _flush(session, training)
    record(session, actor, "training.create", "training_record", training.id, tenant_id=tenant_id,
           after=record_snapshot(training))
    return training


def update_record(session: Session, training: TrainingRecord, changes: dict, actor: Actor) -> TrainingRecord:
    before = record_snapshot(training)
    if "user_id" in changes and changes["user_id"] != training.user_id:
        _check_person(session, training.tenant_id, changes["user_id"])
    values = {name: changes.get(name, getattr(training, name)) for name in RECORD_FIELDS}
    if values["completed_on"] is None:
        raise Invalid(N_("Enter the date the course was completed."), "completed_on")
    if "completed_on" in changes or "valid_until" in changes:  # an old record keeps its dates as they were
        _check_dates(session, training.tenant_id, values["completed_on"], values["valid_until"])
    for name in RECORD_FIELDS:
        if name in changes and (changes[name] is not None or name == "valid_until"):
            setattr(training, name, changes[name])
    if record_snapshot(training) == before:
        return training
    _touch_and_flush(session, training)
    record(session, actor, "training.update", "training_record", training.id, tenant_id=training.tenant_id,
           before=before, after=record_snapshot(training))
    return training


def delete_record(session: Session, training: TrainingRecord, actor: Actor) -> str | None:
    """Delete a record; returns its certificate's key, for the caller to delete once the deletion commits."""
    key = training.certificate_key
    record(session, actor, "training.delete", "training_record", training.id, tenant_id=training.tenant_id,
           before=record_snapshot(training))
    session.delete(training)
    _flush(session, training, refresh=False)
    return key


def attach_certificate(session: Session, training: TrainingRecord, stored: StoredFile, filename: str | None,
                       actor: Actor) -> str | None:
    """Point the record at a stored certificate; returns the replaced file's key (delete it after commit)."""
    replaced = training.certificate_key
    before = record_snapshot(training)
    training.certificate_key, training.certificate_sha256 = stored.key, stored.sha256
    training.certificate_type, training.certificate_size = stored.content_type, stored.size
    training.certificate_name = display_name(filename, stored.extension)
    training.certificate_uploaded_at = datetime.now(timezone.utc)
    _touch_and_flush(session, training)
    record(session, actor, "training.certificate", "training_record", training.id, tenant_id=training.tenant_id,
           before=before, after=record_snapshot(training) | {"certificate_type": stored.content_type,
                                                             "certificate_size": stored.size})
    return replaced


def display_name(filename: str | None, extension: str) -> str:
    """The uploaded name without folders or control characters, ending in the extension of what it really is."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = re.sub(r"[\x00-\x1f\x7f\"]+", "", base.rsplit(".", 1)[0] if "." in base else base).strip()[:150]
    return f"{stem or 'certificate'}.{extension}"


def _touch_and_flush(session: Session, training: TrainingRecord) -> None:
    training.updated_at = func.now()
    _flush(session, training)


def _flush(session: Session, training: TrainingRecord, refresh: bool = True) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Stale(STALE, code="stale") from None
    if refresh:
        session.refresh(training, ["updated_at", "created_at"])


# --- rostered people without valid training -----------------------------------------------------

@dataclass(frozen=True)
class Untrained:
    """A rostered person with roster days on which no training record of theirs is valid."""

    user_id: uuid.UUID
    name: str
    email: str
    first_day: date  # the first rostered day without valid training
    days: int  # how many rostered days lack it
    last_valid_until: date | None  # when their latest record ran out (None: they have none)


def check_range(first: date, last: date) -> None:
    if last < first:
        raise Invalid(N_("The end of the period is before its start (both days are included)."), "to",
                      location="query")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise Invalid(N_("Ask for at most %(days)s days at a time."), "to", location="query", days=MAX_RANGE_DAYS)


def rostered_days(session: Session, tenant_id: uuid.UUID, first: date, last: date) -> dict[uuid.UUID, set[date]]:
    """Who is on the roster on which local dates first..last, asked of the roster context."""
    from siaga112.tenants.roster.service import rostered_dates

    return rostered_dates(session, tenant_id, first, last)


def untrained_rostered(session: Session, tenant_id: uuid.UUID, first: date, last: date) -> list[Untrained]:
    """Everyone rostered between first and last (local dates) on a day none of their training records covers."""
    check_range(first, last)
    return people_without_valid_training(session, tenant_id, rostered_days(session, tenant_id, first, last))


def people_without_valid_training(session: Session, tenant_id: uuid.UUID,
                                  days: dict[uuid.UUID, set[date]]) -> list[Untrained]:
    """Of `days` (person → dates they work), those with a date that no training record of theirs covers."""
    if not days:
        return []
    records: dict[uuid.UUID, list[TrainingRecord]] = {}
    for training in session.scalars(records_query(tenant_id).where(TrainingRecord.user_id.in_(list(days)))):
        records.setdefault(training.user_id, []).append(training)
    people = {user.id: user for user in session.scalars(select(User).where(User.id.in_(list(days))))}
    found = []
    for user_id, dates in days.items():
        held = records.get(user_id, [])
        uncovered = sorted(day for day in dates if not any(training.valid_on(day) for training in held))
        if uncovered:
            user = people[user_id]
            found.append(Untrained(user_id, user.name, user.email, uncovered[0], len(uncovered),
                                   _last_valid_until(held)))
    return sorted(found, key=lambda u: (u.first_day, u.name.casefold(), str(u.user_id)))


def _last_valid_until(held: list[TrainingRecord]) -> date | None:
    ends = [training.valid_until for training in held if training.valid_until is not None]
    return max(ends) if ends else None


def default_range(first: date) -> tuple[date, date]:
    """30 days from `first` (today, usually): what readiness and the training page look at by default."""
    try:
        return first, first + timedelta(days=29)
    except OverflowError:  # a `from` in the last days of year 9999
        return first, date.max
