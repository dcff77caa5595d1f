"""Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies.

Seeding happens three ways, all through the idempotent `seed_national_categories`
(INSERT … ON CONFLICT DO NOTHING on (tenant_id, code)):
- migration 0004 for the tenants that existed before categories did;
- the `tenant.created` outbox event (jobs.py) for tenants created later;
- `ensure_national_categories` on every read, so a tenant whose event the worker
  has not processed yet (Redis away, worker behind) still sees its categories
  at once. Concurrent first reads are harmless: ON CONFLICT lets one insert win.
"""

from __future__ import annotations

import re
import uuid
from typing import Iterable

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.refusals import STALE, N_, Conflict, Invalid, NotFound, Stale
from siaga112.tenants.directory.models import Agency
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from .defaults import NATIONAL_CATEGORIES
from .models import CODE_PATTERN, CategoryAgency, IncidentCategory

SEEDER = Actor.system("national-categories")
CODE_FORMAT = re.compile(CODE_PATTERN)
NAME_FIELDS = ("name_id", "name_en")
AGENCY_UNKNOWN = N_("Choose agencies of this region.")
NO_SUCH_CATEGORY = N_("This region has no such incident category.")


def category_snapshot(category: IncidentCategory) -> dict:
    return {"code": category.code, "name_id": category.name_id, "name_en": category.name_en,
            "emergency": category.emergency, "active": category.active, "national": category.national,
            "agency_ids": [str(agency_id) for agency_id in category.agency_ids]}


# --- national defaults ----------------------------------------------------------

def national_rows(tenant_id: uuid.UUID) -> list[dict]:
    return [{"tenant_id": tenant_id, "code": c.code, "name_id": c.name_id, "name_en": c.name_en,
             "emergency": c.emergency, "national": True, "position": (index + 1) * 10}
            for index, c in enumerate(NATIONAL_CATEGORIES)]


def seed_national_categories(session: Session, tenant_id: uuid.UUID, actor: Actor = SEEDER) -> list[str]:
    """Add the national categories the tenant lacks; returns the codes added (audited when there are any)."""
    statement = (insert(IncidentCategory).values(national_rows(tenant_id))
                 .on_conflict_do_nothing(constraint="uq_incident_categories_tenant_code")
                 .returning(IncidentCategory.code))
    added = list(session.scalars(statement))
    if added:
        record(session, actor, "categories.seed", "tenant", tenant_id, tenant_id=tenant_id, after={"codes": added})
    return added


def ensure_national_categories(session: Session, tenant_id: uuid.UUID) -> bool:
    """Seed the tenant's national categories if any is missing; True if it had to (the caller commits)."""
    present = session.scalar(select(func.count()).select_from(IncidentCategory).where(
        IncidentCategory.tenant_id == tenant_id, IncidentCategory.national.is_(True)))
    if present >= len(NATIONAL_CATEGORIES):
        return False
    return bool(seed_national_categories(session, tenant_id))


# --- reading --------------------------------------------------------------------

def categories_query(tenant_id: uuid.UUID, active: bool | None = None, emergency: bool | None = None) -> Select:
    query = select(IncidentCategory).where(IncidentCategory.tenant_id == tenant_id)
    if active is not None:
        query = query.where(IncidentCategory.active.is_(active))
    if emergency is not None:
        query = query.where(IncidentCategory.emergency.is_(emergency))
    return query.order_by(IncidentCategory.position, IncidentCategory.code)


def get_category(session: Session, tenant_id: uuid.UUID, code: str) -> IncidentCategory:
    if not CODE_FORMAT.fullmatch(code):  # no query for what cannot be a code (nor a NUL PostgreSQL would refuse)
        raise NotFound(NO_SUCH_CATEGORY)
    category = session.scalar(select(IncidentCategory).where(IncidentCategory.tenant_id == tenant_id,
                                                             IncidentCategory.code == code))
    if category is None:
        raise NotFound(NO_SUCH_CATEGORY)
    return category


