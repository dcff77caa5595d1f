from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKeyConstraint, Index, Integer, String, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga112.platform.db import Base
from siaga112.platform.tenancy.models import TenantOwned, tenant_table_args

AGENCY_KINDS = ("police", "fire", "medical", "disaster", "utility", "public_order", "social",
                "health_center", "blood", "other")
# opd: a regional government body (BPBD, Damkar, Dinkes, Satpol PP, Dinsos, Puskesmas);
# vertical: an instansi vertikal of the central government (Polri, TNI, Basarnas);
# other: neither (PLN as a state company, PMI, private hospitals).
AFFILIATIONS = ("opd", "vertical", "other")
NUMBER_KINDS = ("inbound_line", "backup_line", "agency_contact")
LINE_KINDS = ("inbound_line", "backup_line")


def affiliation_for(kind: str | None) -> str:
    """The usual affiliation of an agency of this kind, when none is given."""
    if kind == "police":
        return "vertical"
    if kind in ("utility", "blood", "other"):
        return "other"
    return "opd"


def _default_affiliation(context) -> str:
    return affiliation_for(context.get_current_parameters().get("kind"))


class Agency(TenantOwned, Base):
    """An agency the region's call centre dispatches to (police, fire, ambulance/PSC 119, BPBD …)."""

    __tablename__ = "agencies"
    __table_args__ = tenant_table_args(
        "agencies",
        CheckConstraint(f"kind IN {AGENCY_KINDS!r}", name="kind"),
        CheckConstraint(f"affiliation IN {AFFILIATIONS!r}", name="affiliation"),
        CheckConstraint("email = btrim(email) AND position('@' in email) > 1", name="email_format"),
        # Two agencies of one region with the same name are a typo, not two agencies.
        Index("uq_agencies_tenant_lower_name", "tenant_id", func.lower(text("name")), unique=True),
    )

    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))
    affiliation: Mapped[str] = mapped_column(String(20), default=_default_affiliation)
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    contacts: Mapped[list[PhoneNumber]] = relationship(
        primaryjoin="and_(Agency.tenant_id == foreign(PhoneNumber.tenant_id), Agency.id == foreign(PhoneNumber.agency_id))",
        order_by="PhoneNumber.created_at", viewonly=True, lazy="selectin")

    __mapper_args__ = {"version_id_col": version}


class PhoneNumber(TenantOwned, Base):
    """A number of the region: a 112 inbound line, a backup line, or a contact number of one of its agencies.

    An active inbound or backup line belongs to one tenant on the whole platform: the partial unique
    index uq_numbers_active_line is checked by PostgreSQL against every row of the table, including the
    rows of other tenants that row-level security hides from the inserting transaction.
    """

    __tablename__ = "numbers"
    __table_args__ = tenant_table_args(
        "numbers",
        CheckConstraint(f"kind IN {NUMBER_KINDS!r}", name="kind"),
        CheckConstraint(r"e164 ~ '^\+62[1-9][0-9]{5,12}$'", name="e164_indonesian"),
        CheckConstraint("(kind = 'agency_contact') = (agency_id IS NOT NULL)", name="agency_only_for_contacts"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_numbers_tenant_agency"),
        Index("uq_numbers_active_line", "e164", unique=True,
              postgresql_where=text(f"active AND kind IN {LINE_KINDS!r}")),
        Index("uq_numbers_entry", "tenant_id", "kind", "e164", "agency_id", unique=True,
              postgresql_nulls_not_distinct=True),
    )

    e164: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(120), server_default=text("''"))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}

    @property
    def national(self) -> str:
        from .phone import national_format

        return national_format(self.e164)

    @property
    def is_line(self) -> bool:
        return self.kind in LINE_KINDS
