"""The OAuth 2 / OpenID Connect provider: the flows through the real app and database, and token verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import stat
import time
import uuid
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.cli import main as cli
from siaga112.platform.config import ConfigError, Settings
from siaga112.platform.identity.keys import _cached_key, signing_key
from siaga112.platform.identity.oauth_models import OAuthClient, RefreshToken, digest
from siaga112.platform.identity.oauth_service import (create_machine_client, create_public_client, revoke_client,
                                                      revoke_refresh_tokens_of_user)
from siaga112.platform.identity.principal import Grant
from siaga112.platform.identity.roles import MACHINE_CLIENT, OPERATOR
from siaga112.platform.identity.service import create_user, find_user_by_email, grant_role
from siaga112.platform.identity.tokens import InvalidToken, issue_access_token, principal_from_bearer
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.service import create_tenant

REDIRECT = "https://app.example.go.id/callback"
CLI_REDIRECT = "http://127.0.0.1/callback"
PASSWORD = "correct horse battery staple"
SCOPE = "openid profile email api"
ACTOR = Actor.system("tests")


@dataclass(frozen=True)
class World:
    tenant_a: object
    tenant_b: object
    user_id: uuid.UUID
    public_id: str
    machine_id: str
    machine_secret: str


@pytest.fixture(scope="module")
def world(database) -> World:
    """Kota Makassar (A) with an operator; Kota Samarinda (B) with a machine client; a public PKCE client."""
    with database.transaction(PLATFORM) as session:
        tenant_a = create_tenant(session, "73.71", ACTOR)
        tenant_b = create_tenant(session, "64.72", ACTOR)
        person = create_user(session, "operator@makassar.example.go.id", "Andi Operator", PASSWORD)
        grant_role(session, person, OPERATOR, tenant_a.id)
        public = create_public_client(session, "Siaga112 web", [REDIRECT, CLI_REDIRECT], ACTOR)
        machine, secret = create_machine_client(session, tenant_b, "PBX Kota Samarinda", ACTOR)
    return World(tenant_a, tenant_b, person.id, public.client_id, machine.client_id, secret)


@pytest.fixture
def settings(app) -> Settings:
    return app.extensions["siaga112.settings"]


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def _sign_in(client, user_id) -> None:
    with client.session_transaction() as browser:
        browser["user_id"] = str(user_id)


def _authorize(client, world: World, challenge: str, **overrides):
    params = {"response_type": "code", "client_id": world.public_id, "redirect_uri": REDIRECT, "scope": SCOPE,
              "state": "state-123", "code_challenge": challenge, "code_challenge_method": "S256"} | overrides
    return client.get("/oauth/authorize", query_string={k: v for k, v in params.items() if v is not None})


def _query(response) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _code(client, world: World, challenge: str, **overrides) -> str:
    query = _query(_authorize(client, world, challenge, **overrides))
    assert "error" not in query, query
    assert query["state"] == "state-123"
    return query["code"]


def _redeem(client, world: World, code: str, verifier: str | None, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": world.public_id,
            "code_verifier": verifier} | extra
    return client.post("/oauth/token", data={k: v for k, v in data.items() if v is not None})


def _refresh(client, world: World, refresh_token: str):
    return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                             "client_id": world.public_id})


def _signed_in_tokens(client, world: World, **overrides) -> dict:
    _sign_in(client, world.user_id)
    verifier, challenge = _pkce()
    response = _redeem(client, world, _code(client, world, challenge, **overrides), verifier)
    assert response.status_code == 200, response.json
    return response.json


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


# --- authorization code + PKCE ---------------------------------------------------------


def test_full_authorization_code_flow_with_pkce(client, world, settings):
    _sign_in(client, world.user_id)
    verifier, challenge = _pkce()
    nonce = secrets.token_hex(8)
    code = _code(client, world, challenge, nonce=nonce)
    response = _redeem(client, world, code, verifier)

    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == settings.access_token_ttl
    assert set(tokens["scope"].split()) == set(SCOPE.split())
    assert tokens["refresh_token"]

    principal = principal_from_bearer(f"Bearer {tokens['access_token']}", settings)
    assert principal.kind == "user" and principal.user_id == world.user_id
    assert principal.name == "Andi Operator" and principal.email == "operator@makassar.example.go.id"
    assert principal.grants == (Grant(OPERATOR, world.tenant_a.id, tenant=world.tenant_a.slug),)

    keys = KeySet.import_key_set(client.get("/oauth/jwks").json)
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    assert id_token.claims["iss"] == settings.public_url
    assert id_token.claims["aud"] == [world.public_id]
    assert id_token.claims["sub"] == str(world.user_id)
    assert id_token.claims["nonce"] == nonce
    assert id_token.claims["email"] == "operator@makassar.example.go.id"
    assert id_token.header["kid"] == signing_key(settings).kid


def test_the_access_token_is_an_rfc9068_jwt_that_the_published_keys_verify(client, world, settings):
    tokens = _signed_in_tokens(client, world)
    keys = KeySet.import_key_set(client.get("/oauth/jwks").json)
    access = jwt.decode(tokens["access_token"], keys, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt" and access.header["alg"] == "RS256"
    claims = access.claims
    assert claims["iss"] == settings.public_url and claims["aud"] == settings.public_url
    assert claims["client_id"] == world.public_id and claims["sub"] == str(world.user_id)
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert claims["jti"] and claims["name"] == "Andi Operator"
    assert claims["grants"] == [{"role": OPERATOR, "tenant_id": str(world.tenant_a.id), "tenant": world.tenant_a.slug}]


def test_a_person_who_is_not_signed_in_is_sent_to_sign_in_and_back(client, world):
    _, challenge = _pkce()
    response = _authorize(client, world, challenge)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith("/oauth/authorize?") and f"client_id={world.public_id}" in back


def test_prompt_none_without_a_session_answers_login_required(client, world):
    _, challenge = _pkce()
    query = _query(_authorize(client, world, challenge, prompt="none"))
    assert query["error"] == "login_required"


def test_an_authorization_request_without_pkce_is_refused(client, world):
    _sign_in(client, world.user_id)
    query = _query(_authorize(client, world, None, code_challenge_method=None))
    assert query["error"] == "invalid_request" and "PKCE is required" in query["error_description"]
    assert "code" not in query


def test_the_plain_pkce_method_is_refused(client, world):
    _sign_in(client, world.user_id)
    verifier = secrets.token_urlsafe(48)
    for method in ("plain", None):
        query = _query(_authorize(client, world, verifier, code_challenge_method=method))
        assert query["error"] == "invalid_request" and "S256" in query["error_description"]


def test_a_missing_or_wrong_code_verifier_is_refused(client, world):
    _sign_in(client, world.user_id)
    verifier, challenge = _pkce()
    code = _code(client, world, challenge)

    missing = _redeem(client, world, code, None)
    assert missing.status_code == 400 and missing.json["error"] == "invalid_request"
    assert "code_verifier" in missing.json["error_description"]

    wrong = _redeem(client, world, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"

    assert _redeem(client, world, code, verifier).status_code == 200  # the rightful holder still can


def test_a_code_is_redeemed_once_and_a_replay_revokes_what_it_gave(client, world):
    _sign_in(client, world.user_id)
    verifier, challenge = _pkce()
    code = _code(client, world, challenge)
    first = _redeem(client, world, code, verifier)
    assert first.status_code == 200

    again = _redeem(client, world, code, verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert "already used" in again.json["error_description"]
    refused = _refresh(client, world, first.json["refresh_token"])
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_a_redirect_uri_that_is_not_registered_gets_an_error_not_a_redirect(client, world):
    _sign_in(client, world.user_id)
    _, challenge = _pkce()
    response = _authorize(client, world, challenge, redirect_uri="https://evil.example/steal")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_a_cli_may_come_back_on_any_loopback_port(client, world):
    _sign_in(client, world.user_id)
    verifier, challenge = _pkce()
    redirect = "http://127.0.0.1:53121/callback"
    query = _query(_authorize(client, world, challenge, redirect_uri=redirect))
    assert "code" in query
    response = _redeem(client, world, query["code"], verifier, redirect_uri=redirect)
    assert response.status_code == 200, response.json


def test_an_unknown_client_is_told_so(client, world):
    _sign_in(client, world.user_id)
    _, challenge = _pkce()
    response = _authorize(client, world, challenge, client_id="no-such-client")
    assert response.status_code == 400 and response.json["error"] == "invalid_client"


def test_implicit_grant_is_refused(client, world):
    _sign_in(client, world.user_id)
    _, challenge = _pkce()
    response = _authorize(client, world, challenge, response_type="token")
    query = _query(response)
    assert query["error"] == "unsupported_response_type"
    assert "access_token" not in response.headers["Location"]


def test_password_grant_is_refused(client, world):
    response = client.post("/oauth/token", data={"grant_type": "password", "username": "operator@makassar.example.go.id",
                                                 "password": PASSWORD, "client_id": world.public_id})
    assert response.status_code == 400 and response.json["error"] == "unsupported_grant_type"


# --- refresh tokens ----------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(client, world, settings):
    tokens = _signed_in_tokens(client, world)
    first = tokens["refresh_token"]
    rotated = _refresh(client, world, first)
    assert rotated.status_code == 200, rotated.json
    second = rotated.json["refresh_token"]
    assert second != first
    assert principal_from_bearer(f"Bearer {rotated.json['access_token']}", settings).user_id == world.user_id

    reused = _refresh(client, world, first)
    assert reused.status_code == 400 and reused.json["error"] == "invalid_grant"
    assert "already used or revoked" in reused.json["error_description"]
    # The stolen copy's family is gone, including the token its rightful holder got last.
    assert _refresh(client, world, second).json["error"] == "invalid_grant"


def test_refresh_tokens_are_stored_as_hashes(client, world, database):
    tokens = _signed_in_tokens(client, world)
    with database.transaction(PLATFORM) as session:
        row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(tokens["refresh_token"])))
        assert row is not None and row.token_hash != tokens["refresh_token"]


def test_revoking_a_refresh_token_ends_it(client, world):
    tokens = _signed_in_tokens(client, world)
    response = client.post("/oauth/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token",
                                                  "client_id": world.public_id})
    assert response.status_code == 200
    assert _refresh(client, world, tokens["refresh_token"]).json["error"] == "invalid_grant"
    # RFC 7009: an unknown token is not an error.
    assert client.post("/oauth/revoke", data={"token": "nothing-like-it", "client_id": world.public_id}).status_code == 200


def test_a_revoked_access_token_is_refused_at_once(client, world):
    tokens = _signed_in_tokens(client, world)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    tenant = f"/api/v1/tenants/{world.tenant_a.slug}"
    assert client.get(tenant, headers=bearer).status_code == 200
    response = client.post("/oauth/revoke", data={"token": tokens["access_token"], "token_type_hint": "access_token",
                                                  "client_id": world.public_id})
    assert response.status_code == 200
    client.application.extensions["siaga112.in_force"].forget()  # as the next epoch poll does
    refused = client.get(tenant, headers=bearer)
    assert refused.status_code == 401 and "revoked" in refused.json["detail"]
    # Only the token's own client may revoke it; another token of the same person goes on working.
    others = _signed_in_tokens(client, world)
    assert client.get(tenant, headers={"Authorization": f"Bearer {others['access_token']}"}).status_code == 200


def test_revoking_a_persons_refresh_tokens(client, world, database):
    tokens = _signed_in_tokens(client, world)
    with database.transaction(PLATFORM) as session:
        assert revoke_refresh_tokens_of_user(session, world.user_id) >= 1
    assert _refresh(client, world, tokens["refresh_token"]).json["error"] == "invalid_grant"


# --- client credentials -------------------------------------------------------------------


def test_a_machine_client_gets_a_token_for_exactly_its_tenant(client, world, settings):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=_basic(world.machine_id, world.machine_secret))
    assert response.status_code == 200, response.json
    assert "refresh_token" not in response.json and response.json["scope"] == "api"
    principal = principal_from_bearer(f"Bearer {response.json['access_token']}", settings)
    assert principal.kind == "client" and principal.subject == world.machine_id
    assert principal.grants == (Grant(MACHINE_CLIENT, world.tenant_b.id, tenant=world.tenant_b.slug),)
    assert principal.tenant_ids() == {world.tenant_b.id}


def test_a_machine_client_with_a_wrong_secret_is_refused(client, world):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=_basic(world.machine_id, "wrong"))
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_a_machine_client_may_not_ask_for_more_scope(client, world):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "api openid"},
                           headers=_basic(world.machine_id, world.machine_secret))
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"


def test_a_public_client_cannot_use_client_credentials(client, world):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": world.public_id})
    assert response.status_code in (400, 401) and response.json["error"] == "invalid_client"


def test_a_machine_client_secret_is_stored_only_as_a_hash(world, database):
    with database.transaction(PLATFORM) as session:
        row = session.get(OAuthClient, world.machine_id)
        assert row.client_secret_hash == hashlib.sha256(world.machine_secret.encode()).hexdigest()
        assert world.machine_secret not in json.dumps([str(getattr(row, c.key)) for c in OAuthClient.__table__.c])


def test_a_revoked_client_gets_nothing_more(client, world, database):
    with database.transaction(PLATFORM) as session:
        machine, secret = create_machine_client(session, world.tenant_b, "Old PBX", ACTOR)
    with database.transaction(PLATFORM) as session:
        revoke_client(session, session.get(OAuthClient, machine.client_id), ACTOR)
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == machine.client_id)
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["oauth_client.create", "oauth_client.revoke"]
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(machine.client_id, secret))
    assert response.status_code in (400, 401) and response.json["error"] == "invalid_client"
    assert "revoked" in response.json["error_description"]


def test_a_machine_client_needs_a_name(world, database):
    with pytest.raises(ValueError, match="needs a name"):
        with database.transaction(PLATFORM) as session:
            create_machine_client(session, world.tenant_b, "  ", ACTOR)


def test_a_public_client_needs_safe_redirect_uris(database):
    for bad in ("http://app.example.go.id/callback", "not a url", "https://app.example.go.id/cb#fragment"):
        with pytest.raises(ValueError):
            with database.transaction(PLATFORM) as session:
                create_public_client(session, "Bad", [bad], ACTOR)


# --- discovery, keys, userinfo --------------------------------------------------------------


def test_discovery_document(client, settings):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json
    issuer = settings.public_url
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/oauth/authorize"
    assert doc["token_endpoint"] == f"{issuer}/oauth/token"
    assert doc["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert doc["userinfo_endpoint"] == f"{issuer}/oauth/userinfo"
    assert doc["jwks_uri"] == f"{issuer}/oauth/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert not {"implicit", "password"} & set(doc["grant_types_supported"])
    OpenIDProviderMetadata(doc).validate()


def test_jwks_publishes_only_the_public_key(client, settings):
    keys = client.get("/oauth/jwks").json["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == signing_key(settings).kid
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_userinfo_answers_for_the_person_of_the_token(client, world):
    tokens = _signed_in_tokens(client, world)
    response = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    assert response.json == {"sub": str(world.user_id), "name": "Andi Operator",
                             "email": "operator@makassar.example.go.id",
                             "grants": [{"role": OPERATOR, "tenant_id": str(world.tenant_a.id),
                                         "tenant": world.tenant_a.slug}]}


def test_userinfo_without_a_valid_token_is_401_with_a_bearer_challenge(client):
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        response = client.get("/oauth/userinfo", headers=headers)
        assert response.status_code == 401
        assert response.json["error"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="siaga112", error="invalid_token"')


def test_userinfo_is_for_people_not_machines(client, world):
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=_basic(world.machine_id, world.machine_secret)).json["access_token"]
    response = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json["error"] == "insufficient_scope"


# --- verifying access tokens -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings: Settings, **overrides) -> dict:
    now = int(time.time())
    claims = {"iss": settings.public_url, "aud": settings.public_url, "sub": str(uuid.uuid4()), "client_id": "web",
              "iat": now, "exp": now + 300, "jti": secrets.token_hex(8), "scope": "api",
              "grants": [{"role": "platform_admin"}]}
    return {k: v for k, v in (claims | overrides).items() if v is not None}


def _forge(settings: Settings, header: dict | None = None, **claims) -> str:
    """A token signed with our own key, with the header and claims a test wants."""
    key = signing_key(settings)
    full_header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid} | (header or {})
    return jwt.encode(full_header, _claims(settings, **claims), key.private, algorithms=["RS256"])


def _raw(header: dict, payload: dict, sign) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{sign(signing_input.encode())}"


def test_a_valid_token_gives_the_principal(settings):
    user_id = uuid.uuid4()
    tenant_id = uuid.uuid4()
    token = _forge(settings, sub=str(user_id), name="Sri", email="sri@example.go.id",
                   grants=[{"role": "supervisor", "tenant_id": str(tenant_id), "tenant": "kota-metro"}])
    principal = principal_from_bearer(f"Bearer {token}", settings)
    assert principal.kind == "user" and principal.user_id == user_id
    assert principal.name == "Sri" and principal.email == "sri@example.go.id"
    assert principal.grants == (Grant("supervisor", tenant_id, tenant="kota-metro"),)
    assert principal_from_bearer(f"bearer {token}", settings) == principal  # the scheme is case-insensitive


def test_a_client_token_gives_a_client_principal(settings):
    token = _forge(settings, sub="machine-1", client_id="machine-1")
    assert principal_from_bearer(f"Bearer {token}", settings).kind == "client"


@pytest.mark.parametrize("header, message", [
    (None, "No access token"),
    ("", "No access token"),
    ("Basic dXNlcjpwYXNz", "Bearer <token>"),
    ("Bearer", "carries no token"),
    ("Bearer ", "carries no token"),
    ("Bearer not.a.jwt!", "not a signed JWT"),
    ("Bearer abc", "not a signed JWT"),
])
def test_a_missing_or_malformed_header_is_refused(settings, header, message):
    with pytest.raises(InvalidToken, match=message):
        principal_from_bearer(header, settings)


def test_an_expired_token_is_refused_with_when_and_what_to_do(settings):
    past = int(time.time()) - 3600
    token = _forge(settings, iat=past - 300, exp=past)
    with pytest.raises(InvalidToken, match="expired at .*refresh token"):
        principal_from_bearer(f"Bearer {token}", settings)


def test_a_token_just_past_expiry_is_within_the_leeway(settings):
    token = _forge(settings, exp=int(time.time()) - 5)
    assert principal_from_bearer(f"Bearer {token}", settings).kind == "user"


def test_a_token_issued_in_the_future_is_refused(settings):
    token = _forge(settings, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)
    with pytest.raises(InvalidToken, match="not valid yet"):
        principal_from_bearer(f"Bearer {token}", settings)


def test_a_bad_signature_is_refused(settings):
    header, payload, signature = _forge(settings).split(".")
    tampered_payload = _b64(json.dumps(_claims(settings, grants=[{"role": "platform_admin"}], sub="x")).encode())
    for token in (f"{header}.{tampered_payload}.{signature}", f"{header}.{payload}.{_b64(b'0' * 256)}"):
        with pytest.raises(InvalidToken, match="signature does not verify"):
            principal_from_bearer(f"Bearer {token}", settings)


def test_alg_none_is_refused(settings):
    key = signing_key(settings)
    token = _raw({"alg": "none", "typ": "at+jwt", "kid": key.kid}, _claims(settings), lambda _: "")
    with pytest.raises(InvalidToken, match="alg 'none'"):
        principal_from_bearer(f"Bearer {token}", settings)


def test_hs256_signed_with_the_public_key_is_refused(settings):
    key = signing_key(settings)
    public_pem = key.public.as_pem(private=False)
    token = _raw({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}, _claims(settings),
                 lambda data: _b64(hmac.new(public_pem, data, hashlib.sha256).digest()))
    with pytest.raises(InvalidToken, match="alg 'HS256'"):
        principal_from_bearer(f"Bearer {token}", settings)


def test_a_token_from_another_issuer_is_refused(settings):
    with pytest.raises(InvalidToken, match="issued by 'https://evil.example'"):
        principal_from_bearer(f"Bearer {_forge(settings, iss='https://evil.example')}", settings)


def test_a_token_for_another_audience_is_refused(settings):
    with pytest.raises(InvalidToken, match="another audience"):
        principal_from_bearer(f"Bearer {_forge(settings, aud='https://other.example')}", settings)


def test_a_token_of_the_wrong_type_is_refused(settings):
    for typ in ("JWT", None):
        with pytest.raises(InvalidToken, match="not an access token"):
            principal_from_bearer(f"Bearer {_forge(settings, header={'typ': typ} if typ else {'typ': ''})}", settings)


def test_an_id_token_cannot_be_used_as_an_access_token(client, world, settings):
    tokens = _signed_in_tokens(client, world)
    with pytest.raises(InvalidToken, match="ID token cannot call the API"):
        principal_from_bearer(f"Bearer {tokens['id_token']}", settings)


def test_a_token_signed_by_another_key_is_refused(settings, tmp_path):
    other = _cached_key("", tmp_path)
    token = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": other.kid}, _claims(settings), other.private,
                       algorithms=["RS256"])
    with pytest.raises(InvalidToken, match="key this Siaga112 does not use"):
        principal_from_bearer(f"Bearer {token}", settings)
    same_kid = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": signing_key(settings).kid}, _claims(settings),
                          other.private, algorithms=["RS256"])
    with pytest.raises(InvalidToken, match="signature does not verify"):
        principal_from_bearer(f"Bearer {same_kid}", settings)


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "jti", "client_id", "aud", "iss"])
def test_a_token_without_a_required_claim_is_refused(settings, missing):
    with pytest.raises(InvalidToken):
        principal_from_bearer(f"Bearer {_forge(settings, **{missing: None})}", settings)


@pytest.mark.parametrize("grants", [None, "platform_admin", [{"tenant_id": "x"}], [{"role": "operator", "tenant_id": "no"}]])
def test_a_token_with_malformed_grants_is_refused(settings, grants):
    with pytest.raises(InvalidToken, match="grants"):
        principal_from_bearer(f"Bearer {_forge(settings, grants=grants)}", settings)


def test_issue_access_token_uses_the_same_claims(world, database, settings):
    with database.transaction(PLATFORM) as session:
        person = find_user_by_email(session, "operator@makassar.example.go.id")
        token = issue_access_token(session, person, ttl=120, settings=settings)
    claims = jwt.decode(token, signing_key(settings).public, algorithms=["RS256"]).claims
    assert claims["exp"] - claims["iat"] == 120
    principal = principal_from_bearer(f"Bearer {token}", settings)
    assert principal.user_id == world.user_id
    assert principal.grants == (Grant(OPERATOR, world.tenant_a.id, tenant=world.tenant_a.slug),)


# --- the signing key -----------------------------------------------------------------------------


def test_a_generated_key_is_private_to_its_owner_and_stable(tmp_path):
    first = _cached_key("", tmp_path)
    path = tmp_path / "secrets" / "jwt-signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _cached_key.cache_clear()
    assert _cached_key("", tmp_path).kid == first.kid


def test_a_configured_key_is_used_and_its_kid_is_the_rfc7638_thumbprint(tmp_path):
    generated = _cached_key("", tmp_path / "a")
    pem = generated.private.as_pem(private=True).decode()
    configured = signing_key(replace(Settings.from_env({"SIAGA_DATA_DIR": str(tmp_path / "b")}),
                                     jwt_key=pem.replace("\n", "\\n")))
    assert configured.kid == generated.kid == generated.public.thumbprint()
    assert not (tmp_path / "b" / "secrets").exists()


@pytest.mark.parametrize("value, message", [
    ("not a key", "PEM RSA private key"),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "PEM RSA private key"),
])
def test_a_bad_configured_key_is_a_config_error(tmp_path, value, message):
    with pytest.raises(ConfigError, match=message):
        signing_key(replace(Settings.from_env({"SIAGA_DATA_DIR": str(tmp_path)}), jwt_key=value))


def test_an_ec_or_short_key_is_a_config_error(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    plain = (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(*plain).decode()
    short_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(*plain).decode()
    base = Settings.from_env({"SIAGA_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="needs an RSA key"):
        signing_key(replace(base, jwt_key=ec_pem))
    with pytest.raises(ConfigError, match="at least 2048 bits"):
        signing_key(replace(base, jwt_key=short_pem))


# --- the command line ------------------------------------------------------------------------------


def _run(*args, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_cli_client_create_prints_a_working_secret(client, world, settings):
    result = _run("client", "create", "--tenant", world.tenant_a.slug, "--name", "PBX Kota Makassar")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert set(created) == {"client_id", "client_secret"}
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=_basic(created["client_id"], created["client_secret"]))
    principal = principal_from_bearer(f"Bearer {response.json['access_token']}", settings)
    assert principal.grants == (Grant(MACHINE_CLIENT, world.tenant_a.id, tenant=world.tenant_a.slug),)


def test_cli_client_create_needs_an_existing_tenant():
    result = _run("client", "create", "--tenant", "kota-atlantis", "--name", "PBX")
    assert result.exit_code == 1 and "There is no tenant 'kota-atlantis'" in result.output


def test_cli_token_issue_prints_a_token_and_audits_it(world, settings, database):
    result = _run("token", "issue", "operator@makassar.example.go.id", "--ttl", "600")
    assert result.exit_code == 0, result.output
    principal = principal_from_bearer(f"Bearer {result.output.strip()}", settings)
    assert principal.user_id == world.user_id
    with database.transaction(PLATFORM) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "token.issue",
                                                       AuditEntry.target_id == str(world.user_id))) is not None


def test_cli_token_issue_errors():
    assert "There is no account" in _run("token", "issue", "nobody@example.go.id").output
    assert _run("token", "issue", "operator@makassar.example.go.id", "--ttl", "5").exit_code == 2


def test_cli_user_create_with_a_tenant_role(world, settings):
    result = _run("user", "create", "supervisor@makassar.example.go.id", "--role", "supervisor",
                  "--tenant", world.tenant_a.slug, "--name", "Budi", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["role"] == "supervisor" and created["tenant"] == world.tenant_a.slug
    token = _run("token", "issue", "supervisor@makassar.example.go.id").output.strip()
    assert principal_from_bearer(f"Bearer {token}", settings).grants == (
        Grant("supervisor", world.tenant_a.id, tenant=world.tenant_a.slug),)


def test_cli_user_create_with_a_platform_role():
    result = _run("user", "create", "verifier@kemendagri.example.go.id", "--role", "ministry_verifier",
                  "--password-stdin", input=PASSWORD)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message", [
    (["--role", "wizard"], "Unknown role 'wizard'"),
    (["--role", "platform_admin", "--tenant", "kota-makassar"], "platform role"),
    (["--role", "operator"], "add --tenant SLUG"),
    (["--role", "operator", "--tenant", "kota-atlantis"], "There is no tenant"),
    (["--role", "agency_responder", "--tenant", "kota-makassar", "--agency", "police"], "agency id"),
    (["--role", "platform_admin"], "--password-stdin"),
])
def test_cli_user_create_refuses_bad_input(args, message, world):
    stdin = ["--password-stdin"] if message != "--password-stdin" else []
    result = _run("user", "create", "someone@example.go.id", *args, *stdin, input=PASSWORD)
    assert result.exit_code != 0 and message in result.output


def test_cli_user_create_refuses_a_weak_password(database):
    result = _run("user", "create", "weak@example.go.id", "--role", "national_monitor", "--password-stdin",
                  input="short")
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    with database.transaction(PLATFORM) as session:
        assert find_user_by_email(session, "weak@example.go.id") is None


# --- odd input never gives a 500 ------------------------------------------------------------------

ODD_REQUESTS = {
    "token without anything": ("post", "/oauth/token", {}, {}),
    "code grant without code or client": ("post", "/oauth/token", {"grant_type": "authorization_code"}, {}),
    "unknown code": ("post", "/oauth/token", {"grant_type": "authorization_code", "code": "nope",
                                              "client_id": "{public}", "code_verifier": "v" * 43}, {}),
    "NUL in client_id": ("post", "/oauth/token", {"grant_type": "client_credentials", "client_id": "a\x00b",
                                                  "client_secret": "x"}, {}),
    "non-UTF-8 basic credentials": ("post", "/oauth/token", {"grant_type": "client_credentials"},
                                    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}),
    "basic without a colon": ("post", "/oauth/token", {"grant_type": "client_credentials"},
                              {"Authorization": "Basic " + base64.b64encode(b"justone").decode()}),
    "broken base64": ("post", "/oauth/token", {"grant_type": "client_credentials"}, {"Authorization": "Basic %%%"}),
    "NUL in refresh token": ("post", "/oauth/token", {"grant_type": "refresh_token", "refresh_token": "a\x00",
                                                      "client_id": "{public}"}, {}),
    "secret sent by a public client": ("post", "/oauth/token", {"grant_type": "refresh_token", "refresh_token": "x",
                                                                "client_id": "{public}", "client_secret": "x"}, {}),
    "revoke without token": ("post", "/oauth/revoke", {"client_id": "{public}"}, {}),
    "revoke with an odd hint": ("post", "/oauth/revoke", {"client_id": "{public}", "token": "x",
                                                          "token_type_hint": "bogus"}, {}),
    "revoke without client": ("post", "/oauth/revoke", {"token": "x"}, {}),
    "NUL in nonce": ("get", "/oauth/authorize", {"nonce": "a\x00b"}, {}),
    "long nonce": ("get", "/oauth/authorize", {"nonce": "n" * 300}, {}),
    "NUL in client_id at authorize": ("get", "/oauth/authorize", {"client_id": "\x00"}, {}),
    "two response types": ("get", "/oauth/authorize", {"response_type": ["code", "token"]}, {}),
    "unknown scope": ("get", "/oauth/authorize", {"scope": "openid everything"}, {}),
    "bad challenge": ("get", "/oauth/authorize", {"code_challenge": "short"}, {}),
    "prompt none and login": ("get", "/oauth/authorize", {"prompt": "none login"}, {}),
    "token endpoint by GET": ("get", "/oauth/token", {}, {}),
    "userinfo with garbage": ("get", "/oauth/userinfo", {}, {"Authorization": "Bearer a.b.c"}),
}


@pytest.mark.parametrize("name", ODD_REQUESTS)
def test_odd_input_never_gives_a_500(client, world, name):
    method, path, params, headers = ODD_REQUESTS[name]
    params = {k: v.replace("{public}", world.public_id) if isinstance(v, str) else v for k, v in params.items()}
    if method == "get" and path == "/oauth/authorize":
        _sign_in(client, world.user_id)
        _, challenge = _pkce()
        params = {"response_type": "code", "client_id": world.public_id, "redirect_uri": REDIRECT, "scope": SCOPE,
                  "code_challenge": challenge, "code_challenge_method": "S256"} | params
        response = client.get(path, query_string=params, headers=headers)
    elif method == "get":
        response = client.get(path, query_string=params, headers=headers)
    else:
        response = client.post(path, data=params, headers=headers)
    assert 300 <= response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        body = response.json
        assert body.get("error_description") or body.get("detail"), body


def test_prompt_login_asks_for_the_password_again(client, world):
    _sign_in(client, world.user_id)
    _, challenge = _pkce()
    response = _authorize(client, world, challenge, prompt="login")
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.path == "/sign-in"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith("/oauth/authorize?") and "prompt" not in back
    with client.session_transaction() as browser:
        assert "user_id" not in browser


def test_a_deactivated_persons_session_is_ended_and_their_refresh_tokens_refused(client, world, database):
    with database.transaction(PLATFORM) as session:
        person = create_user(session, "leaver@makassar.example.go.id", "Leaver", PASSWORD)
        grant_role(session, person, OPERATOR, world.tenant_a.id)
    _sign_in(client, person.id)
    verifier, challenge = _pkce()
    tokens = _redeem(client, world, _code(client, world, challenge), verifier).json
    with database.transaction(PLATFORM) as session:
        find_user_by_email(session, "leaver@makassar.example.go.id").active = False

    refused = _refresh(client, world, tokens["refresh_token"])
    assert refused.status_code == 400 and "deactivated" in refused.json["error_description"]
    response = _authorize(client, world, challenge)
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    with client.session_transaction() as browser:
        assert "user_id" not in browser


def test_processes_starting_at_once_agree_on_one_generated_key(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: this process holds database connections and threads a fork would copy.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        kids = set(pool.map(_fresh_kid, [tmp_path] * 4))
    assert len(kids) == 1
    assert [p.name for p in (tmp_path / "secrets").iterdir()] == ["jwt-signing-key.pem"]  # no drafts left


def _fresh_kid(data_dir) -> str:
    _cached_key.cache_clear()
    return _cached_key("", data_dir).kid
