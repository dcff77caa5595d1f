"""A region's directory: its agencies (with their contacts) and its phone numbers.

Plain functions over a session in the tenant's context (row-level security
applies); each change is audited in the same transaction. The one exception
is `lookup_line`, which answers across tenants and needs platform context.
"""

from __future__ import annotations

import uuid

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.refusals import STALE, N_, Conflict, Invalid, NotFound, Refusal, Stale
from siaga112.platform.tenancy.context import PLATFORM, current_context
from siaga112.platform.tenancy.models import Tenant
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from .models import LINE_KINDS, Agency, PhoneNumber, affiliation_for

AGENCY_UNKNOWN = N_("Choose an agency of this region.")
AGENCY_FIELDS = ("name", "kind", "affiliation", "email", "active")
NUMBER_FIELDS = ("label", "active", "agency_id")
LINE_TAKEN = N_("This line is already registered. A 112 line belongs to one region only; if this one is yours, "
                "ask the platform admin to release it.")


# --- agencies -----------------------------------------------------------------

def agency_snapshot(agency: Agency) -> dict:
    return {name: getattr(agency, name) for name in AGENCY_FIELDS}


def agencies_query(tenant_id: uuid.UUID, kind: str | None = None, active: bool | None = None) -> Select:
    query = select(Agency).where(Agency.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(Agency.kind == kind)
    if active is not None:
        query = query.where(Agency.active.is_(active))
    return query.order_by(func.lower(Agency.name), Agency.id)


def get_agency(session: Session, tenant_id: uuid.UUID, agency_id: uuid.UUID) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.tenant_id == tenant_id, Agency.id == agency_id))
    if agency is None:
        raise NotFound(N_("This region has no such agency."))
    return agency


def create_agency(session: Session, tenant_id: uuid.UUID, fields: dict, actor: Actor) -> Agency:
    values = {name: fields[name] for name in AGENCY_FIELDS if fields.get(name) is not None}
    values.setdefault("affiliation", affiliation_for(values.get("kind")))
    agency = Agency(tenant_id=tenant_id, **values)
    _save_agency(session, agency, lambda: session.add(agency), agency.name)
    record(session, actor, "agency.create", "agency", agency.id, tenant_id=tenant_id, after=agency_snapshot(agency))
    return agency


def update_agency(session: Session, agency: Agency, changes: dict, actor: Actor) -> Agency:
    # None means "leave as it is", except for the e-mail, which may be removed.
    wanted = {name: changes[name] for name in AGENCY_FIELDS
              if name in changes and (changes[name] is not None or name == "email")}
    wanted = {name: value for name, value in wanted.items() if getattr(agency, name) != value}
    if not wanted:
        return agency  # nothing changed: no new version, no audit entry
    before = agency_snapshot(agency)

    def apply():
        for name, value in wanted.items():
            setattr(agency, name, value)
        agency.updated_at = func.now()

    _save_agency(session, agency, apply, wanted.get("name", agency.name))
    record(session, actor, "agency.update", "agency", agency.id, tenant_id=agency.tenant_id,
           before=before, after=agency_snapshot(agency))
    return agency


def _save_agency(session: Session, agency: Agency, apply, name: str) -> None:
    try:
        in_savepoint(session, apply)
    except IntegrityError as error:
        if _constraint(error) == "uq_agencies_tenant_lower_name":
            raise Conflict(N_("There is already an agency named “%(name)s” in this region."), "name",
                           code="agency_name_taken", name=name) from None
        raise
    except StaleDataError:
        raise Stale(STALE, code="stale") from None
    session.refresh(agency, ["updated_at", "created_at"])


def in_savepoint(session: Session, apply) -> None:
    """Apply and flush a change in a savepoint, so that a constraint it breaks leaves the transaction usable.

    Pending changes are flushed first: begin_nested() would flush them itself, outside the savepoint.
    """
    session.flush()
    with session.begin_nested():
        apply()
        session.flush()


def reachable_agency_kinds(session: Session, tenant_id: uuid.UUID) -> set[str]:
    """Kinds of the tenant's active agencies that have at least one active contact number (for readiness)."""
    return set(session.scalars(
        select(Agency.kind).distinct()
        .join(PhoneNumber, (PhoneNumber.tenant_id == Agency.tenant_id) & (PhoneNumber.agency_id == Agency.id))
        .where(Agency.tenant_id == tenant_id, Agency.active.is_(True), PhoneNumber.active.is_(True))))


# --- numbers ------------------------------------------------------------------

def number_snapshot(number: PhoneNumber) -> dict:
    return {"e164": number.e164, "kind": number.kind, "label": number.label,
            "agency_id": str(number.agency_id) if number.agency_id else None, "active": number.active}


def numbers_query(tenant_id: uuid.UUID, kind: str | None = None, agency_id: uuid.UUID | None = None,
                  active: bool | None = None) -> Select:
    query = select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(PhoneNumber.kind == kind)
    if agency_id is not None:
        query = query.where(PhoneNumber.agency_id == agency_id)
    if active is not None:
        query = query.where(PhoneNumber.active.is_(active))
    return query.order_by(PhoneNumber.kind, PhoneNumber.e164, PhoneNumber.id)


def get_number(session: Session, tenant_id: uuid.UUID, number_id: uuid.UUID) -> PhoneNumber:
    number = session.scalar(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id, PhoneNumber.id == number_id))
    if number is None:
        raise NotFound(N_("This region has no such number."))
    return number


