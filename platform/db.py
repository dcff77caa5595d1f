"""PostgreSQL: URLs of the two roles, their bootstrap, the declarative base and sessions.

The platform never connects as the server's admin user except to bootstrap.
Migrations run as `<database>_owner`, which owns every table; the app and the
workers run as `<database>_app`, which is neither superuser, owner nor
BYPASSRLS, so row-level security applies to it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Callable, Iterator

import psycopg
from flask import Flask, current_app, g
from psycopg import sql
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import Settings
from .embedded import start_postgres
from .secrets import stored_secret
from .tenancy.context import PUBLIC, Context, enforce_context, set_context

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
BOOTSTRAP_LOCK = 112_000_001  # advisory lock key: one bootstrap at a time per server


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class DatabaseUrls:
    """libpq URLs (as psql takes them) of the admin, owner and runtime roles."""

    admin: str
    owner: str
    runtime: str

    @property
    def database(self) -> str:
        return make_url(self.admin).database

    @property
    def owner_role(self) -> str:
        return make_url(self.owner).username

    @property
    def runtime_role(self) -> str:
        return make_url(self.runtime).username


def admin_url(settings: Settings) -> str:
    """SIAGA_DATABASE_URL, or the embedded server's (started if it is not running)."""
    return settings.database_url or start_postgres(settings.data_dir)


def database_urls(settings: Settings) -> DatabaseUrls:
    admin = make_url(admin_url(settings))
    if not admin.database:
        raise ValueError("SIAGA_DATABASE_URL must name a database, e.g. postgresql:///siaga112")
    owner = admin.set(username=f"{admin.database}_owner",
                      password=stored_secret(settings.data_dir, "database-owner-password",
                                             settings.database_owner_password))
    runtime = admin.set(username=f"{admin.database}_app",
                        password=stored_secret(settings.data_dir, "database-app-password",
                                               settings.database_app_password))
    return DatabaseUrls(*(_libpq(url) for url in (admin, owner, runtime)))


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(libpq_url: str) -> URL:
    return make_url(libpq_url).set(drivername="postgresql+psycopg")


def bootstrap(urls: DatabaseUrls) -> None:
    """Create the database, the owner and runtime roles and their grants; safe to run again."""
    admin = make_url(urls.admin)
    maintenance = _libpq(admin.set(database="postgres"))
    owner, runtime = urls.owner_role, urls.runtime_role
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (BOOTSTRAP_LOCK,))
        try:
            for role, password in ((owner, make_url(urls.owner).password), (runtime, make_url(urls.runtime).password)):
                _ensure_role(conn, role, password)
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (admin.database,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(admin.database), sql.Identifier(owner)))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (BOOTSTRAP_LOCK,))
    with psycopg.connect(urls.admin, autocommit=True) as conn:
        grants = [
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}, {app}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
            "GRANT USAGE ON SCHEMA public TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        ]
        names = {"db": sql.Identifier(admin.database), "owner": sql.Identifier(owner), "app": sql.Identifier(runtime)}
        for statement in grants:
            conn.execute(sql.SQL(statement).format(**names))


def _ensure_role(conn: psycopg.Connection, role: str, password: str | None) -> None:
    attributes = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD {}").format(
        sql.Literal(password))
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(sql.SQL(verb + " ROLE {} WITH ").format(sql.Identifier(role)) + attributes)


_ON_COMMIT, _ON_ROLLBACK = "siaga112.on_commit", "siaga112.on_rollback"
log = logging.getLogger(__name__)


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed, e.g. remove the file of a deleted row:
    before the commit the row might come back, after it the file must go."""
    session.info.setdefault(_ON_COMMIT, []).append(callback)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if the session's transaction is rolled back, e.g. remove a file stored for a row that
    will now never exist."""
    session.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _run_outcome_callbacks(sessions: sessionmaker) -> None:
    def run(session: Session, key: str) -> None:
        session.info.pop(_ON_ROLLBACK if key == _ON_COMMIT else _ON_COMMIT, None)
        for callback in session.info.pop(key, ()):
            try:
                callback()
            except Exception:  # the transaction's outcome stands; whatever was left behind is logged
                log.exception("after-transaction step failed")

    @event.listens_for(sessions, "after_commit")
    def committed(session: Session) -> None:
        if not session.in_nested_transaction():  # a savepoint released: nothing is committed yet
            run(session, _ON_COMMIT)

    @event.listens_for(sessions, "after_transaction_end")
    def ended(session: Session, transaction) -> None:
        # The end of the outermost transaction without a commit: rolled back, or the session closed.
        if transaction.parent is None:
            run(session, _ON_ROLLBACK)


class Database:
    """One engine and session factory for one role's URL; every transaction declares its tenant context."""

    def __init__(self, libpq_url: str, **engine_options):
        options = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5} | engine_options
        self.engine: Engine = create_engine(sqlalchemy_url(libpq_url), **options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        enforce_context(self.sessions)
        _run_outcome_callbacks(self.sessions)

    def session(self, context: Context) -> Session:
        session = self.sessions()
        set_context(session, context)
        return session

    @contextlib.contextmanager
    def transaction(self, context: Context) -> Iterator[Session]:
        """A session in `context` whose work commits together at the end of the block, or not at all."""
        with self.session(context) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def init_database(app: Flask, database: Database) -> None:
    app.extensions["siaga112.database"] = database
    app.teardown_appcontext(_close_request_session)


def app_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["siaga112.database"]


def request_session() -> Session:
    """The session of the current request; closed (uncommitted work rolled back) when the request ends.

    It starts in the public context (tenant tables read zero rows); the access layer narrows or widens
    it to the tenant in the path, or to the platform, once the principal has been checked.
    """
    if "db_session" not in g:
        g.db_session = app_database().session(PUBLIC)
    return g.db_session


def finish_unit_of_work(status: int) -> None:
    """The request's one commit: its work is kept when the answer is a success (below 400), else undone.

    Views and API methods never commit; a refusal raised anywhere below them, or a page answering
    422 with the form again, leaves nothing half-written.
    """
    session = g.get("db_session")
    if session is None:
        return
    if status < 400:
        session.commit()
    else:
        session.rollback()


class UnitOfWorkFlask(Flask):
    """Flask, with every view's work committed once, after the view answered and before the answer leaves.

    A commit that fails (a constraint checked at commit, the database gone) raises here, inside the
    dispatch, so the app's error handlers answer it like any other error of the view.
    """

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        finish_unit_of_work(response.status_code)
        return response


def _close_request_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
