from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, Identity, Index,
                        String, func, text)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from ..db import Base
from ..tenancy.models import TenantOwned, tenant_table_args
from .roles import AGENCY_RESPONDER, PLATFORM_ROLES, TENANT_ROLES


class User(Base):
    """A person. Platform-wide: one person may hold roles in several tenants."""

    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_lower_email", func.lower(text("email")), unique=True),
        CheckConstraint("email = btrim(email) AND position('@' in email) > 1", name="email_format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    platform_roles: Mapped[list[PlatformRole]] = relationship(back_populates="user", lazy="selectin")


class PlatformRole(Base):
    __tablename__ = "platform_roles"
    __table_args__ = (CheckConstraint(f"role IN {PLATFORM_ROLES!r}", name="role"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    user: Mapped[User] = relationship(back_populates="platform_roles")


class Membership(TenantOwned, Base):
    """A tenant role of a person; agency_responder is granted for one agency of the tenant."""

    __tablename__ = "memberships"
    __table_args__ = tenant_table_args(
        "memberships",
        CheckConstraint(f"role IN {TENANT_ROLES!r}", name="role"),
        CheckConstraint(f"(role = '{AGENCY_RESPONDER}') = (agency_id IS NOT NULL)", name="agency_only_for_responder"),
        UniqueConstraint("tenant_id", "user_id", "role", "agency_id", name="uq_memberships_grant",
                         postgresql_nulls_not_distinct=True),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_memberships_tenant_agency"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(server_default=text("1"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


class Invitation(TenantOwned, Base):
    """A tenant role offered to a person by e-mail; it becomes a membership when they accept it.

    Only the SHA-256 of the link's token is kept. An invitation is pending until it is accepted,
    revoked or expires; one person has at most one pending invitation per role (and agency) here.
    """

    __tablename__ = "invitations"
    __table_args__ = tenant_table_args(
        "invitations",
        CheckConstraint(f"role IN {TENANT_ROLES!r}", name="role"),
        CheckConstraint(f"(role = '{AGENCY_RESPONDER}') = (agency_id IS NOT NULL)", name="agency_only_for_responder"),
        CheckConstraint("email = btrim(email) AND position('@' in email) > 1", name="email_format"),
        ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                             name="fk_invitations_tenant_agency"),
        Index("uq_invitations_pending", "tenant_id", func.lower(text("email")), "role", "agency_id", unique=True,
              postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"), postgresql_nulls_not_distinct=True),
    )

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


class SignInFailure(Base):
    """One failed sign-in: for the lock per e-mail and client address, and the slow-down per e-mail.

    The e-mail is kept as a keyed hash (the same for every spelling of its case), so the table
    lists no addresses of people who mistyped theirs.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email_at", "email_key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PasswordReset(Base):
    """A link an admin had e-mailed so that a person can set a new password: single-use, expiring.

    Only the SHA-256 of the link's token is kept. Platform-level (people are), like users, so not under
    row-level security; audit_tenant_id is the region whose admin asked, for the audit entry of its use
    (not `tenant_id`: that name marks the tenant-owned tables). A new reset voids the person's earlier ones.
    """

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    audit_tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
