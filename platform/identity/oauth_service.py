"""OAuth clients, authorization codes and refresh tokens: the rules behind /oauth/* and the CLI.

Runs in platform context (clients of every tenant, codes and tokens of every
user). Errors are ValueErrors whose message says what to do; the endpoints in
oauth.py turn the grant errors into OAuth `invalid_grant` responses.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from ..audit.service import Actor, record
from ..tenancy.models import Tenant
from .in_force import grants_changed
from .oauth_models import (GATEWAY_SCOPE, AuthorizationCode, OAuthClient, RefreshToken, RevokedAccessToken, digest,
                           is_loopback_uri)

AUTHORIZATION_CODE_TTL = timedelta(minutes=5)  # RFC 6749 recommends at most ten
REFRESH_TOKEN_TTL = timedelta(days=14)  # idle limit: each use starts it again
PURGE_AFTER = timedelta(days=30)  # spent codes and tokens are kept this long, to recognise a replay
USER_SCOPE = "openid profile email api"
MACHINE_SCOPE = "api"
MAX_NAME = 120


class OAuthError(ValueError):
    """An OAuth request that cannot be carried out; the message says why."""


class GrantRefused(OAuthError):
    """A code or refresh token that cannot be redeemed (an OAuth invalid_grant)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- clients -----------------------------------------------------------------


def _client_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise OAuthError(f"A client needs a name of 1 to {MAX_NAME} printable characters, e.g. 'PBX Kota Makassar'.")
    return name


def _new_client_id() -> str:
    return secrets.token_urlsafe(18)


def snapshot(client: OAuthClient) -> dict:
    """A client as the audit log keeps it: never its secret."""
    return {"client_id": client.client_id, "name": client.name, "grant_types": list(client.grant_types),
            "redirect_uris": list(client.redirect_uris), "scope": client.scope,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "tenant_id": str(client.tenant_id) if client.tenant_id else None,
            "revoked_at": _when(client.revoked_at) if client.revoked_at else None}


def create_machine_client(session: Session, tenant: Tenant, name: str, actor: Actor) -> tuple[OAuthClient, str]:
    """A client-credentials client bound to `tenant`, and its secret: shown this once, stored only as a hash."""
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(client_id=_new_client_id(), client_secret_hash=digest(secret), name=_client_name(name),
                         redirect_uris=[], grant_types=["client_credentials"], scope=MACHINE_SCOPE,
                         token_endpoint_auth_method="client_secret_basic", tenant_id=tenant.id, tenant=tenant)
    session.add(client)
    session.flush()
    record(session, actor, "oauth_client.create", "oauth_client", client.client_id, tenant_id=tenant.id,
           after=snapshot(client))
    return client, secret


def create_gateway_client(session: Session, name: str, actor: Actor) -> tuple[OAuthClient, str]:
    """A national telephony gateway's client (client credentials, bound to no tenant): it may only post calls,
    each routed to the region that owns the dialled line. Its secret is shown this once, stored only as a hash."""
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(client_id=_new_client_id(), client_secret_hash=digest(secret), name=_client_name(name),
                         redirect_uris=[], grant_types=["client_credentials"], scope=GATEWAY_SCOPE,
                         token_endpoint_auth_method="client_secret_basic", tenant_id=None)
    session.add(client)
    session.flush()
    record(session, actor, "oauth_client.create", "oauth_client", client.client_id, after=snapshot(client))
    return client, secret


def create_public_client(session: Session, name: str, redirect_uris: list[str], actor: Actor) -> OAuthClient:
    """A browser or CLI client: no secret, authorization code with PKCE, refresh tokens."""
    uris = [_redirect_uri(uri) for uri in redirect_uris]
    if not uris:
        raise OAuthError("A browser or CLI client needs at least one redirect URI.")
    client = OAuthClient(client_id=_new_client_id(), client_secret_hash=None, name=_client_name(name),
                         redirect_uris=list(dict.fromkeys(uris)), grant_types=["authorization_code", "refresh_token"],
                         scope=USER_SCOPE, token_endpoint_auth_method="none", tenant_id=None)
    session.add(client)
    session.flush()
    record(session, actor, "oauth_client.create", "oauth_client", client.client_id, after=snapshot(client))
    return client


def _redirect_uri(uri: str) -> str:
    uri = (uri or "").strip()
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if parts is None or len(uri) > 2000 or not parts.hostname or parts.fragment:
        raise OAuthError(f"{uri[:200]!r} is not a usable redirect URI: give an absolute URL without a #fragment.")
    if parts.scheme != "https" and not is_loopback_uri(uri):
        raise OAuthError(f"{uri[:200]!r} must use https (plain http only on localhost/127.0.0.1, for the CLI).")
    return uri


def find_client(session: Session, client_id: str) -> OAuthClient | None:
    if not client_id or len(client_id) > 64 or not client_id.isprintable():
        return None
    return session.get(OAuthClient, client_id)


def revoke_client(session: Session, client: OAuthClient, actor: Actor) -> OAuthClient:
    """The client can no longer get tokens; its refresh tokens stop working at once. Idempotent."""
    if client.revoked_at is not None:
        return client
    before = snapshot(client)
    client.revoked_at = _now()
    session.execute(update(RefreshToken).where(RefreshToken.client_id == client.client_id,
                                               RefreshToken.revoked_at.is_(None)).values(revoked_at=client.revoked_at))
    session.flush()
    grants_changed(session)  # its access tokens stop within seconds too (in_force.py)
    record(session, actor, "oauth_client.revoke", "oauth_client", client.client_id, tenant_id=client.tenant_id,
           before=before, after=snapshot(client))
    return client


