from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga112.platform.db import Base
from siaga112.platform.identity.models import User
from siaga112.platform.storage import MAGIC
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

CERTIFICATE_COLUMNS = ("certificate_key", "certificate_sha256", "certificate_type", "certificate_size",
                       "certificate_name", "certificate_uploaded_at")


class TrainingRecord(TenantOwned, Base):
    """A course a member of the tenant completed, valid until a date (or for good), with its certificate.

    The certificate's bytes live in the file store (platform/storage.py); this row keeps its key,
    SHA-256, sniffed type and size, so a download can be checked against what was uploaded.
    """

    __tablename__ = "training_records"
    __table_args__ = tenant_table_args(
        "training_records",
        CheckConstraint("valid_until IS NULL OR valid_until >= completed_on", name="valid_after_completion"),
        CheckConstraint(" AND ".join(f"({name} IS NULL) = (certificate_key IS NULL)" for name in CERTIFICATE_COLUMNS[1:]),
                        name="certificate_complete"),
        CheckConstraint(f"certificate_type IN {tuple(MAGIC)!r}", name="certificate_type"),
        CheckConstraint("certificate_size > 0", name="certificate_size"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(String(160))
    provider: Mapped[str] = mapped_column(String(160))
    completed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    certificate_key: Mapped[str | None] = mapped_column(String(200))
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate_type: Mapped[str | None] = mapped_column(String(40))
    certificate_size: Mapped[int | None] = mapped_column(Integer)
    certificate_name: Mapped[str | None] = mapped_column(String(200))
    certificate_uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    def valid_on(self, day: date) -> bool:
        return self.completed_on <= day and (self.valid_until is None or day <= self.valid_until)

    @property
    def has_certificate(self) -> bool:
        return self.certificate_key is not None
