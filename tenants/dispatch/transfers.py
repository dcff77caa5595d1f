"""An incident in the neighbouring kabupaten/kota: handed to that region when it is live on Siaga112, referred
otherwise.

A transfer is the one place where one region's request writes into another's: the receiving region gets an
incident of its own (its next number), made from the fields it needs — summary, priority, category (by code, when
it has the same one), place — never the source's calls, callers' numbers or operators' notes. That step runs in
the receiving region's tenant context (`temporarily`), so row-level security still confines it to that one region;
each side keeps its own record (`incident_transfers`), audited in its own log, and the receiving supervisors are
told. Reading the other side's state is the only cross-tenant read: one column (the status) of the one linked
incident, in that region's context (`peer_status`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.jobs.mail import queue_mail
from siaga112.platform.mail import bilingual, bilingual_subject
from siaga112.platform.push import publish
from siaga112.platform.refusals import N_, Conflict, Invalid
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.context import TenantContext, temporarily
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.incidents import next_number
from siaga112.tenants.calls.models import Incident
from siaga112.tenants.categories.models import IncidentCategory

from .escalation import supervisors_on_duty
from .models import Dispatch, IncidentTransfer

LOCATION = ("location_text", "latitude", "longitude", "location_radius_m", "location_method", "location_at")


@dataclass(frozen=True)
class Neighbour:
    code: str
    name: str
    status: str  # live, onboarding, prospect, suspended (a tenant's), external, not_onboarded


def neighbours(session: Session, tenant: Tenant) -> list[Neighbour]:
    """The other regions of the tenant's province, with their 112 status (a neighbour across a provincial border
    is named by its code)."""
    rows = session.execute(select(Region, Tenant.status).outerjoin(Tenant, Tenant.region_code == Region.code)
                           .where(Region.province_code == tenant.region.province_code,
                                  Region.code != tenant.region_code).order_by(Region.name)).all()
    return [Neighbour(region.code, region.name, _status(region, status)) for region, status in rows]


def _status(region: Region, tenant_status: str | None) -> str:
    return tenant_status or ("external" if region.external_112_since else "not_onboarded")


def transfers_of(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID) -> list[IncidentTransfer]:
    return list(session.scalars(select(IncidentTransfer).where(IncidentTransfer.tenant_id == tenant_id,
                                                               IncidentTransfer.incident_id == incident_id)
                                .order_by(IncidentTransfer.created_at)))


def peer_status(session: Session, transfer: IncidentTransfer) -> str | None:
    """The linked incident's status on the other side (None for a referral)."""
    if transfer.peer_incident_id is None:
        return None
    with temporarily(session, TenantContext(transfer.peer_tenant_id)):
        return session.scalar(select(Incident.status).where(Incident.tenant_id == transfer.peer_tenant_id,
                                                            Incident.id == transfer.peer_incident_id))


def transfer(session: Session, tenant: Tenant, incident: Incident, region_code: str, note: str | None, actor: Actor,
             public_url: str) -> IncidentTransfer:
    """Hand the incident to the region `region_code` if it is live on Siaga112 (the source's incident closes,
    pointing at the new one), or log it as referred with that region's 112 status. Audited on each side."""
    region = session.get(Region, region_code)
    if region is None or region.code == tenant.region_code:
        raise Invalid(N_("Choose another kabupaten or kota by its code (e.g. 33.26)."), "region_code",
                      code="unknown_region")
    if incident.status == "closed":
        raise Conflict(N_("This incident is closed."), "incident_id", code="incident_closed")
    if session.scalar(select(Dispatch.id).where(Dispatch.tenant_id == tenant.id, Dispatch.incident_id == incident.id,
                                                Dispatch.status.not_in(("done", "cancelled"))).limit(1)):
        raise Conflict(N_("Agencies of this region are working on the incident; cancel their dispatches before "
                          "handing it over."), "incident_id", code="dispatches_live")
    note = (note or "").strip() or None
    target = session.scalar(select(Tenant).where(Tenant.region_code == region.code))
    if target is None or target.status != "live":
        return _refer(session, tenant, incident, region, note, actor)
    received = _receive(session, target, tenant, incident, note, actor, public_url)
    sent = IncidentTransfer(tenant_id=tenant.id, incident_id=incident.id, direction="out", kind="transferred",
                            peer_region_code=region.code, peer_tenant_id=target.id, peer_incident_id=received.id,
                            peer_incident_number=received.number, note=note, created_by=actor.user_id)
    session.add(sent)
    incident.status, incident.closed_at = "closed", datetime.now(timezone.utc)
    incident.closed_by, incident.closed_reason = actor.user_id, f"{region.name}: {received.number}"[:500]
    incident.version += 1
    session.flush()
    publish(session, tenant.id, "incidents")
    record(session, actor, "incident.transfer_out", "incident", incident.id, tenant_id=tenant.id,
           after={"to_region": region.code, "to_incident": received.number})
    return sent


