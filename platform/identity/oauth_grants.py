"""authlib's AuthorizationServer adapted to Siaga112: the server, its callbacks, grants and revocation.

These classes only translate authlib's hooks into oauth_service calls (where the
rules live) and OAuth errors; the endpoints are in oauth.py. Everything runs in
the request's session widened to platform context: clients, codes and refresh
tokens are platform-wide.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from flask import current_app, session as web_session
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import request_session
from ..tenancy.context import PLATFORM, set_context
from . import oauth_service as service
from .keys import ALGORITHM, signing_key
from .models import User
from .tokens import SCOPES_SUPPORTED, InvalidToken, ResourceOwner, verify_access_token

AUTH_TIME_KEY = "auth_time"  # the sign-in page records when the person signed in (seconds since the epoch)
MAX_NONCE = 255


def _settings() -> Settings:
    return current_app.extensions["siaga112.settings"]


def oauth_session() -> Session:
    """The request's session, widened to platform context: clients, codes and tokens are platform-wide."""
    session = request_session()
    set_context(session, PLATFORM)
    return session


# authlib leaves some errors without a description; these say what to change.
ERROR_DESCRIPTIONS = {
    "invalid_request": "A required parameter is missing, repeated or malformed; see RFC 6749 for this endpoint.",
    "invalid_client": "The client could not be authenticated: check client_id and its secret (or, for a public "
                      "client, send client_id and no secret).",
    "invalid_grant": "The code or refresh token is unknown, expired, or was issued to another client.",
    "unauthorized_client": "This client is not registered for this grant type.",
    "unsupported_grant_type": "grant_type must be authorization_code, refresh_token or client_credentials.",
    "unsupported_response_type": "response_type must be code; the implicit flow is not offered.",
    "invalid_scope": f"Ask only for scopes the client is registered for (of {' '.join(SCOPES_SUPPORTED)}).",
    "unsupported_token_type": "token_type_hint must be refresh_token or access_token.",
    "access_denied": "The request was not approved.",
}


class Server(AuthorizationServer):
    def handle_error_response(self, request, error):
        if not error.description:
            error.description = ERROR_DESCRIPTIONS.get(error.error, "")
        return super().handle_error_response(request, error)


# --- authlib callbacks ---------------------------------------------------------


def query_client(client_id: str):
    client = service.find_client(oauth_session(), client_id)
    if client is not None and client.revoked_at is not None:
        raise InvalidClientError(description=f"This client was revoked on {client.revoked_at:%Y-%m-%d}; "
                                             "ask a platform admin for a new one.")
    return client


def save_token(token: dict, request) -> None:
    """Only refresh tokens are stored (access tokens are self-contained JWTs)."""
    if "refresh_token" not in token:
        return
    if request.refresh_token is not None:  # rotation: the new token continues the old one's family
        family_id = request.refresh_token.family_id
    else:  # a new sign-in: the family is named after its code, so a replayed code can revoke it
        family_id = request.authorization_code.id
    service.save_refresh_token(oauth_session(), token["refresh_token"], request.client, request.user.user.id,
                               token.get("scope", ""), family_id)


def _resource_owner(user_id) -> ResourceOwner:
    user = oauth_session().get(User, user_id)
    if user is None or not user.active:
        raise InvalidGrantError("This account is deactivated; a platform admin can reactivate it.")
    return ResourceOwner(user)


def _check_nonce(nonce: str | None, redirect_uri: str | None = None) -> None:
    if nonce and (len(nonce) > MAX_NONCE or not nonce.isprintable()):
        raise InvalidRequestError(f"The nonce must be at most {MAX_NONCE} printable characters.",
                                  redirect_uri=redirect_uri)


def authenticate_basic(query, request):
    """authlib's client_secret_basic, except that credentials which are not UTF-8 fail authentication
    (authlib lets the UnicodeDecodeError through, which would be a 500)."""
    try:
        return authenticate_client_secret_basic(query, request)
    except UnicodeDecodeError:
        return None


