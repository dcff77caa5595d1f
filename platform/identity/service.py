"""People and their roles: creating users, granting roles, authenticating, and the grants a token carries.

These functions run in platform context (they read memberships across tenants);
the callers in api/views are the ones that check who may call them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Membership, PlatformRole, User
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


def create_user(session: Session, email: str, name: str, password: str | None = None) -> User:
    email = normalise_email(email)
    if find_user_by_email(session, email):
        raise EmailTaken(f"There is already an account for {email}.")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def grant_role(session: Session, user: User, role: str, tenant_id: uuid.UUID | None = None,
               agency_id: uuid.UUID | None = None) -> PlatformRole | Membership:
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
    return grant


def grants_of(session: Session, user: User) -> tuple[Grant, ...]:
    """Every role the user holds, platform and tenant. Needs platform context."""
    platform = [Grant(role.role) for role in user.platform_roles]
    memberships = session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    return tuple(platform + [Grant(m.role, m.tenant_id, m.agency_id) for m in memberships])


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
