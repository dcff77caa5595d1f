"""Sending an incident to agencies, and each dispatch's way forward to its follow-up report.

Every change is audited and moves the dispatch forward only; doing again what is done already (a second tap on
"acknowledge") changes nothing and is no error. The incident's status follows its live dispatches (`follow`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.push import publish
from siaga112.platform.refusals import N_, Conflict, Forbidden, Invalid, NotFound
from siaga112.platform.tenancy.context import AgencyContext, TenantContext, current_context, temporarily
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Incident
from siaga112.tenants.categories.service import agencies_for
from siaga112.tenants.directory.models import Agency

from .models import Dispatch, DispatchPhoto, Escalation

ORDER = ("sent", "acknowledged", "on_scene", "reported", "done")
CENTRE_ROLES = ("operator", "supervisor", "regional_admin")


def via_of(actor: Actor) -> str:
    """How someone acts on a dispatch: signed in, with the e-mailed link, or the agency's own system."""
    return {"user": "user", "link": "link", "client": "machine"}.get(actor.kind, "user")


def snapshot(dispatch: Dispatch) -> dict:
    """What the audit log keeps of a dispatch: never the report's text."""
    return {"incident_id": str(dispatch.incident_id), "agency_id": str(dispatch.agency_id), "status": dispatch.status,
            "channel": dispatch.channel, "acknowledged_via": dispatch.acknowledged_via,
            "reported_via": dispatch.reported_via, "photos": len(dispatch.photos)}


def proposed_agencies(session: Session, tenant_id: uuid.UUID, incident: Incident) -> list[Agency]:
    """The active agencies the incident's category goes to (the operator may add or remove any)."""
    if incident.category is None:
        return []
    return sorted(agencies_for(session, tenant_id, incident.category.code), key=lambda agency: agency.name)


def dispatchable_agencies(session: Session, tenant_id: uuid.UUID) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.tenant_id == tenant_id, Agency.active.is_(True))
                                .order_by(Agency.name)))


def dispatches_query(tenant_id: uuid.UUID, incident_id: uuid.UUID | None = None, agency_ids=None,
                     status: str | None = None, open_only: bool = False):
    query = select(Dispatch).where(Dispatch.tenant_id == tenant_id)
    if incident_id is not None:
        query = query.where(Dispatch.incident_id == incident_id)
    if agency_ids is not None:
        query = query.where(Dispatch.agency_id.in_(agency_ids))
    if status:
        query = query.where(Dispatch.status == status)
    if open_only:
        query = query.where(Dispatch.status.not_in(("done", "cancelled")))
    return query.order_by(Dispatch.sent_at.desc(), Dispatch.id)


def get_dispatch(session: Session, tenant_id: uuid.UUID, dispatch_id: uuid.UUID,
                 incident_id: uuid.UUID | None = None) -> Dispatch:
    query = select(Dispatch).where(Dispatch.tenant_id == tenant_id, Dispatch.id == dispatch_id)
    if incident_id is not None:
        query = query.where(Dispatch.incident_id == incident_id)
    dispatch = session.scalar(query)
    if dispatch is None:
        raise NotFound(N_("There is no such dispatch here."))
    return dispatch


def send(session: Session, tenant: Tenant, incident: Incident, agency_ids: list[uuid.UUID], channel: str,
         note: str | None, actor: Actor, notify) -> list[Dispatch]:
    """Dispatch the incident to these agencies; each gets its escalation steps and (channel platform) its
    notification through `notify(dispatch)`. Refused whole if any agency is unknown, inactive or has a live
    dispatch for this incident already."""
    from .escalation import schedule

    if incident.status == "closed":
        raise Conflict(N_("This incident is closed; reopen it before dispatching."), "incident_id",
                       code="incident_closed")
    wanted = list(dict.fromkeys(agency_ids))
    if not wanted:
        raise Invalid(N_("Choose at least one agency."), "agency_ids", code="agencies_required")
    agencies = {agency.id: agency for agency in session.scalars(
        select(Agency).where(Agency.tenant_id == tenant.id, Agency.id.in_(wanted), Agency.active.is_(True)))}
    if len(agencies) != len(wanted):
        raise Invalid(N_("One of the agencies is not an active agency of this region."), "agency_ids",
                      code="unknown_agency")
    already = set(session.scalars(select(Dispatch.agency_id).where(
        Dispatch.tenant_id == tenant.id, Dispatch.incident_id == incident.id, Dispatch.agency_id.in_(wanted),
        Dispatch.status != "cancelled")))
    if already:
        names = ", ".join(sorted(agencies[agency_id].name for agency_id in already))
        raise Conflict(N_("Already dispatched to %(names)s."), "agency_ids", code="already_dispatched", names=names)
    made = []
    for agency_id in wanted:
        dispatch = Dispatch(tenant_id=tenant.id, incident_id=incident.id, agency_id=agency_id, channel=channel,
                            note=(note or "").strip() or None, sent_by=actor.user_id)
        session.add(dispatch)
        session.flush()
        session.refresh(dispatch)
        schedule(session, dispatch)
        record(session, actor, "dispatch.create", "dispatch", dispatch.id, tenant_id=tenant.id, after=snapshot(dispatch))
        if channel == "platform":
            notify(dispatch)
        made.append(dispatch)
    follow(session, incident)
    return made


