"""People and their roles: accounts, grants, authentication, the members of a tenant.

The account functions run in platform context (they read memberships across tenants); the member
functions run in the tenant's context. Callers in api/views check who may call them. Every change
of a grant marks its transaction with `grants_changed`, so every process drops what it cached
within seconds (in_force.py). Inviting people into a tenant is in invitations.py.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import Actor, record
from ..refusals import N_, Conflict, Invalid, NotFound, Stale
from ..tenancy.models import Tenant
from . import lockout
from .in_force import grants_changed
from .models import Membership, PlatformRole, User
from .passwords import hash_password, needs_rehash, verify_password
from .principal import Grant, Principal
from .roles import AGENCY_RESPONDER, PLATFORM_ADMIN, PLATFORM_ROLES, REGIONAL_ADMIN, ROLES, TENANT_ROLES


def normalise_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.rpartition("@")
    if not local or not domain or "." not in domain or " " in email or len(email) > 254:
        raise Invalid(N_("%(email)s is not an e-mail address."), "email", email=repr(email))
    return f"{local}@{domain.lower()}"


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def user_by_email(session: Session, email: str) -> User:
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFound(N_("There is no account for %(email)s."), email=email)
    return user


def create_user(session: Session, email: str, name: str, password: str | None = None, actor: Actor | None = None,
                audit_tenant_id: uuid.UUID | None = None) -> User:
    """A new account; audited in the platform's chain, or in audit_tenant_id's when a tenant invites."""
    email = normalise_email(email)
    if find_user_by_email(session, email):
        raise Conflict(N_("There is already an account for %(email)s."), "email", email=email)
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    if actor:
        record(session, actor, "user.create", "user", user.id, tenant_id=audit_tenant_id,
               after={"email": user.email, "name": user.name, "password_set": password is not None})
    return user


def set_password(session: Session, email: str, password: str, actor: Actor) -> User:
    """Give an account a (new) password, e.g. a person a regional admin invited; audited, never logged."""
    user = user_by_email(session, email)
    had_password = user.password_hash is not None
    user.password_hash = hash_password(password)
    session.flush()
    record(session, actor, "user.set_password", "user", user.id,
           before={"password_set": had_password}, after={"password_set": True})
    return user


def deactivate_user(session: Session, email: str, actor: Actor) -> User:
    """Switch an account off: no sign-in, its sessions end, its tokens stop within seconds. Idempotent."""
    from ..sessions import end_sessions_of
    from .oauth_service import revoke_refresh_tokens_of_user

    user = user_by_email(session, email)
    if not user.active:
        return user
    user.active = False
    session.flush()
    end_sessions_of(session, user.id)
    revoke_refresh_tokens_of_user(session, user.id)
    grants_changed(session)
    record(session, actor, "user.deactivate", "user", user.id, before={"active": True}, after={"active": False})
    return user


def unlock_sign_in(session: Session, user: User, secret: str | bytes, actor: Actor,
                   tenant_id: uuid.UUID | None = None) -> int:
    """Lift every sign-in lock and slow-down of the person (lockout.py); audited in the tenant's chain."""
    forgotten = lockout.unlock(session, lockout.email_key(secret, user.email))
    record(session, actor, "user.unlock", "user", user.id, tenant_id=tenant_id, after={"failures_forgotten": forgotten})
    return forgotten


def grant_role(session: Session, user: User, role: str, tenant_id: uuid.UUID | None = None,
               agency_id: uuid.UUID | None = None, actor: Actor | None = None) -> PlatformRole | Membership:
    if role not in ROLES:
        raise Invalid(N_("Unknown role %(role)s; roles are %(roles)s."), "role", role=repr(role), roles=", ".join(ROLES))
    if role in PLATFORM_ROLES:
        if tenant_id or agency_id:
            raise Invalid(N_("%(role)s is a platform role: grant it without a tenant or agency."), "role", role=role)
        existing = session.get(PlatformRole, (user.id, role))
        grant = existing or PlatformRole(user_id=user.id, role=role)
    else:
        if tenant_id is None:
            raise Invalid(N_("%(role)s is granted in one tenant: name the tenant."), "role", role=role)
        if (role == AGENCY_RESPONDER) != (agency_id is not None):
            raise Invalid(AGENCY_ONLY_FOR_RESPONDER, "agency_id")
        existing = session.scalar(select(Membership).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user.id, Membership.role == role,
            Membership.agency_id.is_not_distinct_from(agency_id)))
        grant = existing or Membership(tenant_id=tenant_id, user_id=user.id, role=role, agency_id=agency_id)
    session.add(grant)
    session.flush()
    if not existing:
        grants_changed(session)
        if actor:
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


