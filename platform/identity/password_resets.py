"""A new password through an e-mailed link: what an admin does for a person who forgot theirs.

The admin never sees or chooses the password. They ask for a reset; the person receives (in both
languages, through the outbox of outgoing mail) a link with a random token, single-use and valid for
RESET_TTL, and chooses a new password on the page it opens. Only the token's SHA-256 is stored; a new
reset voids the earlier ones; using one ends the person's other sessions and refresh tokens, and lifts
the sign-in lock. Every step is audited (in the tenant's chain when a regional admin asked).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..audit.service import Actor, record
from ..jobs.mail import queue_mail
from ..mail import bilingual, bilingual_subject
from ..refusals import N_, Forbidden, NotFound
from . import lockout
from .invitations import token_hash
from .models import PasswordReset, User
from .passwords import check_strength, hash_password

RESET_TTL = timedelta(hours=24)
NOT_VALID = N_("This link to set a new password is not valid any more: it was used, replaced by a newer one or "
               "has expired. Ask your regional admin (or the platform admin) for a new one.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def request_reset(session: Session, user: User, actor: Actor, public_url: str,
                  tenant_id: uuid.UUID | None = None, region: str | None = None) -> PasswordReset:
    """E-mail `user` a link to set a new password; their earlier links stop working."""
    if not user.active:
        raise Forbidden(N_("%(email)s is switched off; switch the account on before resetting its password."),
                        code="inactive", email=user.email)
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
                                                PasswordReset.expires_at > func.now())
                    .values(expires_at=func.now()))
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(user_id=user.id, token_hash=token_hash(token), audit_tenant_id=tenant_id,
                          requested_by=actor.id[:80], expires_at=_now() + RESET_TTL)
    session.add(reset)
    session.flush()
    record(session, actor, "user.password_reset_request", "user", user.id, tenant_id=tenant_id,
           after={"expires_at": reset.expires_at.isoformat()})
    _mail(session, user, token, public_url, region)
    return reset


def _mail(session: Session, user: User, token: str, public_url: str, region: str | None) -> None:
    link = f"{public_url}/password-reset/{token}"
    where_id = f" ({region})" if region else ""
    indonesian = (f"Admin Siaga112{where_id} meminta kata sandi baru untuk akun Anda ({user.email}).\n\n"
                  f"Buka tautan ini untuk memilih kata sandi baru (berlaku 24 jam, sekali pakai):\n{link}\n\n"
                  "Jika Anda tidak memintanya, abaikan e-mail ini: kata sandi Anda tetap sama.")
    english = (f"A Siaga112 admin{where_id} asked for a new password for your account ({user.email}).\n\n"
               f"Open this link to choose a new password (valid for 24 hours, once):\n{link}\n\n"
               "If you did not ask for it, ignore this e-mail: your password stays the same.")
    queue_mail(session, user.email, bilingual_subject("Kata sandi baru Siaga112", "New Siaga112 password"),
               bilingual(indonesian, english), recipient_name=user.name)


@dataclass(frozen=True)
class Opened:
    reset: PasswordReset
    user: User


def open_reset(session: Session, token: str, lock: bool = False) -> Opened:
    if not token or len(token) > 100:
        raise NotFound(NOT_VALID, code="reset_not_valid")
    query = select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    reset = session.scalar(query.with_for_update() if lock else query)
    if reset is None or reset.used_at is not None or reset.expires_at <= _now():
        raise NotFound(NOT_VALID, code="reset_not_valid")
    user = session.get(User, reset.user_id)
    if user is None or not user.active:
        raise NotFound(NOT_VALID, code="reset_not_valid")
    return Opened(reset, user)


def complete_reset(session: Session, token: str, password: str, secret: str | bytes) -> User:
    """Set the new password (locked: two clicks set it once); the person's other sessions end."""
    from ..sessions import end_sessions_of
    from .oauth_service import revoke_refresh_tokens_of_user

    opened = open_reset(session, token, lock=True)
    check_strength(password)
    user = opened.user
    user.password_hash = hash_password(password)
    opened.reset.used_at = func.now()
    session.flush()
    end_sessions_of(session, user.id)
    revoke_refresh_tokens_of_user(session, user.id)
    lockout.unlock(session, lockout.email_key(secret, user.email))
    record(session, Actor("user", str(user.id), "self", None), "user.password_reset", "user", user.id,
           tenant_id=opened.reset.audit_tenant_id, after={"password_set": True})
    return user
