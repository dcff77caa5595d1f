"""The tenant context of a database transaction.

Every session declares whose rows it works on before it begins: one tenant,
one tenant as seen by its agencies' responders (an agency context: the
dispatch tables show only those agencies' rows, and with no agency named
they show none), the platform (platform roles and system jobs), or the
public (anonymous pages: tenant tables read zero rows). An `after_begin` hook hands the context to
PostgreSQL with set_config(..., true), local to the transaction, so it never
leaks to the next user of a pooled connection; row-level security policies
read it. A session that begins without a context raises.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

CONTEXT_KEY = "siaga112.tenant_context"
_SET_CONTEXT = text("SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.scope', :scope, true), "
                    "set_config('app.agency_ids', :agency_ids, true)")


@dataclass(frozen=True)
class TenantContext:
    tenant_id: uuid.UUID
    scope = "tenant"


@dataclass(frozen=True)
class AgencyContext:
    """A tenant's rows as its agency responders (or a dispatch link's holder) may see them: row-level security
    narrows the dispatch tables to these agencies (tenancy/rls.py AGENCY_CONDITION)."""

    tenant_id: uuid.UUID
    agency_ids: tuple[uuid.UUID, ...]
    scope = "agency"


@dataclass(frozen=True)
class ScopeContext:
    scope: str
    tenant_id = None


PLATFORM = ScopeContext("platform")
PUBLIC = ScopeContext("public")
Context = TenantContext | AgencyContext | ScopeContext


class MissingTenantContext(RuntimeError):
    """A transaction began without declaring whose data it works on."""


def _parameters(context: Context) -> dict[str, str]:
    agencies = getattr(context, "agency_ids", ())
    return {"tenant_id": str(context.tenant_id or ""), "scope": context.scope,
            "agency_ids": ",".join(str(agency_id) for agency_id in agencies)}


def set_context(session: Session, context: Context) -> None:
    """Declare the session's context; applied at once if a transaction is already open."""
    if not isinstance(context, (TenantContext, AgencyContext, ScopeContext)):
        raise TypeError(f"not a tenant context: {context!r}")
    session.info[CONTEXT_KEY] = context
    if session.in_transaction():
        session.connection().execute(_SET_CONTEXT, _parameters(context))


def current_context(session: Session) -> Context | None:
    return session.info.get(CONTEXT_KEY)


def enforce_context(sessions: sessionmaker) -> None:
    @event.listens_for(sessions, "after_begin")
    def hand_context_to_postgres(session, _transaction, connection):
        context = session.info.get(CONTEXT_KEY)
        if context is None:
            raise MissingTenantContext(
                "This transaction has no tenant context: call set_context(session, TenantContext(...)), "
                "PLATFORM or PUBLIC before using the session."
            )
        connection.execute(_SET_CONTEXT, _parameters(context))


@contextmanager
def temporarily(session: Session, context: Context):
    """One step in another context, in the same transaction; the session's own context is back when the block ends,
    whatever happens in it. For the few steps that must see past the request's context, each named where it is
    used: an incident's status from every agency's dispatches in a responder's request (dispatch), an incident
    handed over to a neighbouring region (dispatch's transfers)."""
    own = current_context(session)
    set_context(session, context)
    try:
        yield session
    except BaseException:
        session.info[CONTEXT_KEY] = own  # this transaction is lost anyway: the next one begins in the own context
        raise
    set_context(session, own)
