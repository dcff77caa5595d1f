"""The onboarding application of a region, its answers and evidence, visits, verdicts and telco routing.

Every table is tenant-owned (row-level security, UNIQUE (tenant_id, id)); rows point at one another
through composite foreign keys (tenant_id, x_id), so nothing of one region can hang off another's.
Evidence bytes live in the file store (platform/storage.py); rows keep key, SHA-256, sniffed type, size.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, ForeignKeyConstraint, Identity,
                        Index, Integer, String, Text, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from siaga112.platform.db import Base
from siaga112.platform.storage import MAGIC
from siaga112.platform.tenancy.models import Tenant, TenantOwned, tenant_table_args

APPLICATION_STATUSES = ("draft", "submitted", "in_review", "visit_scheduled", "visited", "changes_requested",
                        "approved", "rejected", "withdrawn", "live")
ANSWERS = ("yes", "no")
VISIT_KINDS = ("verification", "monitoring")
VISIT_STATUSES = ("scheduled", "completed", "cancelled")
VERDICTS = ("pass", "fail", "not_applicable")
# The operators that route 112 to a region: code → name as the ministry writes it.
TELCOS = {
    "telkomsel": "Telkomsel",
    "indosat": "Indosat Ooredoo Hutchison",
    "xl": "XL Axiata",
    "smartfren": "Smartfren",
    "telkom": "Telkom",
}
ROUTING_STATUSES = ("requested", "active", "test_call_passed")
SUBJECTS = ("application", "visit", "routing")
E164_CHECK = r"^\+62[1-9][0-9]{5,12}$"


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _user_fk():
    return ForeignKey("users.id", ondelete="SET NULL")


def _tenant_fk(table: str, column: str, target: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"],
                                name=f"fk_{table}_tenant_{column.removesuffix('_id')}", ondelete=ondelete)


class OnboardingApplication(TenantOwned, Base):
    """A region's application to go live: one per tenant, pinned to the checklist version it started with."""

    __tablename__ = "onboarding_applications"
    __table_args__ = tenant_table_args(
        "onboarding_applications",
        UniqueConstraint("tenant_id", name="uq_onboarding_applications_tenant"),
        CheckConstraint(f"status IN {_in(APPLICATION_STATUSES)}", name="status"),
    )

    status: Mapped[str] = mapped_column(String(20), server_default=text("'draft'"))
    checklist_version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    live_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    # For the pipeline, which lists applications with their region (loaded there with joinedload; never
    # joined by default, so that SELECT … FOR UPDATE locks the application row only).
    tenant: Mapped[Tenant] = relationship(lazy="select", viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class OnboardingTransition(TenantOwned, Base):
    """The history of an application: every transition of it, its visits and its telco routing."""

    __tablename__ = "onboarding_transitions"
    __table_args__ = tenant_table_args(
        "onboarding_transitions",
        _tenant_fk("onboarding_transitions", "application_id", "onboarding_applications", "CASCADE"),
        CheckConstraint(f"subject IN {_in(SUBJECTS)}", name="subject"),
        Index("ix_onboarding_transitions_application", "tenant_id", "application_id", "seq"),
    )

    # The order of transitions: several happen in one transaction, where now() is the same for all.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # the visit or routing row
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OnboardingAnswer(TenantOwned, Base):
    """The region's answer to a declared checklist item."""

    __tablename__ = "onboarding_answers"
    __table_args__ = tenant_table_args(
        "onboarding_answers",
        _tenant_fk("onboarding_answers", "application_id", "onboarding_applications", "CASCADE"),
        UniqueConstraint("tenant_id", "application_id", "item_code", name="uq_onboarding_answers_item"),
        CheckConstraint(f"answer IN {_in(ANSWERS)}", name="answer"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    item_code: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class OnboardingVisit(TenantOwned, Base):
    """A field visit: a verification before approval (verdicts per item) or monitoring after go-live."""

    __tablename__ = "onboarding_visits"
    __table_args__ = tenant_table_args(
        "onboarding_visits",
        _tenant_fk("onboarding_visits", "application_id", "onboarding_applications", "CASCADE"),
        CheckConstraint(f"kind IN {_in(VISIT_KINDS)}", name="kind"),
        CheckConstraint(f"status IN {_in(VISIT_STATUSES)}", name="status"),
        CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name="completed_at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'scheduled'"))
    scheduled_for: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class OnboardingVisitVerifier(TenantOwned, Base):
    """A ministry verifier on a visit."""

    __tablename__ = "onboarding_visit_verifiers"
    __table_args__ = tenant_table_args(
        "onboarding_visit_verifiers",
        _tenant_fk("onboarding_visit_verifiers", "visit_id", "onboarding_visits", "CASCADE"),
        UniqueConstraint("tenant_id", "visit_id", "user_id", name="uq_onboarding_visit_verifiers_person"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class OnboardingVerdict(TenantOwned, Base):
    """The verifier's verdict on one checklist item during a verification visit."""

    __tablename__ = "onboarding_verdicts"
    __table_args__ = tenant_table_args(
        "onboarding_verdicts",
        _tenant_fk("onboarding_verdicts", "visit_id", "onboarding_visits", "CASCADE"),
        UniqueConstraint("tenant_id", "visit_id", "item_code", name="uq_onboarding_verdicts_item"),
        CheckConstraint(f"verdict IN {_in(VERDICTS)}", name="verdict"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    item_code: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class OnboardingEvidence(TenantOwned, Base):
    """A file attached to a checklist item: the region's evidence, or (visit_id set) a photo of a visit."""

    __tablename__ = "onboarding_evidence"
    __table_args__ = tenant_table_args(
        "onboarding_evidence",
        _tenant_fk("onboarding_evidence", "application_id", "onboarding_applications", "CASCADE"),
        _tenant_fk("onboarding_evidence", "visit_id", "onboarding_visits", "CASCADE"),
        CheckConstraint(f"content_type IN {_in(MAGIC)}", name="content_type"),
        CheckConstraint("size > 0", name="size"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        UniqueConstraint("key", name="uq_onboarding_evidence_key"),
        Index("ix_onboarding_evidence_item", "tenant_id", "application_id", "item_code"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    item_code: Mapped[str] = mapped_column(String(60))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RoutingActivation(TenantOwned, Base):
    """One telco's routing of 112 to the region: requested → active → test_call_passed."""

    __tablename__ = "onboarding_routing"
    __table_args__ = tenant_table_args(
        "onboarding_routing",
        _tenant_fk("onboarding_routing", "application_id", "onboarding_applications", "CASCADE"),
        UniqueConstraint("tenant_id", "application_id", "telco", name="uq_onboarding_routing_telco"),
        CheckConstraint(f"telco IN {_in(TELCOS)}", name="telco"),
        CheckConstraint(f"status IN {_in(ROUTING_STATUSES)}", name="status"),
        CheckConstraint(f"test_call_from ~ '{E164_CHECK}'", name="test_call_from_e164"),
        CheckConstraint("(status = 'test_call_passed') = (test_call_at IS NOT NULL)", name="test_call_at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    telco: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'requested'"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    requested_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    test_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    test_call_by: Mapped[uuid.UUID | None] = mapped_column(_user_fk())
    test_call_from: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}

    @property
    def telco_name(self) -> str:
        return TELCOS[self.telco]