def _password_holds(user: User | None, password: str) -> bool:
    """Whether `user` is active and `password` is theirs; equally slow for no user. Upgrades an old hash."""
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        return False
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; equally slow either way."""
    user = find_user_by_email(session, email)
    return user if _password_holds(user, password) else None


SIGN_IN_AUDITOR = Actor.system("sign-in")


def attempt_sign_in(session: Session, email: str, password: str, address: str, policy: lockout.Policy,
                    secret: str | bytes) -> User | lockout.Held | None:
    """One sign-in attempt from `address`: the account when it succeeds; a Held when this e-mail must wait
    (locked here, or slowed everywhere: the password is not even checked); None when the e-mail or the
    password is wrong (counted). A lock of a real account is audited; one of an unknown address is not."""
    key = lockout.email_key(secret, email)
    wait = lockout.held(session, key, address, policy)
    if wait is not None:
        return wait
    user = find_user_by_email(session, email)
    if _password_holds(user, password):
        lockout.clear_pair(session, key, address)
        return user
    if lockout.record_failure(session, key, address, policy) and user is not None:
        record(session, SIGN_IN_AUDITOR, "sign_in.lock", "user", user.id,
               after={"address": address, "failures": policy.lock_after, "window_seconds": policy.window_seconds})
    return None


# --- members of a tenant (called in that tenant's context) ------------------

AGENCY_ONLY_FOR_RESPONDER = N_("An agency responder is granted for one agency of this region, and only that role "
                               "takes an agency.")
NO_SUCH_MEMBER = N_("This region has no such member.")


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
        raise NotFound(NO_SUCH_MEMBER)
    return membership


def is_member(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return session.scalar(select(Membership.id).where(Membership.tenant_id == tenant_id,
                                                      Membership.user_id == user_id).limit(1)) is not None


def check_tenant_grant(session: Session, tenant_id: uuid.UUID, role: str, agency_id: uuid.UUID | None) -> None:
    from sqlalchemy import text

    if role not in TENANT_ROLES:
        raise Invalid(N_("Only the roles of a region can be granted here (%(roles)s); platform roles are granted by "
                         "a platform admin."), "role", roles=", ".join(TENANT_ROLES))
    if (role == AGENCY_RESPONDER) != (agency_id is not None):
        raise Invalid(AGENCY_ONLY_FOR_RESPONDER, "agency_id")
    if agency_id is not None and not session.execute(
            text("SELECT 1 FROM agencies WHERE tenant_id = :t AND id = :a"), {"t": tenant_id, "a": agency_id}).first():
        raise Invalid(N_("Choose an agency of this region."), "agency_id")


def agencies_of(session: Session, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The region's agencies as (id, name), for choosing an agency responder's agency (the kernel reads the
    directory's table without importing the context, as check_tenant_grant does)."""
    from sqlalchemy import text

    return [tuple(row) for row in session.execute(
        text("SELECT id, name FROM agencies WHERE tenant_id = :t ORDER BY lower(name)"), {"t": tenant_id})]


def add_member(session: Session, tenant_id: uuid.UUID, user: User, role: str, agency_id: uuid.UUID | None,
               actor: Actor, action: str = "member.grant") -> Membership:
    """Grant a tenant role to a person (already checked with check_tenant_grant)."""
    if session.scalar(select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user.id, Membership.role == role,
            Membership.agency_id.is_not_distinct_from(agency_id))):
        raise Conflict(N_("%(email)s already holds this role here."), "role", email=user.email)
    membership = Membership(tenant_id=tenant_id, user_id=user.id, role=role, agency_id=agency_id, user=user)
    session.add(membership)
    session.flush()
    grants_changed(session)
    record(session, actor, action, "membership", membership.id, tenant_id=tenant_id,
           after=member_snapshot(membership))
    return membership


