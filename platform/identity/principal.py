"""Who is making a request, and which roles they hold where."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .roles import PLATFORM_ROLES


@dataclass(frozen=True)
class Grant:
    role: str
    tenant_id: uuid.UUID | None = None  # None: a platform role
    agency_id: uuid.UUID | None = None  # agency_responder only
    tenant: str | None = None  # the tenant's slug, so a path can be checked before any query

    def as_claim(self) -> dict[str, str]:
        claim = {"role": self.role}
        if self.tenant_id:
            claim["tenant_id"] = str(self.tenant_id)
            claim["tenant"] = self.tenant or ""
        if self.agency_id:
            claim["agency_id"] = str(self.agency_id)
        return claim

    @classmethod
    def from_claim(cls, claim: dict) -> "Grant":
        return cls(
            role=str(claim["role"]),
            tenant_id=uuid.UUID(claim["tenant_id"]) if claim.get("tenant_id") else None,
            agency_id=uuid.UUID(claim["agency_id"]) if claim.get("agency_id") else None,
            tenant=str(claim["tenant"]) if claim.get("tenant") else None,
        )


@dataclass(frozen=True)
class Principal:
    """A signed-in person (kind 'user') or a machine client bound to one tenant (kind 'client')."""

    kind: str
    subject: str  # user id, or the client's client_id
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    name: str = ""
    email: str = ""
    client_id: str | None = None  # the client an access token was issued to
    token_id: str | None = None  # the access token's jti, so that it can be revoked

    @property
    def user_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.subject) if self.kind == "user" else None

    def platform_roles(self) -> set[str]:
        return {g.role for g in self.grants if g.tenant_id is None and g.role in PLATFORM_ROLES}

    def tenant_roles(self, tenant_id: uuid.UUID) -> set[str]:
        return {g.role for g in self.grants if g.tenant_id == tenant_id}

    def tenant_slugs(self) -> set[str]:
        return {g.tenant for g in self.grants if g.tenant}

    def roles_in(self, slug: str) -> set[str]:
        return {g.role for g in self.grants if g.tenant == slug}

    def tenant_id_of(self, slug: str) -> uuid.UUID | None:
        """The id of the tenant with this slug, if the principal holds a role there."""
        return next((g.tenant_id for g in self.grants if g.tenant == slug), None)

    def tenant_ids(self) -> set[uuid.UUID]:
        return {g.tenant_id for g in self.grants if g.tenant_id is not None}

    def agency_ids(self, tenant_id: uuid.UUID) -> set[uuid.UUID]:
        return {g.agency_id for g in self.grants if g.tenant_id == tenant_id and g.agency_id}
