"""Failed sign-ins: a lock per e-mail address *and* client address, a slow-down per e-mail address, an unlock.

Locking an e-mail address outright after a few failures would let anyone lock the operator on shift
out by typing their address five times. So:
- LOCK_AFTER failures of one e-mail from one client address within WINDOW lock that pair until the
  oldest of them is WINDOW old (a moving window), whatever password comes next: an attacker locks
  only themselves out;
- SLOW_AFTER failures of one e-mail from any addresses within WINDOW slow that e-mail down: at most one
  attempt every SLOW_SECONDS, so guessing from many addresses gains little, while the real person
  waits seconds, never minutes;
- a success clears the failures of its own pair; a regional admin (or ops) can clear a person's all.

Failures are rows in PostgreSQL (not Redis counters) so that the lock holds across processes, through
a Redis outage, and can be lifted and audited. The e-mail is kept as a keyed hash only. Unknown
addresses are treated exactly like known ones, so the answers tell nothing about who has an account.
The numbers come from the app's config (DEFAULTS below), so tests can shorten them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import SignInFailure

DEFAULTS = {
    "SIGN_IN_LOCK_AFTER": 5,  # failures of one e-mail from one address ...
    "SIGN_IN_WINDOW_SECONDS": 15 * 60,  # ... within this window lock that pair
    "SIGN_IN_SLOW_AFTER": 10,  # failures of one e-mail from any address within the window ...
    "SIGN_IN_SLOW_SECONDS": 30,  # ... leave this long between two attempts
}
KEEP_FAILURES = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    lock_after: int
    window_seconds: int
    slow_after: int
    slow_seconds: int

    @classmethod
    def of(cls, config) -> "Policy":
        return cls(*(int(config.get(name, default)) for name, default in DEFAULTS.items()))


@dataclass(frozen=True)
class Held:
    """Why an attempt is not even checked now, and for how many more seconds."""

    reason: str  # "locked" (this e-mail from this address) or "slowed" (this e-mail from anywhere)
    seconds: int


def email_key(secret: str | bytes, email: str) -> str:
    """A keyed hash of the e-mail address as typed, case and surrounding spaces ignored."""
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def _whole_seconds(value) -> int:
    return max(1, math.ceil(float(value)))


def held(session: Session, key: str, address: str, policy: Policy) -> Held | None:
    """Whether an attempt for this e-mail from this address must wait, and how long."""
    window = timedelta(seconds=policy.window_seconds)
    recent = select(SignInFailure.at, SignInFailure.address).where(
        SignInFailure.email_key == key, SignInFailure.at > func.now() - window).subquery()
    pair_lock_ends = session.scalar(
        select(func.extract("epoch", recent.c.at + window - func.now()))
        .where(recent.c.address == address).order_by(recent.c.at.desc())
        .offset(policy.lock_after - 1).limit(1))
    if pair_lock_ends is not None:
        return Held("locked", _whole_seconds(pair_lock_ends))
    count, last = session.execute(select(func.count(), func.max(recent.c.at))).one()
    if count >= policy.slow_after:
        wait = session.scalar(select(func.extract("epoch", last + timedelta(seconds=policy.slow_seconds) - func.now())))
        if wait is not None and float(wait) > 0:
            return Held("slowed", _whole_seconds(wait))
    return None


def record_failure(session: Session, key: str, address: str, policy: Policy) -> bool:
    """Count a failed attempt; True when it is the one that locks this pair (for the audit log)."""
    session.add(SignInFailure(email_key=key, address=address))
    session.flush()
    pair = session.scalar(select(func.count()).where(
        SignInFailure.email_key == key, SignInFailure.address == address,
        SignInFailure.at > func.now() - timedelta(seconds=policy.window_seconds)))
    return pair == policy.lock_after


def clear_pair(session: Session, key: str, address: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.email_key == key, SignInFailure.address == address))


def unlock(session: Session, key: str) -> int:
    """Lift every lock and slow-down of an e-mail address; returns how many failures were forgotten."""
    return session.execute(delete(SignInFailure).where(SignInFailure.email_key == key)).rowcount


def purge_old_failures(session: Session) -> int:
    return session.execute(delete(SignInFailure).where(SignInFailure.at < func.now() - KEEP_FAILURES)).rowcount


def troubled(session: Session, secret: str | bytes, emails, policy: Policy) -> set[str]:
    """Which of these e-mail addresses have enough recent failures to be locked somewhere or slowed down:
    the people an admin may want to unlock (one query for a whole member list)."""
    keys = {email_key(secret, email): email for email in emails}
    if not keys:
        return set()
    rows = session.execute(
        select(SignInFailure.email_key, SignInFailure.address, func.count())
        .where(SignInFailure.email_key.in_(keys), SignInFailure.at > func.now() - timedelta(seconds=policy.window_seconds))
        .group_by(SignInFailure.email_key, SignInFailure.address)).all()
    per_email: dict[str, int] = {}
    found = set()
    for key, _address, count in rows:
        per_email[key] = per_email.get(key, 0) + count
        if count >= policy.lock_after:
            found.add(keys[key])
    return found | {keys[key] for key, total in per_email.items() if total >= policy.slow_after}
