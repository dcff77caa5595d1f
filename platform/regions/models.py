"""The public registry of Indonesia's provinces and kabupaten/kota (Kemendagri codes)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
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

    @property
    def time_zone(self) -> str:
        return self.province.time_zone
