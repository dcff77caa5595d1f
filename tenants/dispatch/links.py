"""The link in an agency's e-mail: acknowledge and report on one dispatch without an account.

Most OPD staff never get an account. Each notification carries a link whose token (256 random bits) is known
only to the e-mail: the platform keeps its SHA-256. The link serves one dispatch and nothing else, for 72 hours,
until the call centre revokes it; whoever uses it is audited as "via link". Its holder works in an agency context
for the dispatch's agency (row-level security hides every other agency's rows), and the pages behind it load that
one dispatch only.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor, record
from siaga112.platform.jobs.mail import queue_mail
from siaga112.platform.mail import bilingual, bilingual_subject
from siaga112.platform.refusals import N_, NotFound
from siaga112.platform.tenancy.context import AgencyContext, TenantContext, set_context
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.models import Incident

from .models import Dispatch, DispatchLink

LINK_LIFETIME = timedelta(hours=72)
GONE = N_("This link is not valid any more (it expired, was replaced or was revoked). Call the 112 centre if the "
          "dispatch still needs you.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_actor(link: DispatchLink, request_id: str | None = None) -> Actor:
    return Actor("link", str(link.id), "agency_link", request_id)


def issue(session: Session, dispatch: Dispatch, now: datetime | None = None) -> str:
    """A new link for the dispatch; returns the token (never stored)."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    session.add(DispatchLink(tenant_id=dispatch.tenant_id, dispatch_id=dispatch.id, agency_id=dispatch.agency_id,
                             token_hash=token_hash(token), created_at=now, expires_at=now + LINK_LIFETIME))
    session.flush()
    return token


def link_url(public_url: str, tenant: Tenant, token: str) -> str:
    return f"{public_url.rstrip('/')}/respond/{tenant.slug}/{token}"


def open_link(session: Session, tenant: Tenant, token: str, now: datetime | None = None) -> tuple[DispatchLink, Dispatch]:
    """The link and its dispatch, with the session narrowed to the dispatch's agency; 404 if unknown, expired or
    revoked (the same answer for each: the holder cannot tell a guessed token from an old one)."""
    now = now or datetime.now(timezone.utc)
    set_context(session, TenantContext(tenant.id))  # to find the link's row; narrowed at once below
    link = session.scalar(select(DispatchLink).where(DispatchLink.tenant_id == tenant.id,
                                                     DispatchLink.token_hash == token_hash(token)))
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        set_context(session, AgencyContext(tenant.id, ()))
        raise NotFound(GONE, code="link_gone")
    set_context(session, AgencyContext(tenant.id, (link.agency_id,)))
    dispatch = session.scalar(select(Dispatch).where(Dispatch.tenant_id == tenant.id, Dispatch.id == link.dispatch_id))
    if dispatch is None:
        raise NotFound(GONE, code="link_gone")
    link.last_used_at = now
    return link, dispatch


def revoke_all(session: Session, dispatch: Dispatch, actor: Actor) -> int:
    """Revoke every link of the dispatch (the e-mail went to the wrong address, say); audited."""
    revoked = session.execute(update(DispatchLink).where(
        DispatchLink.tenant_id == dispatch.tenant_id, DispatchLink.dispatch_id == dispatch.id,
        DispatchLink.revoked_at.is_(None)).values(revoked_at=datetime.now(timezone.utc), revoked_by=actor.user_id)
    ).rowcount
    if revoked:
        record(session, actor, "dispatch.links_revoke", "dispatch", dispatch.id, tenant_id=dispatch.tenant_id,
               after={"revoked": revoked})
    return revoked


def links_of(session: Session, tenant_id: uuid.UUID, dispatch_id: uuid.UUID) -> list[DispatchLink]:
    return list(session.scalars(select(DispatchLink).where(DispatchLink.tenant_id == tenant_id,
                                                           DispatchLink.dispatch_id == dispatch_id)
                                .order_by(DispatchLink.created_at.desc())))


def mail_agency(session: Session, tenant: Tenant, dispatch: Dispatch, incident: Incident, public_url: str,
                reminder: bool = False) -> bool:
    """E-mail the agency (when it has an address) the incident and a fresh link; False when it has none."""
    agency = dispatch.agency
    if not agency.email:
        return False
    url = link_url(public_url, tenant, issue(session, dispatch))
    place = incident.location_text or "-"
    again_id, again_en = ("PENGINGAT: ", "REMINDER: ") if reminder else ("", "")
    subject = bilingual_subject(f"{again_id}Penugasan 112 {incident.number} — {tenant.name}",
                                f"{again_en}112 dispatch {incident.number} — {tenant.name}")
    body = bilingual(
        f"{agency.name},\n\nPusat panggilan 112 {tenant.name} menugaskan kejadian {incident.number} kepada instansi "
        f"Anda.\n\nKejadian: {incident.summary}\nLokasi: {place}\nPrioritas: {incident.priority}\n\n"
        f"Konfirmasi penerimaan dan kirim laporan tindak lanjut (dengan foto) lewat tautan ini, tanpa perlu masuk:\n"
        f"{url}\n\nTautan ini hanya untuk penugasan ini dan berlaku 72 jam.",
        f"{agency.name},\n\nThe 112 call centre of {tenant.name} dispatches incident {incident.number} to your "
        f"agency.\n\nIncident: {incident.summary}\nPlace: {place}\nPriority: {incident.priority}\n\n"
        f"Acknowledge it and send the follow-up report (with photos) through this link, without signing in:\n"
        f"{url}\n\nThe link serves this dispatch only and is valid for 72 hours.")
    queue_mail(session, agency.email, subject, body, agency.name)
    return True
