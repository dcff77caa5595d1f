"""The OAuth 2 / OpenID Connect provider, built on authlib's AuthorizationServer.

Grants: authorization code with PKCE (S256 only, for every client) and OpenID
Connect ID tokens; refresh tokens, rotated on each use; client credentials for
machine clients bound to one tenant. There is no implicit and no password
grant: they are never registered, so authlib answers unsupported_response_type
/ unsupported_grant_type.

The authorize endpoint approves at once for a signed-in person: every client
is registered by a platform admin (`siaga112 client create…`), there is no
third-party registration, so a consent page would only add a click. If
third-party clients ever appear, they need a consent page and a flag on the
client that says which ones are first-party.

These endpoints work in platform context (clients, codes and tokens are
platform-wide) and keep the rules in oauth_service; oauth_grants adapts
authlib's hooks to it. Errors are OAuth JSON ({error,
error_description}) or, once the redirect URI is known, a redirect back to
the client with error=…, as RFC 6749 prescribes.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error
from flask import Blueprint, Flask, current_app, jsonify, redirect, request, session as web_session, url_for

from ..config import Settings
from .access import public
from .keys import ALGORITHM, signing_key
from .models import User
from .oauth_grants import (AuthorizationCodeGrant, ClientCredentialsGrant, OpenIDCode, RefreshTokenGrant,
                           RevocationEndpoint, S256CodeChallenge, Server, authenticate_basic, oauth_session,
                           query_client, save_token)
from .oauth_models import AUTH_METHODS, GRANT_TYPES
from .service import grants_of
from .tokens import SCOPES_SUPPORTED, AccessTokenGenerator, InvalidToken, ResourceOwner, principal_from_bearer
from .web_session import signed_in_user_id

bp = Blueprint("oauth", __name__)

# Rate limiting (security.py) belongs on these two: they check client secrets and codes for anyone who asks.
TOKEN_ENDPOINT = "oauth.token"
REVOKE_ENDPOINT = "oauth.revoke"
SIGN_IN_ENDPOINT = "identity_web.sign_in"


def _settings() -> Settings:
    return current_app.extensions["siaga112.settings"]


def _server() -> Server:
    return current_app.extensions["siaga112.oauth"]


# --- endpoints ---------------------------------------------------------------------
# All @public for the access layer: each authenticates on its own terms (client credentials, a code and its
# verifier, the browser session at /authorize, a bearer token at /userinfo) as the OAuth RFCs define.


def _needs_https(view):
    """authlib refuses plain http except on loopback; say so plainly instead of failing with a 500."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except InsecureTransportError:
            return _oauth_error(400, "insecure_transport",
                                "Siaga112 serves OAuth only over https (or on localhost). Put it behind TLS and set "
                                "SIAGA_PUBLIC_URL to its https address.")

    return wrapper


def _oauth_error(status: int, error: str, description: str, headers: dict | None = None):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


@bp.get("/oauth/authorize")
@public
@_needs_https
def authorize():
    server = _server()
    user = _signed_in_user()
    owner = ResourceOwner(user) if user else None
    try:
        # Validated before sign-in, so a broken link fails here rather than after the password.
        grant = server.get_consent_grant(end_user=owner)
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    if owner is None:
        return redirect(_sign_in_url(request.full_path))
    if grant.prompt == "login":
        # OpenID prompt=login asks for a fresh authentication: end the browser session (as signing out
        # does), so the sign-in page asks for the password, then continue without the prompt.
        web_session.clear()
        return redirect(_sign_in_url(_without_prompt(request.full_path)))
    return server.create_authorization_response(grant_user=owner, grant=grant)


@bp.post("/oauth/token")
@public
@_needs_https
def token():
    response = _server().create_token_response()
    # Commit even for refusals: a replayed code or refresh token has just revoked its family.
    oauth_session().commit()
    return response


@bp.post("/oauth/revoke")
@public
@_needs_https
def revoke():
    return _server().create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)


@bp.get("/oauth/jwks")
@public
def jwks():
    response = jsonify(signing_key(_settings()).jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/openid-configuration")
@public
def openid_configuration():
    response = jsonify(provider_metadata(_settings()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@public
def userinfo():
    try:
        principal = principal_from_bearer(request.headers.get("Authorization"), _settings())
    except InvalidToken as error:
        return _bearer_error(401, "invalid_token", str(error))
    if principal.kind != "user":
        return _bearer_error(403, "insufficient_scope", "userinfo describes a person; this is a machine client's token.")
    session = oauth_session()
    user = session.get(User, principal.user_id)
    if user is None or not user.active:
        return _bearer_error(401, "invalid_token", "The account of this token is deactivated; sign in again later.")
    # Read now rather than from the token: userinfo answers with what holds at this moment.
    return jsonify({"sub": str(user.id), "name": user.name, "email": user.email,
                    "grants": [grant.as_claim() for grant in grants_of(session, user)]})


def provider_metadata(settings: Settings) -> dict:
    issuer = settings.public_url
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "email", "grants"],
    }


def _bearer_error(status: int, error: str, description: str):
    # Header values are latin-1 and quoted: keep the description to printable ASCII without quotes.
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "'" if c == '"' else "?" for c in description)
    challenge = f'Bearer realm="siaga112", error="{error}", error_description="{plain}"'
    return _oauth_error(status, error, description, {"WWW-Authenticate": challenge})


def _signed_in_user() -> User | None:
    user_id = signed_in_user_id()
    if user_id is None:
        return None
    user = oauth_session().get(User, user_id)
    if user is None or not user.active:
        # End the session of a removed or deactivated person, or the sign-in page (which sends a signed-in
        # browser straight back to `next`) and this endpoint would redirect to each other for ever.
        web_session.clear()
        return None
    return user


def _sign_in_url(next_path: str) -> str:
    if SIGN_IN_ENDPOINT in current_app.view_functions:
        return url_for(SIGN_IN_ENDPOINT, next=next_path)
    return "/sign-in?" + urlencode({"next": next_path})


def _without_prompt(full_path: str) -> str:
    parts = urlsplit(full_path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "prompt"]
    return f"{parts.path}?{urlencode(query)}"


def init_oauth(app: Flask) -> Server:
    """Register the OAuth server and its endpoints on `app` (after the database and settings)."""
    settings: Settings = app.extensions["siaga112.settings"]
    signing_key(settings)  # a bad SIAGA_JWT_KEY stops start-up, not the first sign-in
    server = Server()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = list(SCOPES_SUPPORTED)
    server.register_client_auth_method("client_secret_basic", authenticate_basic)
    server.register_token_generator("default", AccessTokenGenerator(settings, oauth_session))
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDCode(require_nonce=False)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(RevocationEndpoint)
    app.extensions["siaga112.oauth"] = server
    app.register_blueprint(bp)
    return server
