from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from ..db import Base
from ..regions.models import Region

TENANT_STATUSES = ("prospect", "onboarding", "live", "suspended")


class Tenant(Base):
    """A region on the platform. Its name and time zone are its region's."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(f"status IN {TENANT_STATUSES!r}", name="status"),
        CheckConstraint(r"slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'prospect'"))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    region: Mapped[Region] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        return self.region.name

    @property
    def time_zone(self) -> str:
        return self.region.time_zone


class TenantOwned:
    """Columns and constraints every tenant-owned table carries (DESIGN.md, Tenancy and isolation).

    Migrations must also call rls.enable_tenant_rls on the table; a test checks that every table
    with a tenant_id column has it.
    """

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(UUID(as_uuid=True), ForeignKey("tenants.id"), index=True)



def tenant_table_args(table: str, *constraints) -> tuple:
    """__table_args__ of a tenant-owned table: UNIQUE (tenant_id, id), the target of composite foreign keys."""
    return (UniqueConstraint("tenant_id", "id", name=f"uq_{table}_tenant_id_id"), *constraints)
