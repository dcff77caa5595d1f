"""Temporary blocks of a caller: a supervisor's, with a reason, ending by itself (24 h by default, 7 days at most).

A blocked caller is never dropped: the intake tells the PBX to play a warning and queue the call at low
priority, because a prank caller can also have a real emergency.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import record
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound

from .models import Call, CallBlock

DEFAULT_BLOCK_HOURS = 24
MAX_BLOCK_HOURS = 7 * 24


def in_force(tenant_id: uuid.UUID, key: str):
    """The block of the caller with this keyed hash in force now (the one ending last), as a query."""
    return (select(CallBlock).where(CallBlock.tenant_id == tenant_id, CallBlock.caller_key == key,
                                    CallBlock.lifted_at.is_(None), CallBlock.expires_at > func.now())
            .order_by(CallBlock.expires_at.desc()).limit(1))


def active_block(session: Session, tenant_id: uuid.UUID, key: str | None) -> CallBlock | None:
    return session.scalar(in_force(tenant_id, key)) if key is not None else None


def block_snapshot(block: CallBlock) -> dict:
    return {"from_call_id": str(block.from_call_id), "reason": block.reason,
            "expires_at": block.expires_at.isoformat() if isinstance(block.expires_at, datetime) else None}


def block_caller(session: Session, call: Call, reason: str, hours: int | None, actor) -> CallBlock:
    """Block the caller of `call` for `hours` (24 by default, at most 7 days), with a reason; audited."""
    hours = DEFAULT_BLOCK_HOURS if hours is None else hours
    if not 1 <= hours <= MAX_BLOCK_HOURS:
        raise Invalid(N_("Block for 1 to %(max)s hours (7 days at most)."), "hours", code="block_too_long",
                      max=MAX_BLOCK_HOURS)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the caller is blocked."), "reason", code="reason_required")
    if call.caller_key is None:
        raise Invalid(N_("This call's number was withheld or has been erased: there is no caller to block."),
                      "call_id", code="no_caller")
    if active_block(session, call.tenant_id, call.caller_key) is not None:
        raise Conflict(N_("This caller is blocked already; lift that block to set another."), "call_id",
                       code="already_blocked")
    block = CallBlock(tenant_id=call.tenant_id, caller_key=call.caller_key, from_call_id=call.id, reason=reason,
                      created_by=actor.user_id,
                      expires_at=datetime.now(timezone.utc) + timedelta(hours=hours))
    session.add(block)
    session.flush()
    record(session, actor, "call_block.create", "call_block", block.id, tenant_id=call.tenant_id,
           after=block_snapshot(block))
    return block


def blocks_query(tenant_id: uuid.UUID):
    """The blocks in force, the one ending soonest first."""
    return (select(CallBlock).where(CallBlock.tenant_id == tenant_id, CallBlock.lifted_at.is_(None),
                                    CallBlock.expires_at > func.now())
            .order_by(CallBlock.expires_at, CallBlock.id))


def get_block(session: Session, tenant_id: uuid.UUID, block_id: uuid.UUID) -> CallBlock:
    block = session.scalar(select(CallBlock).where(CallBlock.tenant_id == tenant_id, CallBlock.id == block_id))
    if block is None:
        raise NotFound(N_("This region has no such block."))
    return block


def lift_block(session: Session, block: CallBlock, actor) -> None:
    """End a block before its time (idempotent); audited."""
    if block.lifted_at is not None:
        return
    block.lifted_at = func.now()
    block.lifted_by = actor.user_id
    session.flush()
    record(session, actor, "call_block.lift", "call_block", block.id, tenant_id=block.tenant_id,
           before=block_snapshot(block))
