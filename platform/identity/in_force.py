"""What is in force now — a person's grants and whether they are active, a client's revocation, revoked
access tokens — kept per process, so a request rarely needs the database to know it.

An access token carries its holder's grants as they were when it was issued; what it may do is
only the part of those that is still in force. A revoked or changed grant, a deactivated person, a
revoked client or a revoked access token therefore stops working within seconds on every process:

- every change that affects them (identity/service.py, oauth) marks its database session with
  `grants_changed(session)`; when that transaction commits, the platform's grants epoch in Redis is
  incremented (`announce_grant_changes`);
- each process reads the epoch at most once every POLL_SECONDS; when it moved, the process forgets
  everything it cached and reads again from PostgreSQL on demand. While the epoch can be read,
  an entry is trusted for TRUST_SECONDS (a lost increment costs at most that);
- while Redis is away nobody can announce a change, so entries are trusted only
  TRUST_WITHOUT_REDIS_SECONDS and re-read from PostgreSQL after that; when Redis is back the
  cache is cleared once, as a change may have been made meanwhile.

So the common request costs a dictionary lookup, and one Redis GET a second per process.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from dataclasses import replace

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import event as sa_event
from sqlalchemy import String, cast, func, null, select, union_all
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Session

from ..db import Database
from ..dependencies import Breaker, redis_breaker
from ..jobs.queues import redis_connection
from ..tenancy.context import PLATFORM
from ..tenancy.models import Tenant
from .models import Membership, PlatformRole, User
from .oauth_models import OAuthClient, RevokedAccessToken
from .principal import Grant, Principal

EXTENSION = "siaga112.in_force"
OPS_CLIENT_ID = "siaga112-cli"  # tokens of `siaga112 token issue`: no registered client behind them
EPOCH_KEY = "siaga:grants:epoch"
POLL_SECONDS = 1.0
TRUST_SECONDS = 30.0
TRUST_WITHOUT_REDIS_SECONDS = 5.0
MAX_ENTRIES = 50_000  # people and clients one process remembers; beyond it, it starts afresh
_CHANGED = "siaga112.grants_changed"
_UNREADABLE = object()


def grants_changed(session: Session) -> None:
    """Mark the session's transaction: when it commits, every process re-reads what is in force."""
    session.info[_CHANGED] = True


@dataclass(frozen=True)
class Person:
    active: bool
    name: str
    email: str
    grants: tuple[Grant, ...]

    def keys(self) -> frozenset[tuple]:
        return frozenset(grant_key(grant) for grant in self.grants)


def grant_key(grant: Grant) -> tuple:
    return grant.role, grant.tenant_id, grant.agency_id


@dataclass
class _Entry:
    value: Any
    read_at: float


