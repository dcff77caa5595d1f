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

from sqlalchemy import (Boolean, CheckConstraint, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        PrimaryKeyConstraint, String, UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga112.platform.db import Base
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args
from siaga112.tenants.categories.models import IncidentCategory

EVENTS = ("offered", "answered", "ended")
STATES = ("ringing", "in_progress", "ended", "abandoned")
SOURCES = ("telephony", "manual")
# How an operator classifies a call (Cilegon's SOP: within 30 s to 1 min of answering).
CLASSIFICATIONS = ("emergency", "non_emergency", "information", "prank", "ghost", "wrong_number", "test")
# How a position was found, as Advanced Mobile Location reports it (plus what an operator types in).
LOCATION_METHODS = ("gnss", "wifi", "cell", "hybrid", "manual")
PRIORITIES = ("urgent", "high", "normal", "low")
# An incident's status follows its dispatches (tenants/dispatch): open (none sent yet), dispatched (one is not
# acknowledged yet), responding (every agency acknowledged), closed (every report in, or a supervisor closed it).
INCIDENT_STATUSES = ("open", "dispatched", "responding", "closed")
HAND_STATUSES = ("open", "closed")  # what a supervisor sets by hand: reopen, or close with a reason
CALLBACK_REASONS = ("abandoned", "ghost")
CALLBACK_OUTCOMES = ("reached_emergency", "reached_no_emergency", "no_answer", "unreachable")


def _location_constraints() -> tuple:
    """A position has both coordinates or neither, on the globe, with a radius that is not negative."""
    return (CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_pair"),
            CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
            CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
            CheckConstraint("location_radius_m IS NULL OR location_radius_m >= 0", name="location_radius"),
            CheckConstraint(f"location_method IS NULL OR location_method IN {LOCATION_METHODS!r}",
                            name="location_method"))


class Located:
    """Where it happened: what the caller said, and a position with its radius, method and time (AML)."""

    location_text: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_radius_m: Mapped[int | None] = mapped_column(Integer)
    location_method: Mapped[str | None] = mapped_column(String(20))
    location_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def location(self):
        """Itself when anything of the place is known (the API's `location` object), else None."""
        return self if self.location_text or self.latitude is not None else None


class Call(Located, TenantOwned, Base):
    __tablename__ = "calls"
    __table_args__ = tenant_table_args(
        "calls",
        UniqueConstraint("tenant_id", "pbx_call_id", name="uq_calls_tenant_pbx_call_id"),
        ForeignKeyConstraint(["tenant_id", "category_id"], ["incident_categories.tenant_id", "incident_categories.id"],
                             name="fk_calls_tenant_category", ondelete="SET NULL (category_id)"),
        ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"],
                             name="fk_calls_tenant_incident"),
        Index("ix_calls_tenant_incident", "tenant_id", "incident_id"),
        *_location_constraints(),
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
    category_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    notes: Mapped[str | None] = mapped_column(String(4000))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Many-to-one on the composite key, loaded when read (a call without a category costs no query: the intake's);
    # lists load it for a whole page at once (service.calls_query).
    category: Mapped[IncidentCategory | None] = relationship(viewonly=True, primaryjoin=(
        "and_(foreign(Call.tenant_id) == IncidentCategory.tenant_id, foreign(Call.category_id) == IncidentCategory.id)"))
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


class Incident(Located, TenantOwned, Base):
    """What happened, apart from the calls about it: the same fire reported by five people is one incident.

    Its number is the region's own, per year (`PKL-2026-000123`), handed out by `IncidentNumber`.
    """

    __tablename__ = "incidents"
    __table_args__ = tenant_table_args(
        "incidents",
        UniqueConstraint("tenant_id", "number", name="uq_incidents_tenant_number"),
        CheckConstraint(f"priority IN {PRIORITIES!r}", name="priority"),
        CheckConstraint(f"status IN {INCIDENT_STATUSES!r}", name="status"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at"),
        ForeignKeyConstraint(["tenant_id", "category_id"], ["incident_categories.tenant_id", "incident_categories.id"],
                             name="fk_incidents_tenant_category", ondelete="SET NULL (category_id)"),
        Index("ix_incidents_tenant_status_created", "tenant_id", "status", "created_at"),
        *_location_constraints(),
    )

    number: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(20), server_default=text("'normal'"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'open'"))
    summary: Mapped[str] = mapped_column(String(1000))
    category_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    category: Mapped[IncidentCategory | None] = relationship(viewonly=True, lazy="selectin", primaryjoin=(
        "and_(foreign(Incident.tenant_id) == IncidentCategory.tenant_id, "
        "foreign(Incident.category_id) == IncidentCategory.id)"))
    calls: Mapped[list[Call]] = relationship(
        viewonly=True, lazy="selectin", order_by="Call.offered_at",
        primaryjoin="and_(Incident.tenant_id == foreign(Call.tenant_id), Incident.id == foreign(Call.incident_id))")


class IncidentNumber(Base):
    """The last incident number a region gave out in a year: one row per (region, year), taken with an
    atomic upsert, so two operators creating incidents at the same moment never get the same number."""

    __tablename__ = "incident_numbers"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "year", name="pk_incident_numbers"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("tenants.id"))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)


class Callback(TenantOwned, Base):
    """A call to ring back: it dropped before it was answered, or the line was silent (a ghost call may be a
    person who cannot speak). One per call; it is done when someone records the outcome."""

    __tablename__ = "callbacks"
    __table_args__ = tenant_table_args(
        "callbacks",
        UniqueConstraint("tenant_id", "call_id", name="uq_callbacks_tenant_call"),
        CheckConstraint(f"reason IN {CALLBACK_REASONS!r}", name="reason"),
        CheckConstraint(f"outcome IS NULL OR outcome IN {CALLBACK_OUTCOMES!r}", name="outcome"),
        CheckConstraint("(outcome IS NULL) = (done_at IS NULL)", name="done_with_outcome"),
        ForeignKeyConstraint(["tenant_id", "call_id"], ["calls.tenant_id", "calls.id"],
                             name="fk_callbacks_tenant_call", ondelete="CASCADE"),
        Index("ix_callbacks_tenant_open", "tenant_id", "created_at", postgresql_where=text("done_at IS NULL")),
    )

    call_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Handover(TenantOwned, Base):
    """A shift handover note: the outgoing supervisor writes it, an incoming one (another person) acknowledges."""

    __tablename__ = "handovers"
    __table_args__ = tenant_table_args(
        "handovers",
        CheckConstraint("length(btrim(note)) > 0", name="note"),
        CheckConstraint("(acknowledged_by IS NULL) = (acknowledged_at IS NULL)", name="acknowledged_pair"),
        Index("ix_handovers_tenant_written", "tenant_id", "written_at"),
    )

    note: Mapped[str] = mapped_column(String(4000))
    written_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class AgentExtension(TenantOwned, Base):
    """The PBX extension a person answers on, so that an `answered` event naming "201" names its operator."""

    __tablename__ = "agent_extensions"
    __table_args__ = tenant_table_args(
        "agent_extensions",
        UniqueConstraint("tenant_id", "extension", name="uq_agent_extensions_tenant_extension"),
        CheckConstraint(r"extension ~ '^[0-9A-Za-z*#._-]{1,20}$'", name="extension"),
    )

    extension: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CallSettings(Base):
    """A region's own rules for its calls: how long callers' numbers are kept (UU 27/2022 PDP: no longer than
    needed; 90 days unless the region decides otherwise). One row per region, absent until it changes them."""

    __tablename__ = "call_settings"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", name="pk_call_settings"),
        CheckConstraint("caller_retention_days BETWEEN 1 AND 3650", name="caller_retention_days"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("tenants.id"))
    caller_retention_days: Mapped[int] = mapped_column(Integer, server_default=text("90"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @property
    def id(self) -> uuid.UUID:
        """The region's settings are known by their region (the ETag names it)."""
        return self.tenant_id
