"""Inviting a person into a tenant: a role is offered by e-mail and granted only when the person accepts.

A regional admin could once attach any account on the platform to their region by typing its
e-mail address: the answer named the person (an oracle for who has an account) and the grant was
silent. Now adding someone is an invitation, answered the same whether an account exists or not;
only a person who already belongs to the region (any role) is granted the new role at once, since
the admin sees them in the member list anyway.

The invitation e-mail (in both languages, through the outbox of outgoing mail) carries a link with a
random token, single-use and valid for INVITATION_TTL; only the token's SHA-256 is stored. Opening
the link, the person signs in (an account with a password) or chooses a password (a new account, or
one that never had a password), and accepts. Everything is audited in the tenant's chain.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.service import Actor, record
from ..jobs.mail import queue_mail
from ..mail import bilingual, bilingual_subject
from ..refusals import N_, Conflict, NotFound
from ..tenancy.models import Tenant
from .models import Invitation, Membership, User
from .service import add_member, check_tenant_grant, create_user, find_user_by_email, is_member, normalise_email
from .passwords import hash_password

INVITATION_TTL = timedelta(days=7)
ROLE_NAMES = {  # for the e-mail, written by a job without a request: both languages at once
    "regional_admin": ("admin daerah", "regional admin"),
    "supervisor": ("supervisor", "supervisor"),
    "operator": ("operator", "operator"),
    "agency_responder": ("petugas instansi", "agency responder"),
}
NOT_VALID = N_("This invitation link is not valid any more: it was used, withdrawn or has expired. Ask your "
               "regional admin for a new one.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def snapshot(invitation: Invitation) -> dict:
    return {"email": invitation.email, "name": invitation.name, "role": invitation.role,
            "agency_id": str(invitation.agency_id) if invitation.agency_id else None,
            "expires_at": invitation.expires_at.isoformat()}


def status_of(invitation: Invitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if invitation.expires_at <= _now() else "pending"


# --- the admin's side (tenant context) ----------------------------------------------------------------

def invite(session: Session, tenant: Tenant, email: str, name: str, role: str, agency_id: uuid.UUID | None,
           actor: Actor, public_url: str) -> Membership | Invitation:
    """A membership at once for a person of this region already; otherwise an invitation, e-mailed.

    Which of the two, and nothing else, is all the answer tells: never whether an account exists.
    """
    email = normalise_email(email)
    check_tenant_grant(session, tenant.id, role, agency_id)
    person = find_user_by_email(session, email)  # users are platform-wide: used to decide, never shown
    if person is not None and is_member(session, tenant.id, person.id):
        return add_member(session, tenant.id, person, role, agency_id, actor)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(tenant_id=tenant.id, email=email, name=name.strip() or email, role=role,
                            agency_id=agency_id, token_hash=token_hash(token), invited_by=actor.id[:80],
                            expires_at=_now() + INVITATION_TTL)
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
    except IntegrityError:
        raise Conflict(N_("%(email)s is already invited to this role; withdraw that invitation to send a new one."),
                       "email", code="already_invited", email=email) from None
    record(session, actor, "invitation.create", "invitation", invitation.id, tenant_id=tenant.id,
           after=snapshot(invitation))
    _mail(session, tenant, invitation, token, public_url)
    return invitation


def invitations_query(tenant_id: uuid.UUID):
    return (select(Invitation).where(Invitation.tenant_id == tenant_id, Invitation.accepted_at.is_(None),
                                     Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at.desc(), Invitation.id))


def get_invitation(session: Session, tenant_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation:
    found = session.scalar(select(Invitation).where(Invitation.tenant_id == tenant_id, Invitation.id == invitation_id))
    if found is None:
        raise NotFound(N_("This region has no such invitation."))
    return found


def withdraw(session: Session, invitation: Invitation, actor: Actor) -> None:
    """The link stops working at once; an accepted invitation is a membership now (revoke that instead)."""
    if invitation.accepted_at is not None:
        raise Conflict(N_("This invitation was accepted; revoke the membership instead."), code="accepted")
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = func.now()
    session.flush()
    record(session, actor, "invitation.withdraw", "invitation", invitation.id, tenant_id=invitation.tenant_id,
           before=snapshot(invitation))


def resend(session: Session, tenant: Tenant, invitation: Invitation, actor: Actor, public_url: str) -> Invitation:
    """A new link, valid INVITATION_TTL from now, e-mailed again; the link sent before stops working."""
    if status_of(invitation) in ("accepted", "revoked"):
        raise Conflict(N_("This invitation was accepted or withdrawn; invite the person again instead."),
                       code="not_pending")
    token = secrets.token_urlsafe(32)
    invitation.token_hash, invitation.expires_at = token_hash(token), _now() + INVITATION_TTL
    invitation.version += 1
    session.flush()
    record(session, actor, "invitation.resend", "invitation", invitation.id, tenant_id=tenant.id,
           after=snapshot(invitation))
    _mail(session, tenant, invitation, token, public_url)
    return invitation


def _mail(session: Session, tenant: Tenant, invitation: Invitation, token: str, public_url: str) -> None:
    link = f"{public_url}/invitations/{token}"
    role_id, role_en = ROLE_NAMES[invitation.role]
    until_id = invitation.expires_at.strftime("%d-%m-%Y")
    until_en = invitation.expires_at.strftime("%Y-%m-%d")
    indonesian = (f"Anda diundang sebagai {role_id} di {tenant.name} pada Siaga112, platform pusat panggilan "
                  f"darurat 112.\n\nBuka tautan ini untuk menerimanya (berlaku sampai {until_id}, sekali pakai):\n"
                  f"{link}\n\nJika Anda tidak mengenal undangan ini, abaikan e-mail ini.")
    english = (f"You are invited as {role_en} of {tenant.name} on Siaga112, the platform of the 112 emergency "
               f"call centres.\n\nOpen this link to accept (valid until {until_en}, once):\n{link}\n\n"
               "If you do not know of this invitation, ignore this e-mail.")
    queue_mail(session, invitation.email, bilingual_subject(f"Undangan Siaga112: {tenant.name}",
                                                            f"Siaga112 invitation: {tenant.name}"),
               bilingual(indonesian, english), recipient_name=invitation.name)


# --- the invited person's side (platform context: the token is the credential) -------------------------

@dataclass(frozen=True)
class Opened:
    """A valid invitation as its link shows it: to whom, where, as what, and whether an account awaits."""

    invitation: Invitation
    tenant: Tenant
    account: User | None

    @property
    def needs_password(self) -> bool:
        """True for a new person, or an account that never had a password: they choose one to accept."""
        return self.account is None or self.account.password_hash is None


def open_invitation(session: Session, token: str, lock: bool = False) -> Opened:
    if not token or len(token) > 100:
        raise NotFound(NOT_VALID)
    query = select(Invitation).where(Invitation.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update()
    invitation = session.scalar(query)
    if invitation is None or status_of(invitation) != "pending":
        raise NotFound(NOT_VALID)
    tenant = session.get(Tenant, invitation.tenant_id)
    return Opened(invitation, tenant, find_user_by_email(session, invitation.email))


def accept(session: Session, token: str, user: User | None, name: str | None = None,
           password: str | None = None) -> Membership:
    """Accept an invitation: as the signed-in `user` it was sent to, or (no password yet) choosing one.

    Locked, so two clicks on the same link grant once; the second finds it used.
    """
    opened = open_invitation(session, token, lock=True)
    invitation = opened.invitation
    if opened.needs_password:
        account = opened.account or create_user(session, invitation.email, name or invitation.name)
        account.password_hash = hash_password(password or "")
        if name and name.strip():
            account.name = name.strip()
    elif user is None or user.id != opened.account.id:
        raise Conflict(N_("Sign in as %(email)s to accept this invitation."), code="sign_in_as", email=invitation.email)
    else:
        account = user
    actor = Actor("user", str(account.id), invitation.role, None)
    membership = add_member(session, invitation.tenant_id, account, invitation.role, invitation.agency_id, actor,
                            action="invitation.accept")
    invitation.accepted_at, invitation.accepted_by = func.now(), account.id
    session.flush()
    return membership
