"""Incidents: what happened, apart from the calls about it — the same fire reported by five people is one incident.

An operator opens an incident from a call, or attaches a call to an open one. Each incident gets the region's
own number for the year on the region's clock (`PKL-2026-000123`): the prefix comes from the region's name,
the sequence from one counter row per region and year, taken with an atomic upsert so that two operators
opening incidents at the same moment never share a number.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import record
from siaga112.platform.push import publish
from siaga112.platform.refusals import N_, Conflict, Forbidden, Invalid, NotFound
from siaga112.platform.tenancy.models import Tenant

from .models import Call, Incident, IncidentNumber

REGION_KINDS = re.compile(r"^(kota administrasi|kabupaten administrasi|kabupaten|kota|kab\.)\s+", re.IGNORECASE)
VOWELS = set("AEIOU")


def number_prefix(region_name: str) -> str:
    """Three letters of the region's name, as the call centres abbreviate it: Kota Pekalongan → PKL, Kabupaten
    Lampung Barat → LMP, Kota Batu → BTA (the first letter, then consonants, then the vowels)."""
    name = REGION_KINDS.sub("", unicodedata.normalize("NFKD", region_name).strip())
    letters = [c for c in name.upper() if "A" <= c <= "Z"]
    if not letters:
        return "INS"
    first, rest = letters[0], letters[1:]
    picked = [first] + [c for c in rest if c not in VOWELS]
    picked += [c for c in rest if c in VOWELS]
    return "".join(picked[:3]).ljust(3, "X")


def next_number(session: Session, tenant: Tenant, now: datetime | None = None) -> str:
    """The region's next incident number this year (on the region's clock)."""
    year = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(tenant.time_zone)).year
    last = session.scalar(insert(IncidentNumber).values(tenant_id=tenant.id, year=year, last=1)
                          .on_conflict_do_update(constraint="pk_incident_numbers",
                                                 set_={"last": IncidentNumber.last + 1})
                          .returning(IncidentNumber.last))
    return f"{number_prefix(tenant.name)}-{year}-{last:06d}"


def apply_changes(session: Session, row: Call | Incident, values: dict) -> dict:
    """Set what differs, count a new version, and reload the category it now names; the changes made (none: {})."""
    values = {name: value for name, value in values.items() if getattr(row, name) != value}
    if values:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at, row.version = func.now(), row.version + 1
        session.flush()
        if "category_id" in values:
            session.expire(row, ["category"])
    return values


def snapshot(incident: Incident) -> dict:
    """What the audit log keeps of an incident: not the summary's text nor the place typed in."""
    return {"number": incident.number, "priority": incident.priority, "status": incident.status,
            "category_id": str(incident.category_id) if incident.category_id else None,
            "closed_reason": bool(incident.closed_reason)}


def incidents_query(tenant_id: uuid.UUID, status: str | None = None, unclosed: bool = False):
    """The region's incidents, newest first: of one status, or (unclosed) every one a call may still be attached to."""
    query = select(Incident).where(Incident.tenant_id == tenant_id)
    if status:
        query = query.where(Incident.status == status)
    if unclosed:
        query = query.where(Incident.status != "closed")
    return query.order_by(Incident.created_at.desc(), Incident.id)


def get_incident(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.tenant_id == tenant_id, Incident.id == incident_id))
    if incident is None:
        raise NotFound(N_("This region has no such incident."))
    return incident


def open_incident_id(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID | None) -> uuid.UUID | None:
    """The id of an open incident of the region to attach a call to (None detaches); a 422 naming `incident_id`."""
    if incident_id is None:
        return None
    status = session.scalar(select(Incident.status).where(Incident.tenant_id == tenant_id,
                                                          Incident.id == incident_id))
    if status is None:
        raise Invalid(N_("This region has no such incident."), "incident_id", code="unknown_incident")
    if status == "closed":
        raise Invalid(N_("This incident is closed; open a new incident for this call."), "incident_id",
                      code="incident_closed")
    return incident_id


def _summary(text: str | None) -> str:
    summary = (text or "").strip()
    if not summary:
        raise Invalid(N_("Say in a few words what happened."), "summary", code="summary_required")
    return summary


def open_from_call(session: Session, tenant: Tenant, call: Call, fields: dict, actor) -> Incident:
    """A new incident from a call: its category and location are the call's unless given; the call is attached.
    Audited."""
    from .service import category_id, located, update_call

    if call.incident_id is not None:
        raise Conflict(N_("This call belongs to an incident already; detach it first to open another."), "call_id",
                       code="call_has_incident")
    category = category_id(session, tenant.id, fields["category"]) if fields.get("category") else call.category_id
    place = located(fields) or {name: getattr(call, name) for name in (
        "location_text", "latitude", "longitude", "location_radius_m", "location_method", "location_at")}
    incident = Incident(tenant_id=tenant.id, number=next_number(session, tenant), summary=_summary(fields.get("summary")),
                        priority=fields.get("priority") or "normal", category_id=category,
                        created_by=actor.user_id, **place)
    session.add(incident)
    session.flush()
    publish(session, tenant.id, "incidents")
    record(session, actor, "incident.create", "incident", incident.id, tenant_id=tenant.id, after=snapshot(incident))
    update_call(session, call, {"incident_id": incident.id}, actor)
    session.refresh(incident, ["calls"])
    return incident


def update_incident(session: Session, incident: Incident, changes: dict, actor) -> Incident:
    """Change the priority, summary, category or location; a supervisor closes (with a reason) or reopens it.
    Audited."""
    from .service import category_id, located

    before = snapshot(incident)
    values = located(changes)
    if "summary" in changes:
        values["summary"] = _summary(changes["summary"])
    if changes.get("priority") is not None:
        values["priority"] = changes["priority"]
    if "category" in changes:
        values["category_id"] = category_id(session, incident.tenant_id, changes["category"])
    if changes.get("status") is not None and changes["status"] != incident.status:
        values.update(_status_change(incident, changes["status"], changes.get("closed_reason"), actor))
    if not apply_changes(session, incident, values):
        return incident
    publish(session, incident.tenant_id, "incidents")
    record(session, actor, "incident.update", "incident", incident.id, tenant_id=incident.tenant_id, before=before,
           after=snapshot(incident))
    return incident


def _status_change(incident: Incident, status: str, reason: str | None, actor) -> dict:
    """Only a supervisor closes an incident by hand, and says why (the dispatch's follow-up reports close it
    otherwise); reopening clears the closing."""
    if actor.role != "supervisor":
        raise Forbidden(N_("Only a supervisor closes or reopens an incident by hand."), "status",
                        code="supervisor_only")
    if status == "open":
        return {"status": "open", "closed_at": None, "closed_by": None, "closed_reason": None}
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the incident is closed."), "closed_reason", code="reason_required")
    return {"status": "closed", "closed_at": datetime.now(timezone.utc), "closed_by": actor.user_id,
            "closed_reason": reason}
