"""An incident's timeline: its calls, dispatches, acknowledgements, escalations, reports and notes in time order.

Read from the rows themselves (each keeps its own times), so the timeline can never disagree with them. The page
shows each time on the region's clock; the API gives instants (RFC 3339).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siaga112.tenants.calls.models import Incident

from .dispatches import dispatches_query
from .escalation import escalations_of
from .models import Dispatch

KINDS = ("incident_opened", "call_offered", "call_answered", "call_ended", "call_note", "dispatch_sent",
         "acknowledged", "on_scene", "reported", "photo", "done", "cancelled", "escalated", "incident_closed")


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    agency: str | None = None  # the agency's name, for a dispatch's steps
    detail: str | None = None  # a note, a report, a reason, an escalation's action, how it was acknowledged
    call_id: str | None = None


def timeline(session: Session, incident: Incident) -> list[Entry]:
    entries = [Entry(incident.created_at, "incident_opened", detail=incident.summary)]
    for call in incident.calls:
        entries += _call(call)
    dispatches = list(session.scalars(dispatches_query(incident.tenant_id, incident_id=incident.id)))
    names = {dispatch.id: dispatch.agency.name for dispatch in dispatches}
    for dispatch in dispatches:
        entries += _dispatch(dispatch)
    for escalation in escalations_of(session, incident.tenant_id, names):
        if escalation.fired_at:
            entries.append(Entry(escalation.fired_at, "escalated", names[escalation.dispatch_id], escalation.action))
    if incident.status == "closed" and incident.closed_at:
        entries.append(Entry(incident.closed_at, "incident_closed", detail=incident.closed_reason))
    return sorted(entries, key=lambda entry: (entry.at, KINDS.index(entry.kind)))


def _call(call) -> list[Entry]:
    cid = str(call.id)
    steps = [(call.offered_at, "call_offered"), (call.answered_at, "call_answered"), (call.ended_at, "call_ended")]
    entries = [Entry(at, kind, call_id=cid) for at, kind in steps if at]
    if call.notes:
        entries.append(Entry(call.answered_at or call.offered_at or call.created_at, "call_note", detail=call.notes,
                             call_id=cid))
    return entries


def _dispatch(dispatch: Dispatch) -> list[Entry]:
    name = dispatch.agency.name
    entries = [Entry(dispatch.sent_at, "dispatch_sent", name, dispatch.note or dispatch.channel)]
    if dispatch.acknowledged_at:
        entries.append(Entry(dispatch.acknowledged_at, "acknowledged", name, dispatch.acknowledged_via))
    if dispatch.on_scene_at:
        entries.append(Entry(dispatch.on_scene_at, "on_scene", name))
    if dispatch.reported_at:
        entries.append(Entry(dispatch.reported_at, "reported", name, dispatch.report_text))
    entries += [Entry(photo.uploaded_at, "photo", name, photo.name) for photo in dispatch.photos]
    if dispatch.done_at:
        entries.append(Entry(dispatch.done_at, "done", name))
    if dispatch.cancelled_at:
        entries.append(Entry(dispatch.cancelled_at, "cancelled", name, dispatch.cancelled_reason))
    return entries
