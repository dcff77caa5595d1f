"""Access tokens: issuing them (RFC 9068 JWTs through authlib) and verifying them on every API request.

Issuing reads the user's roles at that moment into the "grants" claim. Verifying touches no
database: the signature, header and claims decide, with the public key imported once per process;
the access layer then cuts the claimed grants down to what is still in force (in_force.py), so a
revoked role stops working within seconds, not when the token expires.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jws
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy.orm import Session

from ..config import Settings
from ..tenancy.context import PLATFORM, current_context
from .in_force import OPS_CLIENT_ID
from .keys import ALGORITHM, SigningKey, signing_key
from .models import User
from .principal import Grant, Principal
from .roles import MACHINE_CLIENT, TELEPHONY_GATEWAY
from .service import grants_of

LEEWAY_SECONDS = 30  # clock skew between the machines that issue and check tokens
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
HEADER_PARAMETERS = {"alg", "typ", "kid"}
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")
SCOPES_SUPPORTED = ("openid", "profile", "email", "api")
OPS_GRANT_TYPE = "urn:siaga112:token-issue"
# `siaga112 token issue` lives at most an hour, like SIAGA_ACCESS_TOKEN_TTL's ceiling: such a token is pasted
# into scripts and shell histories, and although a revoked role or account now stops it within seconds,
# that helps only once someone notices; a token that outlives its task is a leak waiting to happen.
MAX_OPS_TTL = 3600


class InvalidToken(Exception):
    """An access token that cannot be accepted. The message says why and what to do about it."""


@dataclass(frozen=True)
class ResourceOwner:
    """A user as authlib's grants and token generator see them (they ask for get_user_id())."""

    user: User

    def get_user_id(self) -> uuid.UUID:
        return self.user.id


# --- issuing -----------------------------------------------------------------


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """authlib's RFC 9068 generator with our key, audience, lifetime and claims.

    `session` returns the database session (in platform context) that grants are read from.
    """

    def __init__(self, settings: Settings, session: Callable[[], Session], ttl: int | None = None):
        super().__init__(issuer=settings.public_url, alg=ALGORITHM,
                         refresh_token_generator=new_refresh_token,
                         expires_generator=lambda _client, _grant_type: ttl or settings.access_token_ttl)
        self.settings = settings
        self.session = session

    def get_jwks(self):
        return signing_key(self.settings).key_set()

    def get_audiences(self, client, user, scope) -> str:
        # The whole platform is one resource server; an ID token (aud = client_id) is never accepted as access.
        return self.settings.public_url

    def get_extra_claims(self, client, grant_type, user, scope) -> dict[str, Any]:
        if user is not None:
            return user_claims(self.session(), user.user)
        return machine_claims(client)


def new_refresh_token(**_context) -> str:
    return secrets.token_urlsafe(32)


def user_claims(session: Session, user: User) -> dict[str, Any]:
    # Roles span tenants; read in any narrower context they would silently come out short.
    if current_context(session) != PLATFORM:
        raise RuntimeError("Access token claims are read in platform context.")
    return {"grants": [grant.as_claim() for grant in grants_of(session, user)], "name": user.name, "email": user.email}


def machine_claims(client) -> dict[str, Any]:
    """A machine client holds one grant: machine_client in the tenant it is bound to, or telephony_gateway (no
    tenant) for a national gateway's client."""
    tenant = client.tenant
    if tenant is None:
        return {"grants": [Grant(TELEPHONY_GATEWAY).as_claim()]}
    return {"grants": [Grant(MACHINE_CLIENT, tenant.id, tenant=tenant.slug).as_claim()]}


@dataclass(frozen=True)
class _OpsClient:
    """Stands in for a registered client when ops issue a token from the command line."""

    client_id: str = OPS_CLIENT_ID

    def get_client_id(self) -> str:
        return self.client_id

    def get_allowed_scope(self, scope: str | None) -> str | None:
        requested = scope_to_list(scope or "api")
        return list_to_scope(requested) if set(requested) <= set(SCOPES_SUPPORTED) else None


def issue_access_token(session: Session, user: User, ttl: int | None = None, scope: str = "api",
                       settings: Settings | None = None) -> str:
    """An access token for `user`, as /oauth/token would issue it (for scripts and ops). `session`: platform context."""
    settings = settings or Settings.from_env()
    if ttl is not None and not 30 <= ttl <= MAX_OPS_TTL:
        raise ValueError(f"A token lives between 30 and {MAX_OPS_TTL} seconds; {ttl} was asked.")
    if not user.active:
        raise ValueError(f"{user.email} is deactivated; activate the account before issuing it a token.")
    client = _OpsClient()
    if client.get_allowed_scope(scope) is None:
        raise ValueError(f"Unknown scope in {scope!r}; scopes are {', '.join(SCOPES_SUPPORTED)}.")
    generator = AccessTokenGenerator(settings, lambda: session, ttl=ttl)
    token = generator(grant_type=OPS_GRANT_TYPE, client=client, user=ResourceOwner(user), scope=scope,
                      include_refresh_token=False)
    return token["access_token"]