class InForce:
    """The per-process view of what is in force (see the module). Thread-safe."""

    def __init__(self, database: Database, redis: Redis, breaker: Breaker):
        self.database, self.redis, self.breaker = database, redis, breaker
        self.lock = threading.Lock()
        self.entries: dict[tuple[str, str], _Entry] = {}
        self.epoch: Any = _UNREADABLE
        self.polled_at = float("-inf")
        self.redis_was_readable = True
        self.generation = 0  # bumped whenever the entries are dropped: a read begun before must not be kept

    # --- freshness ---------------------------------------------------------------------------

    def _poll(self, now: float) -> None:
        if now - self.polled_at < POLL_SECONDS:
            return
        self.polled_at = now
        epoch = self.breaker.call(lambda: self.redis.get(EPOCH_KEY), fallback=_UNREADABLE)
        readable = epoch is not _UNREADABLE
        if readable and (epoch != self.epoch or not self.redis_was_readable):
            self.forget()  # something changed, or may have while nobody could say so
        if readable:
            self.epoch = epoch
        self.redis_was_readable = readable

    def forget(self) -> None:
        """Drop everything cached (what a moved epoch does)."""
        self.entries.clear()
        self.generation += 1

    def _trust(self) -> float:
        return TRUST_SECONDS if self.redis_was_readable else TRUST_WITHOUT_REDIS_SECONDS

    def _cached(self, key: tuple[str, str], read):
        now = time.monotonic()
        with self.lock:
            self._poll(now)
            entry = self.entries.get(key)
            if entry is not None and now - entry.read_at < self._trust():
                return entry.value
            generation = self.generation
        value = read()
        with self.lock:
            # Kept only if nothing was announced while it was read (it might predate the change).
            if generation == self.generation:
                if len(self.entries) >= MAX_ENTRIES:
                    self.forget()
                self.entries[key] = _Entry(value, now)
        return value

    # --- what is in force ---------------------------------------------------------------------

    def person(self, user_id: uuid.UUID) -> Person | None:
        """The person's name, whether active, and every grant they hold now; None if there is no such person."""
        return self._cached(("user", str(user_id)), lambda: self._read_person(user_id))

    def client_revoked(self, client_id: str) -> bool:
        """True if the client is revoked or unknown."""
        return self._cached(("client", client_id), lambda: self._read_client_revoked(client_id))

    def token_revoked(self, jti: str) -> bool:
        return jti in self._cached(("revoked", "jti"), self._read_revoked_tokens)

    # --- reads from PostgreSQL ------------------------------------------------------------------

    def _read_person(self, user_id: uuid.UUID) -> Person | None:
        with self.database.transaction(PLATFORM) as session:
            user = session.execute(select(User.active, User.name, User.email).where(User.id == user_id)).first()
            if user is None:
                return None
            no_uuid, no_slug = cast(null(), PG_UUID(as_uuid=True)), cast(null(), String)
            platform = select(PlatformRole.role, no_uuid, no_uuid, no_slug).where(PlatformRole.user_id == user_id)
            tenant = select(Membership.role, Membership.tenant_id, Membership.agency_id, Tenant.slug) \
                .join(Tenant, Tenant.id == Membership.tenant_id).where(Membership.user_id == user_id)
            rows = session.execute(union_all(platform, tenant)).all()
        grants = tuple(Grant(role, tenant_id, agency_id, slug) for role, tenant_id, agency_id, slug in rows)
        return Person(user.active, user.name, user.email, grants)

    def _read_client_revoked(self, client_id: str) -> bool:
        with self.database.transaction(PLATFORM) as session:
            found = session.execute(select(OAuthClient.revoked_at).where(OAuthClient.client_id == client_id)).first()
        return found is None or found.revoked_at is not None

    def _read_revoked_tokens(self) -> frozenset[str]:
        with self.database.transaction(PLATFORM) as session:
            return frozenset(session.scalars(
                select(RevokedAccessToken.jti).where(RevokedAccessToken.expires_at > func.now())))


class Revoked(Exception):
    """The token's holder, client or the token itself is no longer in force; the message says which."""


def narrowed(principal: Principal, in_force: InForce) -> Principal:
    """The principal of a verified access token, cut down to what is in force now (see the module)."""
    if principal.token_id and in_force.token_revoked(principal.token_id):
        raise Revoked("This access token was revoked. Get a new one from /oauth/token or sign in again.")
    if principal.kind == "client":
        if in_force.client_revoked(principal.subject):
            raise Revoked("This client was revoked on Siaga112; ask the platform admin for a new client.")
        return principal
    if principal.client_id and principal.client_id != OPS_CLIENT_ID and in_force.client_revoked(principal.client_id):
        raise Revoked("The application this token was issued to was revoked on Siaga112.")
    person = in_force.person(principal.user_id)
    if person is None or not person.active:
        raise Revoked("This account is deactivated on Siaga112; ask your regional admin.")
    held = person.keys()
    return replace(principal, grants=tuple(grant for grant in principal.grants if grant_key(grant) in held))


def signed_in_principal(user_id: uuid.UUID, in_force: InForce) -> Principal | None:
    """The principal of a browser session's person: every grant in force, or None if the account is off."""
    person = in_force.person(user_id)
    if person is None or not person.active:
        return None
    return Principal(kind="user", subject=str(user_id), grants=person.grants, name=person.name, email=person.email)


def init_in_force(app: Flask, database: Database, redis_url: str) -> InForce:
    redis, breaker = redis_connection(redis_url), redis_breaker(redis_url)
    in_force = InForce(database, redis, breaker)
    announce_grant_changes(database, redis, breaker)
    app.extensions[EXTENSION] = in_force
    return in_force


def current_in_force() -> InForce:
    return current_app.extensions[EXTENSION]


def announce_grant_changes(database: Database, redis: Redis, breaker: Breaker) -> None:
    """After a transaction marked with grants_changed commits, move the epoch every process polls."""

    @sa_event.listens_for(database.sessions, "after_commit")
    def announce(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            breaker.call(lambda: redis.incr(EPOCH_KEY))

    @sa_event.listens_for(database.sessions, "after_rollback")
    def forget(session: Session) -> None:
        session.info.pop(_CHANGED, None)

