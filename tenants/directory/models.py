from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from siaga112.platform.db import Base
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

AGENCY_KINDS = ("police", "fire", "medical", "disaster", "utility", "public_order", "social",
                "health_center", "blood", "other")


class Agency(TenantOwned, Base):
    """An agency the region's call centre dispatches to (police, fire, ambulance/PSC 119, BPBD …)."""

    __tablename__ = "agencies"
    __table_args__ = tenant_table_args("agencies", CheckConstraint(f"kind IN {AGENCY_KINDS!r}", name="kind"))

    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
