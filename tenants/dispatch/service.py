"""Dispatch's rules, one door for the API and the pages: sending an incident to agencies (dispatches.py), the
e-mailed links (links.py), escalation (escalation.py), and the incident's timeline (timeline.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from siaga112.platform.audit.service import Actor
from siaga112.platform.db import on_rollback
from siaga112.platform.storage import file_store
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Incident
from siaga112.tenants.calls.service import get_incident

from . import dispatches, links, transfers, webhooks
from .dispatches import (dispatchable_agencies, dispatches_query, follow, get_dispatch, get_photo,
                         proposed_agencies, unacknowledged)
from .escalation import escalations_of, policy_view, set_policy, steps_of, sweep
from .links import open_link, revoke_all
from .models import Dispatch, DispatchPhoto
from .timeline import timeline
from .transfers import neighbours, peer_status
from .webhooks import deactivate as deactivate_webhook
from .webhooks import deliveries_query, get_webhook, webhooks_query
from .webhooks import register as register_webhook

__all__ = ["act", "add_photo", "deactivate_webhook", "deliveries_query", "dispatchable_agencies", "dispatches_query",
           "escalations_of", "follow", "get_dispatch", "get_incident", "get_photo", "get_webhook", "neighbours",
           "open_link", "peer_status", "policy_view", "proposed_agencies", "register_webhook", "revoke_all", "send",
           "set_policy", "steps_of", "sweep", "timeline", "transfer", "transfers_shown", "unacknowledged",
           "webhooks_query"]

PHOTO_TYPES = ("image/jpeg", "image/png")


def send(session: Session, tenant: Tenant, incident: Incident, body: dict, actor: Actor,
         public_url: str) -> list[Dispatch]:
    """Dispatch the incident to the agencies chosen; those notified by the platform get an e-mail with a link and
    an event on their webhooks."""
    def notify(dispatch: Dispatch) -> None:
        links.mail_agency(session, tenant, dispatch, incident, public_url)
        webhooks.announce(session, tenant, dispatch, incident, "dispatch.sent", public_url)

    return dispatches.send(session, tenant, incident, body["agency_ids"], body.get("channel") or "platform",
                           body.get("note"), actor, notify)


def act(session: Session, dispatch: Dispatch, action: str, fields: dict, actor: Actor, public_url: str) -> Dispatch:
    """One step of the dispatch (dispatches.act); a cancel is announced to the agency's webhooks."""
    was = dispatch.status
    dispatch = dispatches.act(session, dispatch, action, fields, actor)
    if action == "cancel" and was != "cancelled" and dispatch.status == "cancelled":
        webhooks.announce(session, session.get(Tenant, dispatch.tenant_id), dispatch, incident_of(session, dispatch),
                          "dispatch.cancelled", public_url)
    return dispatch


def add_photo(session: Session, dispatch: Dispatch, upload: FileStorage, actor: Actor) -> DispatchPhoto:
    """Store the photo (JPEG or PNG, the file store's checks) and attach it; the file goes if the change does not
    commit."""
    store = file_store()
    stored = store.save(upload.stream, f"dispatch/{dispatch.tenant_id.hex}", accepted=PHOTO_TYPES)
    on_rollback(session, lambda: store.delete(stored.key))
    return dispatches.add_photo(session, dispatch, stored, upload.filename, actor)


def transfer(session: Session, tenant: Tenant, incident: Incident, body: dict, actor: Actor, public_url: str):
    return transfers.transfer(session, tenant, incident, body["region_code"], body.get("note"), actor, public_url)


def transfers_shown(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID) -> list:
    """The incident's transfers, each with the other side's state read now."""
    found = transfers.transfers_of(session, tenant_id, incident_id)
    for item in found:
        item.peer_status = transfers.peer_status(session, item)
    return found


def incident_of(session: Session, dispatch: Dispatch) -> Incident:
    return get_incident(session, dispatch.tenant_id, dispatch.incident_id)


def incidents_of(session: Session, tenant_id: uuid.UUID, dispatches) -> dict[uuid.UUID, Incident]:
    """The incidents of these dispatches, in one query (a page of them must not cost a query each)."""
    ids = {dispatch.incident_id for dispatch in dispatches}
    if not ids:
        return {}
    return {incident.id: incident for incident in session.scalars(
        select(Incident).where(Incident.tenant_id == tenant_id, Incident.id.in_(ids)))}


def agency_dispatches(session: Session, tenant_id: uuid.UUID, agency_ids, open_only: bool = True):
    """The open dispatches an agency page lists: those waiting for an acknowledgement first, then the latest."""
    query = dispatches_query(tenant_id, agency_ids=agency_ids, open_only=open_only)
    return list(session.scalars(query.order_by(None).order_by((Dispatch.status != "sent"), Dispatch.sent_at.desc(),
                                                              Dispatch.id).limit(500)))