def act(session: Session, dispatch: Dispatch, action: str, fields: dict, actor: Actor) -> Dispatch:
    """One step of the dispatch: acknowledge, on_scene, report (text), done (after the report), or cancel (the
    call centre, with a reason). Audited; what is done already is not done again."""
    if action == "cancel":
        return _cancel(session, dispatch, fields.get("reason"), actor)
    if dispatch.status == "cancelled":
        raise Conflict(N_("This dispatch was cancelled by the call centre."), "action", code="dispatch_cancelled")
    before = snapshot(dispatch)
    now, via, changed = datetime.now(timezone.utc), via_of(actor), False
    if action in ("acknowledge", "on_scene", "report") and dispatch.acknowledged_at is None:
        dispatch.acknowledged_at, dispatch.acknowledged_by, dispatch.acknowledged_via = now, actor.user_id, via
        dispatch.acknowledged_name = (fields.get("name") or "").strip()[:120] or None
        changed = True
    named = (fields.get("name") or "").strip()[:120]
    if named and not dispatch.acknowledged_name and dispatch.acknowledged_at is not None:
        dispatch.acknowledged_name, changed = named, True  # a link's holder names themselves with the report
    if action == "on_scene" and dispatch.on_scene_at is None:
        dispatch.on_scene_at, changed = now, True
    if action == "report":
        text = (fields.get("text") or "").strip()
        if not text:
            raise Invalid(N_("Write what was done (the follow-up report)."), "text", code="report_required")
        if dispatch.done_at is not None:
            raise Conflict(N_("This dispatch is done; its report can no longer change."), "action", code="dispatch_done")
        if text != dispatch.report_text:
            dispatch.report_text, dispatch.reported_at = text, now
            dispatch.reported_by, dispatch.reported_via, changed = actor.user_id, via, True
    if action == "done" and dispatch.done_at is None:
        if dispatch.reported_at is None:
            raise Conflict(N_("Write the follow-up report before marking the dispatch done."), "action",
                           code="report_first")
        dispatch.done_at, changed = now, True
    if not changed:
        return dispatch
    dispatch.status = _status(dispatch)
    dispatch.updated_at, dispatch.version = func.now(), dispatch.version + 1
    session.flush()
    _stop_escalation(session, dispatch)
    record(session, actor, f"dispatch.{action}", "dispatch", dispatch.id, tenant_id=dispatch.tenant_id, before=before,
           after=snapshot(dispatch))
    _follow_incident(session, dispatch)
    return dispatch


def _status(dispatch: Dispatch) -> str:
    if dispatch.done_at:
        return "done"
    if dispatch.reported_at:
        return "reported"
    if dispatch.on_scene_at:
        return "on_scene"
    return "acknowledged" if dispatch.acknowledged_at else "sent"


def _cancel(session: Session, dispatch: Dispatch, reason: str | None, actor: Actor) -> Dispatch:
    if actor.role not in CENTRE_ROLES:
        raise Forbidden(N_("Only the call centre cancels a dispatch."), "action", code="centre_only")
    if dispatch.status == "cancelled":
        return dispatch
    if dispatch.status == "done":
        raise Conflict(N_("This dispatch is done; it can no longer be cancelled."), "action", code="dispatch_done")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the dispatch is cancelled."), "reason", code="reason_required")
    before = snapshot(dispatch)
    dispatch.status, dispatch.cancelled_at, dispatch.cancelled_reason = "cancelled", datetime.now(timezone.utc), reason
    dispatch.updated_at, dispatch.version = func.now(), dispatch.version + 1
    session.flush()
    _stop_escalation(session, dispatch)
    record(session, actor, "dispatch.cancel", "dispatch", dispatch.id, tenant_id=dispatch.tenant_id, before=before,
           after=snapshot(dispatch))
    _follow_incident(session, dispatch)
    return dispatch


