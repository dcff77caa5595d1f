"""The tenant context of a database transaction.

Every session declares whose rows it works on before it begins: one tenant,
the platform (platform roles and system jobs), or the public (anonymous pages:
tenant tables read zero rows). An `after_begin` hook hands the context to
PostgreSQL with set_config(..., true), local to the transaction, so it never
leaks to the next user of a pooled connection; row-level security policies
read it. A session that begins without a context raises.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

CONTEXT_KEY = "siaga112.tenant_context"
_SET_CONTEXT = text("SELECT set_config('app.tenant_id', :tenant_id, true), set_config('app.scope', :scope, true)")


@dataclass(frozen=True)
class TenantContext:
    tenant_id: uuid.UUID
    scope = "tenant"


@dataclass(frozen=True)
class ScopeContext:
    scope: str
    tenant_id = None


PLATFORM = ScopeContext("platform")
PUBLIC = ScopeContext("public")
Context = TenantContext | ScopeContext


class MissingTenantContext(RuntimeError):
    """A transaction began without declaring whose data it works on."""


def _parameters(context: Context) -> dict[str, str]:
    return {"tenant_id": str(context.tenant_id or ""), "scope": context.scope}


def set_context(session: Session, context: Context) -> None:
    """Declare the session's context; applied at once if a transaction is already open."""
    if not isinstance(context, (TenantContext, ScopeContext)):
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