# --- verifying ---------------------------------------------------------------


def principal_from_bearer(authorization_header: str | None, settings: Settings) -> Principal:
    """The principal an `Authorization: Bearer <jwt>` header stands for; InvalidToken if it is not acceptable."""
    claims = verify_access_token(_bearer_token(authorization_header), settings)
    return _principal(claims)


def verify_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """The claims of a valid access token signed by this platform."""
    key = signing_key(settings)
    try:
        signed = jws.extract_compact(token.encode())
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise InvalidToken("The access token is not a signed JWT (three base64url parts separated by dots); "
                           "copy it whole, or get a new one from /oauth/token.") from None
    _check_header(signed.headers(), key)
    try:
        valid = jws.validate_compact(signed, key.public, [ALGORITHM])
    except (JoseError, ValueError, TypeError):
        valid = False
    if not valid:
        raise InvalidToken("The access token's signature does not verify: it was altered or not issued by this "
                           "Siaga112. Get a new one from /oauth/token.")
    try:
        claims = json.loads(signed.payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise InvalidToken("The access token's payload is not a JSON object; get a new one from /oauth/token.")
    _check_claims(claims, settings)
    return claims


def _bearer_token(header: str | None) -> str:
    if not header or not header.strip():
        raise InvalidToken("No access token: send one as `Authorization: Bearer <token>`.")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken(f"The Authorization header uses the {scheme[:20]!r} scheme; "
                           "send the access token as `Authorization: Bearer <token>`.")
    token = token.strip()
    if not token:
        raise InvalidToken("The Authorization header says Bearer but carries no token after it.")
    return token


def _check_header(header: dict[str, Any], key: SigningKey) -> None:
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise InvalidToken(f"The access token is signed with alg {str(alg)[:20]!r}; only {ALGORITHM} tokens "
                           "from /oauth/token are accepted.")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("This JWT is not an access token (its typ is not at+jwt); an ID token cannot call the "
                           "API. Send the access_token from /oauth/token.")
    if header.get("kid") != key.kid:
        raise InvalidToken("The access token was signed with a key this Siaga112 does not use (another "
                           "installation, or a key that was replaced). Get a new one from /oauth/token.")
    unexpected = set(header) - HEADER_PARAMETERS
    if unexpected:
        raise InvalidToken(f"The access token's header has parameters we do not accept: {', '.join(sorted(unexpected))}.")


def _check_claims(claims: dict[str, Any], settings: Settings) -> None:
    options = {name: {"essential": True} for name in REQUIRED_CLAIMS}
    options |= {"iss": {"essential": True, "value": settings.public_url},
                "aud": {"essential": True, "value": settings.public_url}}
    registry = JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidToken(f"The access token expired at {_when(claims.get('exp'))}; get a new one with your "
                           "refresh token, or sign in again.") from None
    except MissingClaimError as error:
        raise InvalidToken(f"The access token lacks required claims ({error.claim}); get a new one from "
                           "/oauth/token.") from None
    except InvalidClaimError as error:
        raise InvalidToken(_invalid_claim_message(error.claim, claims, settings)) from None
    except JoseError as error:
        raise InvalidToken(f"The access token's claims are not valid ({error.description}).") from None
    if not isinstance(claims.get("grants"), list):
        raise InvalidToken("The access token carries no grants claim; get a new one from /oauth/token.")


def _invalid_claim_message(claim: str, claims: dict[str, Any], settings: Settings) -> str:
    if claim == "iss":
        return (f"The access token was issued by {str(claims.get('iss'))[:200]!r}, not by this Siaga112 "
                f"({settings.public_url}). Get a token from {settings.public_url}/oauth/token.")
    if claim == "aud":
        return f"The access token is meant for another audience, not {settings.public_url}."
    if claim in ("iat", "nbf"):
        return ("The access token is not valid yet (issued in the future); check the clock of the machine "
                "that issued it.")
    return f"The access token's {claim} claim is not valid; get a new one from /oauth/token."


def _when(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return "an unknown time"


def _principal(claims: dict[str, Any]) -> Principal:
    subject = str(claims["sub"])
    kind = "client" if subject == claims["client_id"] else "user"
    try:
        grants = tuple(Grant.from_claim(claim) for claim in claims["grants"])
        if kind == "user":
            uuid.UUID(subject)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidToken("The access token's subject or grants are malformed; get a new one from "
                           "/oauth/token.") from None
    return Principal(kind=kind, subject=subject, grants=grants, name=str(claims.get("name", "")),
                     email=str(claims.get("email", "")), client_id=str(claims["client_id"]), token_id=str(claims["jti"]))