def add_number(session: Session, tenant_id: uuid.UUID, e164: str, kind: str, label: str,
               agency_id: uuid.UUID | None, actor: Actor) -> PhoneNumber:
    """Register a number (already parsed to E.164). Conflict if it is an active line anywhere on the platform."""
    _check_agency(session, tenant_id, kind, agency_id)
    number = PhoneNumber(tenant_id=tenant_id, e164=e164, kind=kind, label=label or "", agency_id=agency_id)
    _save_number(session, number, lambda: session.add(number))
    record(session, actor, "number.create", "number", number.id, tenant_id=tenant_id, after=number_snapshot(number))
    return number


def update_number(session: Session, number: PhoneNumber, changes: dict, actor: Actor) -> PhoneNumber:
    """Change a number's label, agency or active flag (reactivating a line can meet a Conflict)."""
    wanted = {name: changes[name] for name in NUMBER_FIELDS
              if changes.get(name) is not None and getattr(number, name) != changes[name]}
    if not wanted:
        return number
    if "agency_id" in wanted:
        _check_agency(session, number.tenant_id, number.kind, wanted["agency_id"])
    before = number_snapshot(number)

    def apply():
        for name, value in wanted.items():
            setattr(number, name, value)
        number.updated_at = func.now()

    _save_number(session, number, apply)
    record(session, actor, "number.update", "number", number.id, tenant_id=number.tenant_id,
           before=before, after=number_snapshot(number))
    return number


def remove_number(session: Session, number: PhoneNumber, actor: Actor) -> None:
    record(session, actor, "number.delete", "number", number.id, tenant_id=number.tenant_id,
           before=number_snapshot(number))
    session.delete(number)
    try:
        session.flush()
    except StaleDataError:
        raise Stale(STALE, code="stale") from None


def _check_agency(session: Session, tenant_id: uuid.UUID, kind: str, agency_id: uuid.UUID | None) -> None:
    if kind in LINE_KINDS:
        if agency_id is not None:
            raise Invalid(N_("A 112 line belongs to the call centre: choose no agency."),
                          "agency_id", code="line_without_agency")
        return
    if agency_id is None:
        raise Invalid(N_("Choose the agency this contact number reaches."), "agency_id",
                      code="agency_required")
    get_agency_or_invalid(session, tenant_id, agency_id)


def get_agency_or_invalid(session: Session, tenant_id: uuid.UUID, agency_id: uuid.UUID) -> Agency:
    try:
        return get_agency(session, tenant_id, agency_id)
    except NotFound:
        raise Invalid(AGENCY_UNKNOWN, "agency_id", code="agency_unknown") from None


def _save_number(session: Session, number: PhoneNumber, apply) -> None:
    try:
        in_savepoint(session, apply)
    except IntegrityError as error:
        raise _number_conflict(session, number, _constraint(error)) from None
    except StaleDataError:
        raise Stale(STALE, code="stale") from None
    session.refresh(number, ["updated_at", "created_at"])


def _number_conflict(session: Session, number: PhoneNumber, constraint: str | None) -> Refusal:
    if constraint == "uq_numbers_active_line":
        # Say where only when the other registration is this tenant's own (it can see it anyway); never
        # name, or even hint at, another tenant.
        own = session.scalar(select(PhoneNumber).where(
            PhoneNumber.tenant_id == number.tenant_id, PhoneNumber.e164 == number.e164,
            PhoneNumber.active.is_(True), PhoneNumber.kind.in_(LINE_KINDS), PhoneNumber.id != number.id))
        if own is not None:
            return Conflict(N_("This line is already registered in this region."), "number", code="line_taken_here")
        return Conflict(LINE_TAKEN, "number", code="line_taken")
    if constraint == "uq_numbers_entry":
        return Conflict(N_("This number is already in the list with the same kind and agency."), "number",
                        code="number_duplicate")
    if constraint == "fk_numbers_tenant_agency":
        return Invalid(AGENCY_UNKNOWN, "agency_id", code="agency_unknown")
    return Invalid(N_("This number cannot be saved as given."), "number")


def _constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def active_lines(session: Session, tenant_id: uuid.UUID, kind: str = "inbound_line") -> list[PhoneNumber]:
    """The tenant's active lines of one kind (readiness asks for at least two inbound lines)."""
    return list(session.scalars(numbers_query(tenant_id, kind=kind, active=True)))


# --- routing (across tenants) -------------------------------------------------

def tenant_of_own_line(session: Session, tenant_id: uuid.UUID, e164: str):
    """The tenant's id and status (a row, no entity: the telephony intake's hot path), if `e164` is one of its
    own active 112 lines (read in its own context)."""
    return session.execute(select(Tenant.id, Tenant.status).join(PhoneNumber, PhoneNumber.tenant_id == Tenant.id).where(
        Tenant.id == tenant_id, PhoneNumber.tenant_id == tenant_id, PhoneNumber.e164 == e164,
        PhoneNumber.active.is_(True), PhoneNumber.kind.in_(LINE_KINDS))).first()


def lookup_line(session: Session, e164: str) -> tuple[PhoneNumber, Tenant] | None:
    """Which tenant an active 112 line belongs to. Needs platform context: the answer spans tenants."""
    if current_context(session) != PLATFORM:
        raise RuntimeError("lookup_line reads every tenant's lines: call it in platform context.")
    row = session.execute(
        select(PhoneNumber, Tenant).join(Tenant, Tenant.id == PhoneNumber.tenant_id)
        .where(PhoneNumber.e164 == e164, PhoneNumber.active.is_(True), PhoneNumber.kind.in_(LINE_KINDS))).first()
    return (row[0], row[1]) if row else None