def agencies_for(session: Session, tenant_id: uuid.UUID, code: str) -> list[Agency]:
    """The active agencies a category goes to (for dispatch)."""
    return list(session.scalars(
        select(Agency).join(CategoryAgency, (CategoryAgency.tenant_id == Agency.tenant_id)
                            & (CategoryAgency.agency_id == Agency.id))
        .join(IncidentCategory, (IncidentCategory.tenant_id == CategoryAgency.tenant_id)
              & (IncidentCategory.id == CategoryAgency.category_id))
        .where(IncidentCategory.tenant_id == tenant_id, IncidentCategory.code == code, Agency.active.is_(True))
        .order_by(Agency.name)))


# --- changing -------------------------------------------------------------------

def create_category(session: Session, tenant_id: uuid.UUID, fields: dict, actor: Actor) -> IncidentCategory:
    """A category of the tenant's own (national=false)."""
    category = IncidentCategory(tenant_id=tenant_id, code=fields["code"], name_id=fields["name_id"],
                                name_en=fields["name_en"], emergency=fields["emergency"], national=False,
                                active=fields.get("active", True))
    _set_routes(session, category, fields.get("agency_ids") or [])
    _flush(session, category, add=True)
    record(session, actor, "category.create", "category", category.id, tenant_id=tenant_id,
           after=category_snapshot(category))
    return category


def update_category(session: Session, category: IncidentCategory, changes: dict, actor: Actor) -> IncidentCategory:
    """Rename, (de)activate, remap; the emergency flag only of the tenant's own categories."""
    if "emergency" in changes and category.national and changes["emergency"] != category.emergency:
        raise Invalid(N_("The emergency flag of a national category is set nationally; add a category of this "
                         "region's own if it needs a different one."), "emergency", code="national_emergency")
    before = category_snapshot(category)
    for name in (*NAME_FIELDS, "emergency", "active"):
        if changes.get(name) is not None:
            setattr(category, name, changes[name])
    if "agency_ids" in changes:
        _set_routes(session, category, changes["agency_ids"] or [])
    if category_snapshot(category) == before:
        return category
    category.updated_at = func.now()  # also when only routes changed: the category's version (ETag) must move
    _flush(session, category)
    record(session, actor, "category.update", "category", category.id, tenant_id=category.tenant_id,
           before=before, after=category_snapshot(category))
    return category


def delete_category(session: Session, category: IncidentCategory, actor: Actor) -> None:
    if category.national:
        raise Conflict(N_("National categories cannot be deleted; deactivate them instead."), code="national_delete")
    record(session, actor, "category.delete", "category", category.id, tenant_id=category.tenant_id,
           before=category_snapshot(category))
    session.delete(category)
    try:
        session.flush()
    except StaleDataError:
        raise Stale(STALE, code="stale") from None


def _set_routes(session: Session, category: IncidentCategory, agency_ids: Iterable[uuid.UUID]) -> None:
    wanted = set(agency_ids)
    found = set(session.scalars(select(Agency.id).where(Agency.tenant_id == category.tenant_id,
                                                        Agency.id.in_(wanted)))) if wanted else set()
    if wanted - found:
        raise Invalid(AGENCY_UNKNOWN, "agency_ids", code="agency_unknown")
    current = {route.agency_id: route for route in category.routes}
    for agency_id, route in current.items():
        if agency_id not in wanted:
            category.routes.remove(route)
    for agency_id in wanted - set(current):
        category.routes.append(CategoryAgency(tenant_id=category.tenant_id, agency_id=agency_id))


def _flush(session: Session, category: IncidentCategory, add: bool = False) -> None:
    try:
        with session.begin_nested():
            if add:
                session.add(category)
            session.flush()
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        if constraint == "uq_incident_categories_tenant_code":
            raise Conflict(N_("This region already has a category with this code."), "code",
                           code="code_taken") from None
        raise
    except StaleDataError:
        raise Stale(STALE, code="stale") from None
    session.refresh(category, ["updated_at", "created_at"])
