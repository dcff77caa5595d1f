"""People and their roles: creating users, granting roles, authenticating, and the grants a token carries.

These functions run in platform context (they read memberships across tenants);
the callers in api/views are the ones that check who may call them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.service import Actor, record
from ..tenancy.models import Tenant
from .models import Membership, PlatformRole, User
from .oauth_service import revoke_refresh_tokens_of_user
from .passwords import hash_password, needs_rehash, verify_password
from .principal import Grant, Principal
from .roles import AGENCY_RESPONDER, PLATFORM_ROLES, ROLES, TENANT_ROLES


class IdentityError(ValueError):
    """A request about people or roles that cannot be carried out; the message says why."""


class EmailTaken(IdentityError):
    pass


def normalise_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.rpartition("@")
    if not local or not domain or "." not in domain or " " in email or len(email) > 254:
        raise IdentityError(f"{email!r} is not an e-mail address.")
    return f"{local}@{domain.lower()}"


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(session: Session, email: str, name: str, password: str | None = None, actor: Actor | None = None,
                audit_tenant_id: uuid.UUID | None = None) -> User:
    """A new account; audited in the platform's chain, or in audit_tenant_id's when a tenant invites."""
    email = normalise_email(email)
    if find_user_by_email(session, email):
        raise EmailTaken(f"There is already an account for {email}.")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    if actor:
        record(session, actor, "user.create", "user", user.id, tenant_id=audit_tenant_id,
               after={"email": user.email, "name": user.name, "password_set": password is not None})
    return user


def set_password(session: Session, email: str, password: str, actor: Actor) -> User:
    """Give an account a (new) password, e.g. a person a regional admin invited; audited, never logged."""
    user = find_user_by_email(session, email)
    if user is None:
        raise IdentityError(f"There is no account for {email}.")
    had_password = user.password_hash is not None
    user.password_hash = hash_password(password)
    session.flush()
    record(session, actor, "user.set_password", "user", user.id,
           before={"password_set": had_password}, after={"password_set": True})
    return user


def grant_role(session: Session, user: User, role: str, tenant_id: uuid.UUID | None = None,
               agency_id: uuid.UUID | None = None, actor: Actor | None = None) -> PlatformRole | Membership:
    if role not in ROLES:
        raise IdentityError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    if role in PLATFORM_ROLES:
        if tenant_id or agency_id:
            raise IdentityError(f"{role} is a platform role: grant it without a tenant or agency.")
        existing = session.get(PlatformRole, (user.id, role))
        grant = existing or PlatformRole(user_id=user.id, role=role)
    else:
        if tenant_id is None:
            raise IdentityError(f"{role} is granted in one tenant: name the tenant.")
        if (role == AGENCY_RESPONDER) != (agency_id is not None):
            raise IdentityError("agency_responder is granted for one agency (and only it takes an agency).")
        existing = session.scalar(select(Membership).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user.id, Membership.role == role,
            Membership.agency_id.is_not_distinct_from(agency_id)))
        grant = existing or Membership(tenant_id=tenant_id, user_id=user.id, role=role, agency_id=agency_id)
    session.add(grant)
    session.flush()
    if actor and not existing:
        record(session, actor, "role.grant", "user", user.id, tenant_id=tenant_id,
               after={"role": role, "agency_id": str(agency_id) if agency_id else None})
    return grant


def grants_of(session: Session, user: User) -> tuple[Grant, ...]:
    """Every role the user holds, platform and tenant. Needs platform context."""
    platform = [Grant(role.role) for role in user.platform_roles]
    memberships = session.execute(
        select(Membership, Tenant.slug).join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user.id).order_by(Tenant.slug, Membership.role)).all()
    return tuple(platform + [Grant(m.role, m.tenant_id, m.agency_id, slug) for m, slug in memberships])


def principal_of(session: Session, user: User) -> Principal:
    return Principal(kind="user", subject=str(user.id), grants=grants_of(session, user), name=user.name, email=user.email)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; equally slow either way."""
    user = find_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


__all__ = ["TENANT_ROLES", "authenticate", "create_user", "grant_role", "grants_of", "principal_of"]


# --- members of a tenant (called in that tenant's context) ------------------

class MemberNotFound(IdentityError):
    pass


class DuplicateGrant(IdentityError):
    pass


class StaleMember(IdentityError):
    pass


def member_snapshot(membership: Membership) -> dict:
    return {"user_id": str(membership.user_id), "email": membership.user.email, "role": membership.role,
            "agency_id": str(membership.agency_id) if membership.agency_id else None}


def members_query(tenant_id: uuid.UUID):
    return (select(Membership).join(Membership.user).where(Membership.tenant_id == tenant_id)
            .order_by(func.lower(User.name), Membership.role))


def get_member(session: Session, tenant_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    membership = session.scalar(select(Membership).where(Membership.tenant_id == tenant_id,
                                                         Membership.id == membership_id))
    if membership is None:
        raise MemberNotFound("This tenant has no such member.")
    return membership


def _check_tenant_grant(session: Session, tenant_id: uuid.UUID, role: str, agency_id: uuid.UUID | None) -> None:
    from sqlalchemy import text

    if role not in TENANT_ROLES:
        raise IdentityError(f"Only tenant roles can be granted here ({', '.join(TENANT_ROLES)}); "
                            "platform roles are granted by a platform admin.")
    if (role == AGENCY_RESPONDER) != (agency_id is not None):
        raise IdentityError("agency_responder needs agency_id (one agency of this tenant); other roles take none.")
    if agency_id is not None and not session.execute(
            text("SELECT 1 FROM agencies WHERE tenant_id = :t AND id = :a"), {"t": tenant_id, "a": agency_id}).first():
        raise IdentityError("agency_id is not an agency of this tenant.")


def invite_member(session: Session, tenant_id: uuid.UUID, email: str, name: str, role: str,
                  agency_id: uuid.UUID | None, actor) -> Membership:
    """Grant a tenant role to a person, creating their account (without a password) if they are new."""
    _check_tenant_grant(session, tenant_id, role, agency_id)
    user = find_user_by_email(session, email) or create_user(session, email, name, actor=actor, audit_tenant_id=tenant_id)
    if session.scalar(select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user.id, Membership.role == role,
            Membership.agency_id.is_not_distinct_from(agency_id))):
        raise DuplicateGrant(f"{user.email} already holds {role} here.")
    membership = Membership(tenant_id=tenant_id, user_id=user.id, role=role, agency_id=agency_id, user=user)
    session.add(membership)
    session.flush()
    record(session, actor, "member.grant", "membership", membership.id, tenant_id=tenant_id,
           after=member_snapshot(membership))
    return membership


def change_member(session: Session, membership: Membership, role: str, agency_id: uuid.UUID | None, actor) -> Membership:
    from sqlalchemy.orm.exc import StaleDataError
    _check_tenant_grant(session, membership.tenant_id, role, agency_id)
    before = member_snapshot(membership)
    membership.role, membership.agency_id = role, agency_id
    try:
        session.flush()
    except StaleDataError:
        raise StaleMember("Someone else changed this membership meanwhile; fetch it again.") from None
    record(session, actor, "member.change", "membership", membership.id, tenant_id=membership.tenant_id,
           before=before, after=member_snapshot(membership))
    return membership


def revoke_member(session: Session, membership: Membership, actor) -> None:
    record(session, actor, "member.revoke", "membership", membership.id, tenant_id=membership.tenant_id,
           before=member_snapshot(membership))
    session.delete(membership)
    session.flush()
    revoke_refresh_tokens_of_user(session, membership.user_id)  # no refresh may bring the old role back
