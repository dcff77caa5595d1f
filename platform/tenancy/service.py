"""Tenants: one per region, created by a platform admin, seen by whoever holds a role in them."""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from ..audit.service import Actor, record
from ..identity.principal import Principal
from ..jobs.outbox import emit
from ..refusals import N_, STALE, Conflict, Forbidden, Invalid, Stale
from ..regions.models import Region
from ..regions.service import CODE_FORMAT
from .models import TENANT_STATUSES, Tenant

TENANT_CREATED = "tenant.created"  # outbox topic, payload {"tenant_id", "region_code", "slug"}
EDITABLE_BY_TENANT = {"contact_email", "address"}
EDITABLE_BY_PLATFORM = EDITABLE_BY_TENANT | {"status"}
TENANT_EXISTS = N_("%(region)s already has a tenant.")


class StaleTenant(Stale):
    """Someone else changed the tenant meanwhile (onboarding retries on it when it moves the status)."""


def slug_for(name: str) -> str:
    """`Kota Pekalongan` → `kota-pekalongan`; accents folded, anything else becomes a hyphen."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def snapshot(tenant: Tenant) -> dict:
    return {"region_code": tenant.region_code, "slug": tenant.slug, "status": tenant.status,
            "contact_email": tenant.contact_email, "address": tenant.address}


def create_tenant(session: Session, region_code: str, actor: Actor) -> Tenant:
    region = session.get(Region, region_code) if CODE_FORMAT.fullmatch(region_code) else None
    if region is None:
        raise Invalid(N_("There is no region %(region_code)s; codes look like 33.75 (see GET /api/v1/regions)."),
                      "region_code", region_code=repr(region_code))
    if session.scalar(select(Tenant.id).where(Tenant.region_code == region_code)):
        raise Conflict(TENANT_EXISTS, "region_code", region=region.name)
    tenant = Tenant(id=uuid.uuid4(), region_code=region_code, slug=slug_for(region.name), region=region)
    try:
        with session.begin_nested():
            session.add(tenant)
            session.flush()
    except IntegrityError:  # created by someone else a moment ago
        raise Conflict(TENANT_EXISTS, "region_code", region=region.name) from None
    record(session, actor, "tenant.create", "tenant", tenant.id, tenant_id=tenant.id, after=snapshot(tenant))
    # Contexts set a new tenant up from this event (tenants/categories seeds the national categories);
    # the kernel names no context, and the event commits with the tenant or not at all.
    emit(session, TENANT_CREATED, {"tenant_id": str(tenant.id), "region_code": region_code, "slug": tenant.slug})
    return tenant


def visible_tenants(principal: Principal) -> Select:
    query = select(Tenant).join(Tenant.region).order_by(Region.code)
    if principal.platform_roles():
        return query
    return query.where(Tenant.slug.in_(principal.tenant_slugs()))


def find_tenant(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def update_tenant(session: Session, tenant: Tenant, changes: dict, actor: Actor, platform: bool) -> Tenant:
    allowed = EDITABLE_BY_PLATFORM if platform else EDITABLE_BY_TENANT
    refused = sorted(set(changes) - allowed)
    if refused:
        raise Forbidden(N_("Your role may not change %(fields)s."), fields=", ".join(refused))
    if "status" in changes and changes["status"] not in TENANT_STATUSES:
        raise Invalid(N_("Status must be one of %(statuses)s."), "status", statuses=", ".join(TENANT_STATUSES))
    before = snapshot(tenant)
    for name, value in changes.items():
        setattr(tenant, name, value)
    tenant.updated_at = func.now()
    try:
        session.flush()
    except StaleDataError:
        raise StaleTenant(STALE) from None
    record(session, actor, "tenant.update", "tenant", tenant.id, tenant_id=tenant.id, before=before, after=snapshot(tenant))
    return tenant


def region_statuses(session: Session) -> dict[str, str]:
    """Region code → tenant status, for every region that has a tenant."""
    return dict(session.execute(select(Tenant.region_code, Tenant.status)).all())
