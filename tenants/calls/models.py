"""A call and the telephony events it is derived from.

The events are the record as the PBX sent it (append-only, each stored once: the natural key is the
PBX's call id, the event and its sequence number); the call row is what they add up to, recomputed
from all of them whenever one arrives, so that an `ended` before its `answered` still gives the right
state and times. The caller's number is personal data (UU 27/2022 PDP): besides the number the row
keeps a keyed hash of it (`caller_key`), which is all that repeat-caller detection needs.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer, String,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from siaga112.platform.db import Base
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

EVENTS = ("offered", "answered", "ended")
STATES = ("ringing", "in_progress", "ended", "abandoned")
SOURCES = ("telephony", "manual")
# How an operator classifies a call (Cilegon's SOP: within 30 s to 1 min of answering).
CLASSIFICATIONS = ("emergency", "non_emergency", "information", "prank", "ghost", "wrong_number", "test")


class Call(TenantOwned, Base):
    __tablename__ = "calls"
    __table_args__ = tenant_table_args(
        "calls",
        UniqueConstraint("tenant_id", "pbx_call_id", name="uq_calls_tenant_pbx_call_id"),
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        CheckConstraint(f"source IN {SOURCES!r}", name="source"),
        CheckConstraint(f"classification IN {CLASSIFICATIONS!r}", name="classification"),
        CheckConstraint(r"caller_e164 IS NULL OR caller_e164 ~ '^\+[1-9][0-9]{5,14}$'", name="caller_e164"),
        Index("ix_calls_tenant_offered_at", "tenant_id", "offered_at"),
        Index("ix_calls_tenant_caller_key", "tenant_id", "caller_key", "offered_at"),
    )

    pbx_call_id: Mapped[str] = mapped_column(String(120))
    dialed_e164: Mapped[str] = mapped_column(String(16))
    caller_e164: Mapped[str | None] = mapped_column(String(16))  # None: withheld
    caller_key: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), server_default=text("'ringing'"))
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agent: Mapped[str | None] = mapped_column(String(120))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    classification: Mapped[str | None] = mapped_column(String(20))
    is_test: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    source: Mapped[str] = mapped_column(String(20), server_default=text("'telephony'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @property
    def answer_seconds(self) -> float | None:
        if self.answered_at is None or self.offered_at is None:
            return None
        return max(0.0, (self.answered_at - self.offered_at).total_seconds())

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.answered_at).total_seconds())


class CallEvent(TenantOwned, Base):
    __tablename__ = "call_events"
    __table_args__ = tenant_table_args(
        "call_events",
        CheckConstraint(f"event IN {EVENTS!r}", name="event"),
        ForeignKeyConstraint(["tenant_id", "call_id"], ["calls.tenant_id", "calls.id"],
                             name="fk_call_events_tenant_call", ondelete="CASCADE"),
        # The same event of the same call (and sequence) is one row however often the PBX sends it.
        Index("uq_call_events_natural", "tenant_id", "call_id", "event", "sequence", unique=True,
              postgresql_nulls_not_distinct=True),
        Index("uq_call_events_idempotency_key", "tenant_id", "idempotency_key", unique=True,
              postgresql_where=text("idempotency_key IS NOT NULL")),
    )

    call_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agent: Mapped[str | None] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CallBlock(TenantOwned, Base):
    """A supervisor's temporary block of a caller (by the keyed hash of the number, never the number).

    A blocked caller is never dropped: the PBX is told to play a warning and queue the call at low
    priority, because a prank caller can also have a real emergency. It ends by itself at expires_at
    (24 hours by default, at most 7 days) or when lifted by hand.
    """

    __tablename__ = "call_blocks"
    __table_args__ = tenant_table_args(
        "call_blocks",
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason"),
        ForeignKeyConstraint(["tenant_id", "from_call_id"], ["calls.tenant_id", "calls.id"],
                             name="fk_call_blocks_tenant_call"),
        Index("ix_call_blocks_tenant_caller_key", "tenant_id", "caller_key", "expires_at"),
    )

    caller_key: Mapped[str] = mapped_column(String(64))
    from_call_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