def _stop_escalation(session: Session, dispatch: Dispatch) -> None:
    """Once acknowledged (or cancelled) nothing more is escalated for the dispatch."""
    if dispatch.status == "sent":
        return
    session.execute(update(Escalation).where(
        Escalation.tenant_id == dispatch.tenant_id, Escalation.dispatch_id == dispatch.id,
        Escalation.fired_at.is_(None), Escalation.cancelled_at.is_(None)).values(cancelled_at=func.now()))


def _follow_incident(session: Session, dispatch: Dispatch) -> None:
    """The incident's status from all its dispatches, every agency's: a responder's agency context sees only its
    own, so this one step reads the whole region's rows, in the same transaction."""
    if isinstance(current_context(session), AgencyContext):
        with temporarily(session, TenantContext(dispatch.tenant_id)):
            follow(session, session.get(Incident, dispatch.incident_id, populate_existing=True))
    else:
        follow(session, session.get(Incident, dispatch.incident_id))


def follow(session: Session, incident: Incident) -> None:
    """open (nothing live sent), dispatched (an agency has not acknowledged), responding (all have), closed (every
    live dispatch done, each with its report). An incident a supervisor closed stays closed."""
    if incident.status == "closed":
        return
    statuses = list(session.scalars(select(Dispatch.status).where(
        Dispatch.tenant_id == incident.tenant_id, Dispatch.incident_id == incident.id, Dispatch.status != "cancelled")))
    if not statuses:
        status = "open"
    elif all(status == "done" for status in statuses):
        status = "closed"
    elif "sent" in statuses:
        status = "dispatched"
    else:
        status = "responding"
    if status == incident.status:
        return
    incident.status, incident.updated_at, incident.version = status, func.now(), incident.version + 1
    if status == "closed":
        incident.closed_at = datetime.now(timezone.utc)
    session.flush()
    publish(session, incident.tenant_id, "incidents")
    record(session, Actor.system("dispatch.follow"), "incident.status", "incident", incident.id,
           tenant_id=incident.tenant_id, after={"number": incident.number, "status": status})


def add_photo(session: Session, dispatch: Dispatch, stored, filename: str | None, actor: Actor) -> DispatchPhoto:
    """Attach a stored photo to the dispatch's follow-up (the caller stored it and removes it on rollback)."""
    from siaga112.platform.storage import NAMES

    if dispatch.status in ("cancelled", "done"):
        raise Conflict(N_("This dispatch is closed; no more photos can be added."), "file", code="dispatch_closed")
    if stored.content_type not in ("image/jpeg", "image/png"):
        raise Invalid(N_("A photo must be a JPEG or PNG image."), "file", code="not_a_photo")
    name = (filename or "").strip().rsplit("/", 1)[-1][:200] or f"foto.{stored.extension}"
    photo = DispatchPhoto(tenant_id=dispatch.tenant_id, dispatch_id=dispatch.id, agency_id=dispatch.agency_id,
                          key=stored.key, sha256=stored.sha256, size=stored.size, content_type=stored.content_type,
                          name=name, uploaded_by=actor.user_id, uploaded_via=via_of(actor))
    session.add(photo)
    session.flush()
    session.expire(dispatch, ["photos"])
    record(session, actor, "dispatch.photo", "dispatch", dispatch.id, tenant_id=dispatch.tenant_id,
           after={"photo_id": str(photo.id), "type": NAMES.get(stored.content_type), "size": stored.size})
    return photo


def get_photo(session: Session, dispatch: Dispatch, photo_id: uuid.UUID) -> DispatchPhoto:
    photo = next((photo for photo in dispatch.photos if photo.id == photo_id), None)
    if photo is None:
        raise NotFound(N_("This dispatch has no such photo."))
    return photo


def unacknowledged(session: Session, tenant_id: uuid.UUID, limit: int = 50) -> list[Dispatch]:
    """Dispatches no agency has acknowledged yet, the longest waiting first (the supervisor's board shows them)."""
    return list(session.scalars(select(Dispatch).where(Dispatch.tenant_id == tenant_id, Dispatch.status == "sent")
                                .order_by(Dispatch.sent_at, Dispatch.id).limit(limit)))
