"""Browser sessions in PostgreSQL: the store that must be up anyway, so a Redis outage signs nobody out.

Flask-Session's server-side machinery (random id in the `siaga_session` cookie, msgpack data,
regeneration at sign-in) over a `web_sessions` table instead of Redis. The id is stored only as
its SHA-256, so a copy of the table lets nobody take over a session. A session lives SESSION_IDLE
after its last request; to spare a write on every page, its expiry is pushed forward at most once
every REFRESH_AFTER. Expired rows are deleted by rq cron (`purge_expired_sessions`).

When PostgreSQL itself is away the request answers 503 anyway (errors.py); the session then reads
as empty and nothing is written, so the 503 page still renders.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta, timezone

from flask import Flask, g
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from sqlalchemy import DateTime, ForeignKey, LargeBinary, delete, func, select, text
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, Database
from .dependencies import OnceAMinute

log = logging.getLogger(__name__)
REFRESH_AFTER = timedelta(minutes=5)
_STORED_EXPIRY = "siaga112.session_expires_at"
_STORE_DOWN = "siaga112.session_store_down"


def store_unreachable() -> bool:
    """Whether this request found the session store (PostgreSQL) away."""
    return bool(g.get(_STORE_DOWN))


class WebSession(Base):
    """One browser session (platform-wide: no tenant, no row-level security)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"),
                                                      index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _hash(store_id: str) -> bytes:
    return hashlib.sha256(store_id.encode()).digest()


def _user_id(session: ServerSideSession) -> uuid.UUID | None:
    try:
        return uuid.UUID(session.get("user_id")) if session.get("user_id") else None
    except (TypeError, ValueError):
        return None


class PostgresSessions(ServerSideSessionInterface):
    """Flask-Session's interface over web_sessions, through the app's runtime role in autocommit."""

    # Expired rows are purged by rq cron, not by Flask-Session (its `ttl = False` would register a CLI
    # command or purge on random requests).
    ttl = True

    def __init__(self, app: Flask, database: Database, permanent: bool, secure_when):
        super().__init__(app, key_prefix="", use_signer=False, permanent=permanent, sid_length=32,
                         serialization_format="msgpack", cleanup_n_requests=None)
        self.engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.secure_when = secure_when
        self.report = OnceAMinute(log)

    def get_cookie_secure(self, app: Flask) -> bool:
        return self.secure_when(app)

    def open_session(self, app: Flask, request) -> ServerSideSession:
        if request.path.startswith("/api/"):  # the API never reads the cookie (identity/access.py): no query
            return self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)
        return super().open_session(app, request)

    def _unreachable(self, error: Exception) -> None:
        g.setdefault(_STORE_DOWN, True)
        self.report.warning("session store unreachable; serving the request without its session",
                            error=f"{type(error).__name__}: {error}")

    def _retrieve_session_data(self, store_id: str):
        try:
            with self.engine.connect() as connection:
                row = connection.execute(
                    select(WebSession.data, WebSession.expires_at)
                    .where(WebSession.id_hash == _hash(store_id), WebSession.expires_at > func.now())).first()
        except (DBAPIError, SQLAlchemyError) as error:
            self._unreachable(error)
            return None
        if row is None:
            return None
        g.setdefault(_STORED_EXPIRY, row.expires_at)
        return self.serializer.decode(row.data)

    def should_set_storage(self, app: Flask, session: ServerSideSession) -> bool:
        if g.get(_STORE_DOWN):
            return False
        if session.modified:
            return True
        stored = g.get(_STORED_EXPIRY)
        wanted = datetime.now(timezone.utc) + app.permanent_session_lifetime
        return stored is None or wanted - stored > REFRESH_AFTER

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        values = {"id_hash": _hash(store_id), "user_id": _user_id(session), "data": self.serializer.encode(session),
                  "expires_at": datetime.now(timezone.utc) + session_lifetime}
        statement = insert(WebSession).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[WebSession.id_hash],
            set_={"data": statement.excluded.data, "user_id": statement.excluded.user_id,
                  "expires_at": statement.excluded.expires_at, "updated_at": func.now()})
        self._write(statement)

    def _delete_session(self, store_id: str) -> None:
        if not g.get(_STORE_DOWN):
            self._write(delete(WebSession).where(WebSession.id_hash == _hash(store_id)))

    def _write(self, statement) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(statement)
        except (DBAPIError, SQLAlchemyError) as error:
            self._unreachable(error)


def end_sessions_of(session, user_id: uuid.UUID) -> int:
    """Sign a person out everywhere (in the caller's transaction), e.g. when the account is deactivated."""
    return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount


def purge_expired_sessions() -> int:
    """rq cron job: delete sessions that expired."""
    from .jobs.runtime import job_database

    with job_database().engine.begin() as connection:
        return connection.execute(delete(WebSession).where(WebSession.expires_at < text("now()"))).rowcount