def _refer(session: Session, tenant: Tenant, incident: Incident, region: Region, note: str | None,
           actor: Actor) -> IncidentTransfer:
    status = _status(region, session.scalar(select(Tenant.status).where(Tenant.region_code == region.code)))
    referred = IncidentTransfer(tenant_id=tenant.id, incident_id=incident.id, direction="out", kind="referred",
                                peer_region_code=region.code, peer_112_status=status, note=note,
                                created_by=actor.user_id)
    session.add(referred)
    session.flush()
    record(session, actor, "incident.refer", "incident", incident.id, tenant_id=tenant.id,
           after={"to_region": region.code, "their_112_status": status})
    return referred


def _receive(session: Session, target: Tenant, source: Tenant, incident: Incident, note: str | None, actor: Actor,
             public_url: str) -> Incident:
    """The receiving region's own incident, in its own context: only the fields it needs."""
    with temporarily(session, TenantContext(target.id)):
        category = None
        if incident.category is not None:
            category = session.scalar(select(IncidentCategory.id).where(
                IncidentCategory.tenant_id == target.id, IncidentCategory.code == incident.category.code,
                IncidentCategory.active.is_(True)))
        received = Incident(tenant_id=target.id, number=next_number(session, target), summary=incident.summary,
                            priority=incident.priority, category_id=category,
                            **{name: getattr(incident, name) for name in LOCATION})
        session.add(received)
        session.flush()
        session.add(IncidentTransfer(tenant_id=target.id, incident_id=received.id, direction="in", kind="transferred",
                                     peer_region_code=source.region_code, peer_tenant_id=source.id,
                                     peer_incident_id=incident.id, peer_incident_number=incident.number, note=note))
        session.flush()
        record(session, actor, "incident.transfer_in", "incident", received.id, tenant_id=target.id,
               after={"from_region": source.region_code, "from_incident": incident.number, "number": received.number})
        publish(session, target.id, "incidents")
        _tell_supervisors(session, target, source, received, note, public_url)
    return received


def _tell_supervisors(session: Session, target: Tenant, source: Tenant, received: Incident, note: str | None,
                      public_url: str) -> None:
    url = f"{public_url.rstrip('/')}/tenants/{target.slug}/incidents/{received.id}"
    said = f"\n\n{note}" if note else ""
    for name, email in supervisors_on_duty(session, target, datetime.now(timezone.utc)):
        queue_mail(session, email, bilingual_subject(
            f"Kejadian dialihkan dari {source.name}: {received.number}",
            f"Incident handed over by {source.name}: {received.number}"), bilingual(
            f"{name},\n\nPusat 112 {source.name} mengalihkan kejadian di wilayah Anda: {received.summary}{said}\n\n"
            f"Tugaskan ke instansi Anda:\n{url}",
            f"{name},\n\nThe 112 centre of {source.name} handed over an incident in your region: "
            f"{received.summary}{said}\n\nDispatch it to your agencies:\n{url}"), name)
