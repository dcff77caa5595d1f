"""Dispatches of an incident to agencies, and what follows them: acknowledgement, the follow-up report, escalation.

A dispatch is one agency's part in one incident. It moves forward only — sent, acknowledged, on scene (optional),
reported (the tindak lanjut: text and photos), done — or is cancelled by the call centre. The incident's status
follows its dispatches (service.follow). Whoever acts on a dispatch is recorded with how they did it: a person
signed in, the holder of the e-mailed link, or the agency's own system through the API.

Escalation steps are rows (`escalations`), written when the dispatch is sent with their due times: a timer that
lives in PostgreSQL survives a worker killed or a Redis restarted, and the sweep takes due rows with
FOR UPDATE SKIP LOCKED, so two workers never fire the same step.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer, PrimaryKeyConstraint,
                        String, UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga112.platform.db import Base
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args
from siaga112.tenants.directory.models import Agency

STATUSES = ("sent", "acknowledged", "on_scene", "reported", "done", "cancelled")
CHANNELS = ("platform", "phone")  # a notification from the platform, or a phone call the operator made and logs
VIAS = ("user", "link", "machine")  # signed in, the e-mailed link, the agency's own system
ACTIONS = ("acknowledge", "on_scene", "report", "done", "cancel")
STEP_ACTIONS = ("agency_again", "supervisor_on_duty", "regional_admin")
# The national default, for a region that has not set its own: NENA's and the ministry's practice of a reminder,
# then the floor's supervisor, then the region's administrator.
DEFAULT_STEPS = ((5, "agency_again"), (10, "supervisor_on_duty"), (20, "regional_admin"))
MAX_STEPS = 10
MAX_AFTER_MINUTES = 24 * 60


class Dispatch(TenantOwned, Base):
    __tablename__ = "dispatches"
    __table_args__ = tenant_table_args(
        "dispatches",
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"channel IN {CHANNELS!r}", name="channel"),
        CheckConstraint(f"acknowledged_via IS NULL OR acknowledged_via IN {VIAS!r}", name="acknowledged_via"),
        CheckConstraint(f"reported_via IS NULL OR reported_via IN {VIAS!r}", name="reported_via"),
        CheckConstraint("(acknowledged_at IS NULL) = (acknowledged_via IS NULL)", name="acknowledged_pair"),
        CheckConstraint("(reported_at IS NULL) = (report_text IS NULL)", name="reported_pair"),
        CheckConstraint("done_at IS NULL OR reported_at IS NOT NULL", name="done_after_report"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_pair"),
        CheckConstraint("status IN ('sent', 'cancelled') OR acknowledged_at IS NOT NULL", name="acknowledged_first"),
        CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name="done_pair"),
        ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"],
                             name="fk_dispatches_tenant_incident"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_dispatches_tenant_agency"),
        # An agency has at most one live dispatch per incident (a cancelled one may be followed by another).
        Index("uq_dispatches_live_per_agency", "tenant_id", "incident_id", "agency_id", unique=True,
              postgresql_where=text("status <> 'cancelled'")),
        Index("ix_dispatches_tenant_agency_sent", "tenant_id", "agency_id", "sent_at"),
        Index("ix_dispatches_tenant_incident", "tenant_id", "incident_id"),
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'sent'"))
    channel: Mapped[str] = mapped_column(String(20), server_default=text("'platform'"))
    note: Mapped[str | None] = mapped_column(String(1000))  # what the operator told the agency (or was told)
    sent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_via: Mapped[str | None] = mapped_column(String(20))
    acknowledged_name: Mapped[str | None] = mapped_column(String(120))  # who a link's holder or a system says it is
    on_scene_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report_text: Mapped[str | None] = mapped_column(String(4000))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reported_via: Mapped[str | None] = mapped_column(String(20))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    agency: Mapped[Agency] = relationship(viewonly=True, lazy="joined", innerjoin=True, primaryjoin=(
        "and_(foreign(Dispatch.tenant_id) == Agency.tenant_id, foreign(Dispatch.agency_id) == Agency.id)"))
    photos: Mapped[list[DispatchPhoto]] = relationship(viewonly=True, lazy="selectin", order_by="DispatchPhoto.uploaded_at",
        primaryjoin="and_(Dispatch.tenant_id == foreign(DispatchPhoto.tenant_id), "
                    "Dispatch.id == foreign(DispatchPhoto.dispatch_id))")

    @property
    def live(self) -> bool:
        return self.status != "cancelled"


class DispatchPhoto(TenantOwned, Base):
    """A photo of the follow-up report; its bytes are in the file store (platform/storage.py), checked as every
    upload is (sniffed type, size limit, written whole or not at all)."""

    __tablename__ = "dispatch_photos"
    __table_args__ = tenant_table_args(
        "dispatch_photos",
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
        CheckConstraint(f"uploaded_via IN {VIAS!r}", name="uploaded_via"),
        ForeignKeyConstraint(["tenant_id", "dispatch_id"], ["dispatches.tenant_id", "dispatches.id"],
                             name="fk_dispatch_photos_tenant_dispatch", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_dispatch_photos_tenant_agency"),
        Index("ix_dispatch_photos_tenant_dispatch", "tenant_id", "dispatch_id"),
    )

    dispatch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # the dispatch's, for the agency policy
    key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_via: Mapped[str] = mapped_column(String(20))


class DispatchLink(TenantOwned, Base):
    """The link in an agency's e-mail: whoever holds it may acknowledge and report on this one dispatch, without an
    account, until it expires or is revoked. Only the SHA-256 of its token is kept."""

    __tablename__ = "dispatch_links"
    __table_args__ = tenant_table_args(
        "dispatch_links",
        UniqueConstraint("token_hash", name="uq_dispatch_links_token_hash"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        ForeignKeyConstraint(["tenant_id", "dispatch_id"], ["dispatches.tenant_id", "dispatches.id"],
                             name="fk_dispatch_links_tenant_dispatch", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_dispatch_links_tenant_agency"),
        Index("ix_dispatch_links_tenant_dispatch", "tenant_id", "dispatch_id"),
    )

    dispatch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EscalationPolicy(Base):
    """A region's own escalation steps (absent: the national default, DEFAULT_STEPS). One row per region; the
    steps are its children, replaced whole when the regional admin saves the policy."""

    __tablename__ = "escalation_policies"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", name="pk_escalation_policies"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("tenants.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    steps: Mapped[list[EscalationStep]] = relationship(lazy="selectin", order_by="EscalationStep.position",
                                                       cascade="all, delete-orphan")

    @property
    def id(self) -> uuid.UUID:
        """The region's policy is known by its region (the ETag names it)."""
        return self.tenant_id


