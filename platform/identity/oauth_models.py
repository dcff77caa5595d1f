"""OAuth 2 clients, authorization codes and refresh tokens (the rows authlib's grants work on).

Secrets, codes and refresh tokens are stored only as SHA-256 digests: they are
random 256-bit values, so a fast hash is enough (no dictionary to guess from)
and a stolen table gives nothing to replay.

Tenancy: oauth_clients carries tenant_id (machine clients are bound to one
tenant) and has row-level security like every table with a tenant_id: a tenant
context sees only its own machine clients, the platform context sees all, and
browser/CLI clients (tenant_id NULL) are visible in platform context only. The
OAuth endpoints run in platform context. Codes and refresh tokens belong to a
user, and users are platform-wide, so they carry no tenant_id and need no RLS.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..tenancy.models import Tenant

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
GATEWAY_SCOPE = "telephony:events"  # a national telephony gateway's client: it posts calls, nothing else


def digest(secret: str) -> str:
    """What we store for a client secret, code or refresh token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _sql_list(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::varchar[]"


class OAuthClient(ClientMixin, Base):
    """A registered application: a browser/CLI client (public, PKCE) or a machine client of one tenant."""

    __tablename__ = "oauth_clients"
    __table_args__ = (
        CheckConstraint(f"token_endpoint_auth_method IN {AUTH_METHODS!r}", name="auth_method"),
        CheckConstraint("(token_endpoint_auth_method = 'none') = (client_secret_hash IS NULL)",
                        name="secret_only_for_confidential"),
        CheckConstraint(f"cardinality(grant_types) > 0 AND grant_types <@ {_sql_list(GRANT_TYPES)}",
                        name="grant_types"),
        # A machine client acts in exactly one tenant, or is a telephony gateway (its scope says so) whose calls
        # are routed by the dialled line; nothing else is bound to a tenant.
        CheckConstraint(f"('client_credentials' = ANY(grant_types)) = (tenant_id IS NOT NULL OR scope = '{GATEWAY_SCOPE}')",
                        name="machine_client_bound_or_gateway"),
        CheckConstraint("NOT ('client_credentials' = ANY(grant_types)) OR token_endpoint_auth_method <> 'none'",
                        name="machine_client_confidential"),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(String(2000)), server_default=text("'{}'"))
    grant_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    scope: Mapped[str] = mapped_column(String(400))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(30))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("tenants.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    tenant: Mapped[Tenant | None] = relationship(lazy="joined")

    # --- authlib's ClientMixin ---

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only unambiguous when there is exactly one; otherwise the request must name it.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope, or the client's whole scope when none is asked; None (invalid_scope) if it asks for more."""
        allowed = scope_to_list(self.scope)
        if not scope:
            return list_to_scope(allowed)
        requested = scope_to_list(scope)
        if not set(requested) <= set(allowed):
            return None
        return list_to_scope([s for s in allowed if s in requested])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(_same_redirect(registered, redirect_uri) for registered in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret_hash:
            return False
        return hmac.compare_digest(self.client_secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def is_loopback_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _same_redirect(registered: str, requested: str) -> bool:
    if registered == requested:
        return True
    # RFC 8252 §7.3: a native app (our CLI) listens on a loopback port it picks at run time,
    # so for loopback redirects only the port may differ.
    if not (is_loopback_uri(registered) and is_loopback_uri(requested)):
        return False
    a, b = urlsplit(registered), urlsplit(requested)
    return (a.scheme, a.hostname, a.path, a.query) == (b.scheme, b.hostname, b.path, b.query) and not b.fragment


class AuthorizationCode(AuthorizationCodeMixin, Base):
    """A one-time code from /oauth/authorize, redeemed once at /oauth/token with its PKCE verifier."""

    __tablename__ = "oauth_authorization_codes"
    __table_args__ = (
        CheckConstraint("code_challenge_method = 'S256'", name="s256_only"),
        Index("ix_oauth_authorization_codes_client_nonce", "client_id", "nonce"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str | None] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(400))
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # --- authlib's AuthorizationCodeMixin (OpenID Connect flavour) ---

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())


class RefreshToken(TokenMixin, Base):
    """A refresh token. Each use replaces it by a new one of the same family; reusing an old one
    (a sign that it was stolen) revokes the whole family."""

    __tablename__ = "oauth_refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(400))
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # --- authlib's TokenMixin ---

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at.timestamp() - datetime.now(self.expires_at.tzinfo).timestamp()))

    def is_expired(self) -> bool:
        return self.expires_at <= datetime.now(self.expires_at.tzinfo)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RevokedAccessToken(Base):
    """An access token revoked before it expired (RFC 7009 /oauth/revoke): refused until then, then purged."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
