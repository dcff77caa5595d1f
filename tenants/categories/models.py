from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKeyConstraint, Integer, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from siaga112.platform.db import Base
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

CODE_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"


class IncidentCategory(TenantOwned, Base):
    """How an operator classifies a call: a national default (seeded for every tenant) or the tenant's own.

    A tenant may rename and disable national categories but not delete them or change their code or
    emergency flag: national reporting compares regions by them.
    """

    __tablename__ = "incident_categories"
    __table_args__ = tenant_table_args(
        "incident_categories",
        UniqueConstraint("tenant_id", "code", name="uq_incident_categories_tenant_code"),
        CheckConstraint(f"code ~ '{CODE_PATTERN}'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(String(40))
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    emergency: Mapped[bool] = mapped_column(Boolean)
    national: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("1000"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    routes: Mapped[list[CategoryAgency]] = relationship(
        back_populates="category", cascade="all, delete-orphan", lazy="selectin",
        primaryjoin="and_(IncidentCategory.tenant_id == foreign(CategoryAgency.tenant_id), "
                    "IncidentCategory.id == foreign(CategoryAgency.category_id))")

    __mapper_args__ = {"version_id_col": version}

    @property
    def agency_ids(self) -> list[uuid.UUID]:
        return sorted((route.agency_id for route in self.routes), key=str)


class CategoryAgency(TenantOwned, Base):
    """A category goes to this agency: the operator's dispatch suggestions come from these rows."""

    __tablename__ = "category_agencies"
    __table_args__ = tenant_table_args(
        "category_agencies",
        UniqueConstraint("tenant_id", "category_id", "agency_id", name="uq_category_agencies_route"),
        ForeignKeyConstraint(["tenant_id", "category_id"], ["incident_categories.tenant_id", "incident_categories.id"],
                             name="fk_category_agencies_tenant_category", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_category_agencies_tenant_agency", ondelete="CASCADE"),
    )

    category_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))

    category: Mapped[IncidentCategory] = relationship(
        back_populates="routes",
        primaryjoin="and_(IncidentCategory.tenant_id == foreign(CategoryAgency.tenant_id), "
                    "IncidentCategory.id == foreign(CategoryAgency.category_id))")
