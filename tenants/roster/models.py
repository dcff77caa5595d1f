"""Shift templates (local wall-clock times) and roster assignments of the tenant's people."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        String, Time, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from siaga112.platform.db import Base
from siaga112.platform.identity.models import User
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

MIN_STAFF_MAX = 999
CODE_PATTERN = r"^[A-Z0-9]{1,3}$"


class Shift(TenantOwned, Base):
    """A shift template: from start_time to end_time in the tenant's local time, every day.

    end_time before start_time means the shift ends on the next day (23:30–07:30); equal times
    are refused, since a 0-hour and a 24-hour shift would read the same.
    """

    __tablename__ = "shifts"
    __table_args__ = tenant_table_args(
        "shifts",
        UniqueConstraint("tenant_id", "code", name="uq_shifts_tenant_code"),
        CheckConstraint("start_time <> end_time", name="not_empty"),
        CheckConstraint(f"min_staff BETWEEN 1 AND {MIN_STAFF_MAX}", name="min_staff"),
        CheckConstraint(f"code ~ '{CODE_PATTERN}'", name="code_format"),
    )

    name: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(3))  # what a roster grid cell shows: P, S, M …
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    min_staff: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __mapper_args__ = {"version_id_col": version}

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time < self.start_time

    @property
    def duration_minutes(self) -> int:
        """Wall-clock length; every Indonesian zone keeps one offset all year, so also the real length there."""
        start = self.start_time.hour * 60 + self.start_time.minute
        return (self.end_time.hour * 60 + self.end_time.minute - start) % (24 * 60)


class Assignment(TenantOwned, Base):
    """One person on one shift on one local date (the date the shift starts on).

    The person is a membership of this tenant: the composite foreign key makes a row pointing
    at another tenant's member impossible. user_id repeats the membership's person so that one
    person is on a shift of a date at most once, whichever of their roles put them there.
    Revoking the membership removes its assignments (a former member is on no roster).
    """

    __tablename__ = "roster_assignments"
    __table_args__ = tenant_table_args(
        "roster_assignments",
        ForeignKeyConstraint(["tenant_id", "shift_id"], ["shifts.tenant_id", "shifts.id"],
                             name="fk_roster_assignments_tenant_shift"),
        ForeignKeyConstraint(["tenant_id", "membership_id"], ["memberships.tenant_id", "memberships.id"],
                             name="fk_roster_assignments_tenant_membership", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "user_id", "shift_id", "local_date", name="uq_roster_assignments_slot"),
        Index("ix_roster_assignments_tenant_date", "tenant_id", "local_date"),
    )

    shift_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    membership_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # Read-only: rows are written by ids, so the tenant_id shared by both composite keys is never copied around.
    shift: Mapped[Shift] = relationship(lazy="joined", innerjoin=True, viewonly=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, viewonly=True)