def _keep_one_admin(session: Session, membership: Membership) -> None:
    """A region always keeps a regional admin: without one, nobody there could invite or fix anything."""
    if membership.role != REGIONAL_ADMIN:
        return
    others = session.scalar(select(func.count()).select_from(Membership).where(
        Membership.tenant_id == membership.tenant_id, Membership.role == REGIONAL_ADMIN, Membership.id != membership.id))
    if not others:
        raise Conflict(N_("%(email)s is the region's only regional admin; make someone else regional admin first."),
                       "role", code="last_regional_admin", email=membership.user.email)


def change_member(session: Session, membership: Membership, role: str, agency_id: uuid.UUID | None, actor) -> Membership:
    check_tenant_grant(session, membership.tenant_id, role, agency_id)
    if role != membership.role:
        _keep_one_admin(session, membership)
    if session.scalar(select(Membership.id).where(
            Membership.tenant_id == membership.tenant_id, Membership.user_id == membership.user_id,
            Membership.role == role, Membership.agency_id.is_not_distinct_from(agency_id),
            Membership.id != membership.id)):
        raise Conflict(N_("%(email)s already holds this role here."), "role", email=membership.user.email)
    before = member_snapshot(membership)
    membership.role, membership.agency_id = role, agency_id
    try:
        session.flush()
    except StaleDataError:
        raise Stale(N_("Someone else changed this membership meanwhile; fetch it again.")) from None
    grants_changed(session)
    record(session, actor, "member.change", "membership", membership.id, tenant_id=membership.tenant_id,
           before=before, after=member_snapshot(membership))
    return membership


def revoke_member(session: Session, membership: Membership, actor) -> None:
    """Take a role in this tenant away. Only this grant ends: the person's tokens keep their roles elsewhere
    (in_force.py narrows every token to what is still in force), and a refresh issues what they still hold."""
    _keep_one_admin(session, membership)
    record(session, actor, "member.revoke", "membership", membership.id, tenant_id=membership.tenant_id,
           before=member_snapshot(membership))
    session.delete(membership)
    session.flush()
    grants_changed(session)


# --- platform roles (the platform admin's people page) ------------------------------------------------

def platform_people_query():
    return (select(PlatformRole).join(PlatformRole.user)
            .order_by(func.lower(User.name), User.email, PlatformRole.role))


def add_platform_person(session: Session, email: str, name: str, role: str, actor: Actor,
                        public_url: str) -> tuple[PlatformRole, bool]:
    """Give a person a platform role: at once, and a new account (or one without a password) is e-mailed a
    link to choose its password. Returns the grant and whether such a link was sent."""
    from .password_resets import request_reset

    if role not in PLATFORM_ROLES:
        raise Invalid(N_("Choose one of the platform roles."), "role")
    user = find_user_by_email(session, normalise_email(email)) or create_user(session, email, name, actor=actor)
    if session.get(PlatformRole, (user.id, role)) is not None:
        raise Conflict(N_("%(email)s already holds this role."), "email", code="already_granted", email=user.email)
    grant = grant_role(session, user, role, actor=actor)
    if user.password_hash is None:
        request_reset(session, user, actor, public_url)
        return grant, True
    return grant, False


def revoke_platform_role(session: Session, user_id: uuid.UUID, role: str, actor: Actor) -> PlatformRole:
    grant = session.get(PlatformRole, (user_id, role))
    if grant is None:
        raise NotFound(N_("Nobody holds this platform role any more."))
    if role == PLATFORM_ADMIN and session.scalar(select(func.count()).select_from(PlatformRole).where(
            PlatformRole.role == PLATFORM_ADMIN)) <= 1:
        raise Conflict(N_("%(email)s is the only platform admin; make someone else platform admin first."),
                       code="last_platform_admin", email=grant.user.email)
    session.delete(grant)
    session.flush()
    grants_changed(session)
    record(session, actor, "role.revoke", "user", user_id, after={"role": role})
    return grant