class EscalationStep(Base):
    __tablename__ = "escalation_steps"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "position", name="pk_escalation_steps"),
        CheckConstraint(f"action IN {STEP_ACTIONS!r}", name="action"),
        CheckConstraint(f"after_minutes BETWEEN 1 AND {MAX_AFTER_MINUTES}", name="after_minutes"),
        CheckConstraint(f"position BETWEEN 1 AND {MAX_STEPS}", name="position"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("escalation_policies.tenant_id",
                                                                               ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    after_minutes: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))


class Escalation(TenantOwned, Base):
    """One escalation step of one dispatch, due at a time: fired once (fired_at), or dropped (cancelled_at) when
    the dispatch was acknowledged, cancelled or its incident closed before it was due."""

    __tablename__ = "escalations"
    __table_args__ = tenant_table_args(
        "escalations",
        UniqueConstraint("tenant_id", "dispatch_id", "position", name="uq_escalations_step"),
        CheckConstraint(f"action IN {STEP_ACTIONS!r}", name="action"),
        CheckConstraint("fired_at IS NULL OR cancelled_at IS NULL", name="fired_or_cancelled"),
        ForeignKeyConstraint(["tenant_id", "dispatch_id"], ["dispatches.tenant_id", "dispatches.id"],
                             name="fk_escalations_tenant_dispatch", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_escalations_tenant_agency"),
        # What the sweep reads: the pending steps by due time, across regions.
        Index("ix_escalations_pending_due", "due_at",
              postgresql_where=text("fired_at IS NULL AND cancelled_at IS NULL")),
    )

    dispatch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified: Mapped[int | None] = mapped_column(Integer)  # how many people or addresses it reached


WEBHOOK_EVENTS = ("dispatch.sent", "dispatch.reminder", "dispatch.cancelled")


class AgencyWebhook(TenantOwned, Base):
    """Where an agency's own system (a PSC 119 app) wants its dispatches: each is POSTed there, HMAC-signed with the
    webhook's secret. The system answers through the API, as a machine client of the region."""

    __tablename__ = "agency_webhooks"
    __table_args__ = tenant_table_args(
        "agency_webhooks",
        CheckConstraint("url ~ '^https?://'", name="url_scheme"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_agency_webhooks_tenant_agency"),
        Index("ix_agency_webhooks_tenant_agency", "tenant_id", "agency_id"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))  # the HMAC key: the platform signs with it, so it is kept
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    agency: Mapped[Agency] = relationship(viewonly=True, lazy="joined", innerjoin=True, primaryjoin=(
        "and_(foreign(AgencyWebhook.tenant_id) == Agency.tenant_id, foreign(AgencyWebhook.agency_id) == Agency.id)"))


class WebhookDelivery(TenantOwned, Base):
    """One event for one webhook: its id is the event id the receiver deduplicates on, the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = tenant_table_args(
        "webhook_deliveries",
        CheckConstraint(f"event IN {WEBHOOK_EVENTS!r}", name="event"),
        CheckConstraint("attempts >= 0", name="attempts"),
        ForeignKeyConstraint(["tenant_id", "webhook_id"], ["agency_webhooks.tenant_id", "agency_webhooks.id"],
                             name="fk_webhook_deliveries_tenant_webhook", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "dispatch_id"], ["dispatches.tenant_id", "dispatches.id"],
                             name="fk_webhook_deliveries_tenant_dispatch", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_webhook_deliveries_tenant_agency"),
        Index("ix_webhook_deliveries_tenant_webhook", "tenant_id", "webhook_id", "created_at"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    dispatch_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(8000))  # the JSON sent, byte for byte the same on every attempt
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(1000))


TRANSFER_DIRECTIONS = ("out", "in")
TRANSFER_KINDS = ("transferred", "referred")


class IncidentTransfer(TenantOwned, Base):
    """An incident handed to a neighbouring region, seen from one side: the source keeps an `out` row, the receiving
    region (live on the platform) an `in` row beside the incident it got. A region not on the platform (or not live)
    gets nothing: the source's row says `referred`, with the neighbour's 112 status at that moment."""

    __tablename__ = "incident_transfers"
    __table_args__ = tenant_table_args(
        "incident_transfers",
        CheckConstraint(f"direction IN {TRANSFER_DIRECTIONS!r}", name="direction"),
        CheckConstraint(f"kind IN {TRANSFER_KINDS!r}", name="kind"),
        CheckConstraint("(kind = 'transferred') = (peer_incident_id IS NOT NULL)", name="peer_incident"),
        CheckConstraint("direction = 'out' OR kind = 'transferred'", name="received_is_transferred"),
        ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"],
                             name="fk_incident_transfers_tenant_incident"),
        Index("ix_incident_transfers_tenant_incident", "tenant_id", "incident_id"),
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    peer_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # The other side's incident: another tenant's row, so no foreign key (and never joined: see transfers.py).
    peer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    peer_incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    peer_incident_number: Mapped[str | None] = mapped_column(String(30))
    peer_112_status: Mapped[str | None] = mapped_column(String(20))  # a referral: the neighbour's status then
    note: Mapped[str | None] = mapped_column(String(1000))  # what the operator tells the receiving region
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    peer_region: Mapped[Region] = relationship(viewonly=True, lazy="joined", innerjoin=True)
    peer_status = None  # the other side's incident status, when read (transfers.peer_status)
