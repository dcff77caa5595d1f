"""The public registry of Indonesia's provinces and kabupaten/kota (Kemendagri codes)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base

TIME_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
KINDS = ("kabupaten", "kota")


class Province(Base):
    __tablename__ = "provinces"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[0-9]{2}$'", name="code_format"),
        CheckConstraint(f"time_zone IN {TIME_ZONES!r}", name="indonesian_time_zone"),
    )

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(40))


class Region(Base):
    """A kabupaten or kota: the unit that becomes a tenant."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[0-9]{2}\.[0-9]{2}$'", name="code_format"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
    )

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    province: Mapped[Province] = relationship(lazy="joined", innerjoin=True)
    # The ministry's list of regions that run 112 outside Siaga112 (service.import_external_112).
    external_112_since: Mapped[date | None] = mapped_column(Date)
    external_112_note: Mapped[str | None] = mapped_column(Text)
    external_112_imported_by: Mapped[str | None] = mapped_column(String(80))
    external_112_imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def time_zone(self) -> str:
        return self.province.time_zone


class RegistryState(Base):
    """One row: the registry's version, bumped by every sync or import that changed it (published.py)."""

    __tablename__ = "registry_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