# --- authorization codes -----------------------------------------------------


def save_authorization_code(session: Session, code: str, client: OAuthClient, user_id: uuid.UUID,
                            redirect_uri: str | None, scope: str, nonce: str | None, code_challenge: str,
                            code_challenge_method: str, auth_time: datetime) -> AuthorizationCode:
    row = AuthorizationCode(code_hash=digest(code), client_id=client.client_id, user_id=user_id,
                            redirect_uri=redirect_uri, scope=scope, nonce=nonce, code_challenge=code_challenge,
                            code_challenge_method=code_challenge_method, auth_time=auth_time,
                            expires_at=_now() + AUTHORIZATION_CODE_TTL)
    session.add(row)
    session.flush()
    return row


def nonce_used(session: Session, client_id: str, nonce: str) -> bool:
    return bool(session.scalar(select(exists().where(AuthorizationCode.client_id == client_id,
                                                     AuthorizationCode.nonce == nonce))))


def redeemable_code(session: Session, code: str, client: OAuthClient) -> AuthorizationCode | None:
    """The unused, unexpired code issued to `client`, locked until the transaction ends; None if there is none.

    A code presented twice means it leaked: the tokens issued with it are revoked (RFC 6749 §4.1.2).
    """
    row = session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code),
                                                         AuthorizationCode.client_id == client.client_id)
                         .with_for_update())
    if row is None:
        return None
    if row.used:
        revoke_family(session, row.id)
        raise GrantRefused("This authorization code was already used; the tokens issued with it are now revoked. "
                           "Start the sign-in again.")
    if row.expires_at <= _now():
        raise GrantRefused(f"This authorization code expired at {_when(row.expires_at)}; start the sign-in again.")
    return row


def mark_code_used(session: Session, row: AuthorizationCode) -> None:
    row.used = True
    session.flush()


# --- refresh tokens ----------------------------------------------------------


def save_refresh_token(session: Session, token: str, client: OAuthClient, user_id: uuid.UUID, scope: str,
                       family_id: uuid.UUID) -> RefreshToken:
    row = RefreshToken(token_hash=digest(token), client_id=client.client_id, user_id=user_id, scope=scope,
                       family_id=family_id, expires_at=_now() + REFRESH_TOKEN_TTL)
    session.add(row)
    session.flush()
    return row


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    """The refresh token with this value, locked until the transaction ends (two refreshes never both win)."""
    return session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update())


def usable_refresh_token(session: Session, token: str) -> RefreshToken | None:
    """The live refresh token with this value; None if unknown.

    A revoked one presented again was rotated or revoked before, so someone holds a copy: the whole
    family (every token descended from the same sign-in) is revoked.
    """
    row = find_refresh_token(session, token)
    if row is None:
        return None
    if row.revoked_at is not None:
        revoke_family(session, row.family_id)
        raise GrantRefused("This refresh token was already used or revoked; every token of that sign-in is now "
                           "revoked. Sign in again.")
    if row.is_expired():
        raise GrantRefused(f"This refresh token expired at {_when(row.expires_at)}; sign in again.")
    return row


def retire_refresh_token(session: Session, row: RefreshToken) -> None:
    """Rotation: the token just exchanged for a new one may never be used again."""
    row.revoked_at = _now()
    session.flush()


def revoke_access_token(session: Session, claims: dict) -> None:
    """Refuse a valid access token from now on (until it would have expired). Idempotent."""
    statement = insert(RevokedAccessToken).values(
        jti=str(claims["jti"])[:64], subject=str(claims["sub"])[:80],
        expires_at=datetime.fromtimestamp(int(claims["exp"]), timezone.utc))
    session.execute(statement.on_conflict_do_nothing(index_elements=[RevokedAccessToken.jti]))
    grants_changed(session)


def revoke_family(session: Session, family_id: uuid.UUID) -> int:
    result = session.execute(update(RefreshToken).where(RefreshToken.family_id == family_id,
                                                        RefreshToken.revoked_at.is_(None)).values(revoked_at=_now()))
    return result.rowcount


def revoke_refresh_tokens_of_user(session: Session, user_id: uuid.UUID) -> int:
    """Call when a person's account is switched off: no refresh brings a token back. (Their access tokens
    stop within seconds through in_force.py.)"""
    result = session.execute(update(RefreshToken).where(RefreshToken.user_id == user_id,
                                                        RefreshToken.revoked_at.is_(None)).values(revoked_at=_now()))
    return result.rowcount


def purge_expired(session: Session) -> int:
    """Delete codes and refresh tokens that ended more than PURGE_AFTER ago, and the record of revoked access
    tokens that have expired anyway (rq cron: identity/jobs.py).

    A family with a live token is kept whole: a stale copy presented later must still revoke it.
    """
    now = _now()
    cutoff = now - PURGE_AFTER
    codes = session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < cutoff)).rowcount
    live = aliased(RefreshToken)
    family_alive = exists().where(live.family_id == RefreshToken.family_id, live.revoked_at.is_(None),
                                  live.expires_at > now)
    tokens = session.execute(delete(RefreshToken).where(
        or_(RefreshToken.expires_at < cutoff, RefreshToken.revoked_at < cutoff), ~family_alive)).rowcount
    revoked = session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now)).rowcount
    return codes + tokens + revoked
