"""Webhooks: an agency with its own system (a PSC 119 app) gets its dispatches POSTed to it.

Each event is a row first (`webhook_deliveries`, written in the transaction of the dispatch that caused it) and a
POST second: the outbox relays the row to rq, whose job posts it, retried with backoff until the receiver answers
2xx (RETRY_INTERVALS, then it stays on the row for whoever looks). Every attempt carries the same body and the same
event id (`X-Siaga112-Event`), so a receiver that saw it before ignores it; the body is signed with the webhook's
secret, HMAC-SHA256 over `<timestamp>.<body>` (`X-Siaga112-Signature: t=<timestamp>,v1=<hex>`), so the receiver
knows it came from the platform and is fresh. The agency's system answers through the API as a machine client of
the region (`POST …/dispatches/{id}/actions`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
import uuid
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.jobs.events import on
from siaga112.platform.jobs.outbox import emit
from siaga112.platform.refusals import N_, Invalid, NotFound
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Incident
from siaga112.tenants.directory.models import Agency

from .models import AgencyWebhook, Dispatch, WebhookDelivery

TOPIC = "dispatch.webhook"
RETRY_INTERVALS = [10, 30, 60, 300, 900, 3600]  # seconds between attempts: about 1.5 h in all
TIMEOUT = 10  # seconds: a receiver that hangs fails the attempt, and rq tries again later
LOOPBACK_HOSTS = {"localhost"}


class WebhookFailed(RuntimeError):
    """The receiver did not answer 2xx: rq retries the job."""


def check_url(url: str) -> str:
    """https to a public address, or http to this machine (an agency's system tested beside the platform). An
    address inside a private network is refused when it is written as one (a name that resolves into one is not
    caught here: the egress NetworkPolicy is the real fence)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and not _private(parts.hostname):
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return url
    raise Invalid(N_("The address must start with https:// and be reachable from the internet (http:// only to "
                     "this machine, for testing)."), "url", code="webhook_url")


def _private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in LOOPBACK_HOSTS
    return not address.is_global


def _loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhooks_query(tenant_id: uuid.UUID):
    return select(AgencyWebhook).where(AgencyWebhook.tenant_id == tenant_id).order_by(AgencyWebhook.created_at.desc())


def deliveries_query(webhook: AgencyWebhook):
    return select(WebhookDelivery).where(WebhookDelivery.tenant_id == webhook.tenant_id,
                                         WebhookDelivery.webhook_id == webhook.id).order_by(
        WebhookDelivery.created_at.desc(), WebhookDelivery.id)


def get_webhook(session: Session, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> AgencyWebhook:
    webhook = session.scalar(select(AgencyWebhook).where(AgencyWebhook.tenant_id == tenant_id,
                                                         AgencyWebhook.id == webhook_id))
    if webhook is None:
        raise NotFound(N_("This region has no such webhook."))
    return webhook


def register(session: Session, tenant_id: uuid.UUID, agency_id: uuid.UUID, url: str, actor: Actor) -> AgencyWebhook:
    """A webhook for one of the region's agencies, with a new secret (shown once, in the answer). Audited."""
    agency = session.scalar(select(Agency).where(Agency.tenant_id == tenant_id, Agency.id == agency_id))
    if agency is None:
        raise Invalid(N_("This region has no such agency."), "agency_id", code="unknown_agency")
    webhook = AgencyWebhook(tenant_id=tenant_id, agency_id=agency_id, url=check_url(url),
                            secret=secrets.token_urlsafe(32), created_by=actor.user_id)
    session.add(webhook)
    session.flush()
    record(session, actor, "agency_webhook.create", "agency_webhook", webhook.id, tenant_id=tenant_id,
           after={"agency_id": str(agency_id), "url": webhook.url})
    return webhook


def deactivate(session: Session, webhook: AgencyWebhook, actor: Actor) -> None:
    if webhook.active:
        webhook.active, webhook.version = False, webhook.version + 1
        session.flush()
        record(session, actor, "agency_webhook.deactivate", "agency_webhook", webhook.id, tenant_id=webhook.tenant_id)


def announce(session: Session, tenant: Tenant, dispatch: Dispatch, incident: Incident, event: str,
             public_url: str) -> int:
    """A delivery of `event` to each active webhook of the dispatch's agency, relayed once this commits."""
    hooks = session.scalars(select(AgencyWebhook).where(AgencyWebhook.tenant_id == dispatch.tenant_id,
                                                        AgencyWebhook.agency_id == dispatch.agency_id,
                                                        AgencyWebhook.active.is_(True))).all()
    for hook in hooks:
        delivery_id = uuid.uuid4()
        body = json.dumps(_payload(delivery_id, tenant, dispatch, incident, event, public_url), ensure_ascii=False,
                          separators=(",", ":"), sort_keys=True)
        session.add(WebhookDelivery(id=delivery_id, tenant_id=dispatch.tenant_id, webhook_id=hook.id,
                                    dispatch_id=dispatch.id, agency_id=dispatch.agency_id, event=event, body=body))
        session.flush()
        emit(session, TOPIC, {"delivery_id": str(delivery_id)})
    return len(hooks)


def _payload(delivery_id, tenant: Tenant, dispatch: Dispatch, incident: Incident, event: str, public_url: str) -> dict:
    """What the agency's system needs to act: never the caller's number nor the operator's notes."""
    base = f"{public_url.rstrip('/')}/api/v1/tenants/{tenant.slug}/incidents/{incident.id}/dispatches/{dispatch.id}"
    place = {"text": incident.location_text, "latitude": incident.latitude, "longitude": incident.longitude,
             "radius_m": incident.location_radius_m}
    return {"event_id": str(delivery_id), "event": event, "tenant": tenant.slug, "region": tenant.name,
            "dispatch": {"id": str(dispatch.id), "status": dispatch.status, "agency_id": str(dispatch.agency_id),
                         "sent_at": dispatch.sent_at.isoformat(), "note": dispatch.note, "url": base,
                         "actions_url": f"{base}/actions"},
            "incident": {"id": str(incident.id), "number": incident.number, "summary": incident.summary,
                         "priority": incident.priority, "location": place}}


def signature(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(database, delivery_id: uuid.UUID, post) -> bool:
    """POST one delivery unless it was delivered already; True when delivered now. Raises WebhookFailed (after
    recording the attempt) for rq to retry."""
    with database.transaction(PLATFORM) as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.delivered_at is not None:
            return False
        hook = session.get(AgencyWebhook, delivery.webhook_id)
        delivery.attempts += 1
        if not hook.active:
            delivery.last_error = "webhook deactivated"
            return False
        stamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Siaga112-Event": str(delivery.id),
                   "X-Siaga112-Signature": signature(hook.secret, stamp, delivery.body),
                   "User-Agent": "Siaga112-webhooks"}
        try:
            answer = post(hook.url, data=delivery.body.encode(), headers=headers, timeout=TIMEOUT)
            delivery.last_status, delivery.last_error = answer.status_code, None
            ok = 200 <= answer.status_code < 300
        except OSError as error:  # requests' errors are OSErrors: refused, reset, timed out
            delivery.last_error, ok = f"{type(error).__name__}: {error}"[:1000], False
        if ok:
            delivery.delivered_at = func.now()
        failure = None if ok else (delivery.last_error or f"HTTP {delivery.last_status}")
    if failure:
        raise WebhookFailed(f"webhook delivery {delivery_id} failed: {failure}")
    return True


def deliver_webhook(delivery_id: str) -> bool:
    """rq job: one POST attempt of one delivery."""
    import requests

    from siaga112.platform.jobs.runtime import job_database

    return deliver(job_database(), uuid.UUID(delivery_id), requests.post)


@on(TOPIC)
def enqueue_delivery(session: Session, payload: dict) -> None:
    """Outbox handler: the delivery's job, with rq's retries and backoff; the job's id makes a second enqueue of the
    same delivery replace the first, and `deliver` skips one already delivered."""
    from rq import Retry

    from siaga112.platform.jobs.queues import DEFAULT, queue
    from siaga112.platform.jobs.runtime import job_redis

    queue(DEFAULT, job_redis()).enqueue(deliver_webhook, payload["delivery_id"],
                                        job_id=f"webhook-{payload['delivery_id']}",
                                        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