# --- grants ----------------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):
    """PKCE for every authorization request, S256 only (RFC 9700 §2.1.1): authlib's CodeChallenge
    accepts a request without a challenge, and plain; we do not."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": lambda verifier, challenge: hmac.compare_digest(
        create_s256_code_challenge(verifier), challenge)}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge = BASE64URL(SHA256(code_verifier)) "
                                      "and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted (plain is refused).")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    # Public clients (none) prove possession with their PKCE verifier instead of a secret.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        _check_nonce(self.request.payload.data.get("nonce"), redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code, request):
        data = request.payload.data
        service.save_authorization_code(
            oauth_session(), code, request.client, request.user.user.id, request.payload.redirect_uri,
            request.scope, data.get("nonce") or None, data["code_challenge"], data["code_challenge_method"],
            auth_time=_auth_time())

    def query_authorization_code(self, code, client):
        try:
            return service.redeemable_code(oauth_session(), code, client)
        except service.GrantRefused as refused:
            raise InvalidGrantError(str(refused)) from None

    def delete_authorization_code(self, authorization_code):
        service.mark_code_used(oauth_session(), authorization_code)

    def authenticate_user(self, authorization_code):
        return _resource_owner(authorization_code.user_id)


class OpenIDCode(_OpenIDCode):
    """ID tokens for the openid scope, signed with the access-token key."""

    def exists_nonce(self, nonce, request):
        _check_nonce(nonce)  # before it reaches the database, which refuses NUL characters
        return service.nonce_used(oauth_session(), request.payload.client_id, nonce)

    def resolve_client_private_key(self, client):
        return signing_key(_settings()).private

    def get_client_algorithm(self, client):
        return ALGORITHM

    def get_encode_header(self, client):
        return {"alg": ALGORITHM, "kid": signing_key(_settings()).kid}

    def get_client_claims(self, client):
        settings = _settings()
        return {"iss": settings.public_url, "aud": [client.get_client_id()],
                "exp": int(time.time()) + settings.access_token_ttl}

    def generate_user_info(self, user, scope):
        person = user.user
        info = UserInfo(sub=str(person.id))
        scopes = scope_to_list(scope) or []
        if "profile" in scopes:
            info["name"] = person.name
        if "email" in scopes:
            info["email"] = person.email
        return info


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token):
        try:
            return service.usable_refresh_token(oauth_session(), refresh_token)
        except service.GrantRefused as refused:
            raise InvalidGrantError(str(refused)) from None

    def authenticate_user(self, refresh_token):
        return _resource_owner(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token):
        service.retire_refresh_token(oauth_session(), refresh_token)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Machine clients; the token's grants name the one tenant the client is bound to."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class RevocableAccessToken:
    """A valid access token presented for revocation: its claims, and whose it is."""

    claims: dict

    def check_client(self, client) -> bool:
        return self.claims.get("client_id") == client.get_client_id()


class RevocationEndpoint(_RevocationEndpoint):
    """RFC 7009 for refresh tokens (revoking one ends its whole family, that sign-in) and access tokens
    (refused everywhere within seconds, in_force.py). A token that is unknown, expired or not valid
    is answered 200 as the RFC says: there is nothing left to revoke."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        if token_type_hint != "access_token":
            row = service.find_refresh_token(oauth_session(), token_string)
            if row is not None or token_type_hint == "refresh_token":
                return row
        try:
            return RevocableAccessToken(verify_access_token(token_string, _settings()))
        except InvalidToken:
            return None

    def revoke_token(self, token, request):
        if isinstance(token, RevocableAccessToken):
            service.revoke_access_token(oauth_session(), token.claims)
        else:
            service.revoke_family(oauth_session(), token.family_id)


def _auth_time() -> datetime:
    value = web_session.get(AUTH_TIME_KEY)
    try:
        return datetime.fromtimestamp(float(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(timezone.utc)  # not recorded: this request is the latest proof of the session
