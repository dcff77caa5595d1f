"""A revoked or changed grant, a deactivated person and a revoked client stop working within seconds.

Reproduces [W2 1/6] item 3: a bearer token issued before a membership was revoked kept writing for
its whole lifetime, and the audit log recorded the role the token claimed rather than the one in
force. Every process now narrows a token to what is in force (identity/in_force.py): it polls the
grants epoch in Redis at most once a second, and without Redis trusts what it cached for 5 s only.
The tests below set those intervals to zero, so that "the next request" is deterministic.
"""

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from siaga112.platform.app import create_app
from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.cli import main as cli
from siaga112.platform.db import app_database
from siaga112.platform.identity import in_force
from siaga112.platform.identity.models import Membership, User
from siaga112.platform.identity.oauth_models import OAuthClient
from siaga112.platform.identity.oauth_service import create_machine_client, revoke_client
from siaga112.platform.identity.service import create_user, grant_role, revoke_member
from siaga112.platform.identity.tokens import MAX_OPS_TTL, issue_access_token
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from tests.test_oauth import _basic

ACTOR = Actor.system("tests")


@pytest.fixture
def every_request_polls(monkeypatch):
    monkeypatch.setattr(in_force, "POLL_SECONDS", 0.0)


def person_with(database, *grants):
    """A person holding (role, tenant or None) grants, and a bearer header of theirs."""
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"r-{uuid.uuid4().hex[:8]}@example.go.id", "Rina", "correct horse battery staple")
        for role, tenant in grants:
            grant_role(session, user, role, tenant.id if tenant else None)
        return user, {"Authorization": f"Bearer {issue_access_token(session, user)}"}


def revoke(database, user, tenant, role):
    with database.transaction(TenantContext(tenant.id)) as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.role == role))
        revoke_member(session, membership, ACTOR)


def test_a_revoked_membership_stops_the_token_at_the_next_poll(client, database, tenants, redis, every_request_polls):
    tenant = tenants["a"]["tenant"]
    user, token = person_with(database, ("regional_admin", tenant))
    path = f"/api/v1/tenants/{tenant.slug}/agencies"
    assert client.get(path, headers=token).status_code == 200
    epoch = redis.get(in_force.EPOCH_KEY)
    revoke(database, user, tenant, "regional_admin")
    assert redis.get(in_force.EPOCH_KEY) != epoch  # the commit announced it
    assert client.get(path, headers=token).status_code == 404  # no grant left in this tenant


def test_without_redis_the_grants_are_read_again_after_a_short_trust(services, database, tenants, monkeypatch):
    monkeypatch.setattr(in_force, "TRUST_WITHOUT_REDIS_SECONDS", 0.0)
    app = create_app({**services.env, "SIAGA_REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    client = app.test_client()
    tenant = tenants["a"]["tenant"]
    user, token = person_with(database, ("regional_admin", tenant))
    path = f"/api/v1/tenants/{tenant.slug}/agencies"
    try:
        assert client.get(path, headers=token).status_code == 200
        revoke(database, user, tenant, "regional_admin")  # nobody can announce it: Redis is away
        assert client.get(path, headers=token).status_code == 404
    finally:
        app_database(app).dispose()


def test_a_deactivated_person_is_refused_everywhere(client, database, tenants, every_request_polls):
    tenant = tenants["a"]["tenant"]
    user, token = person_with(database, ("regional_admin", tenant), ("national_monitor", None))
    assert client.get("/api/v1/tenants", headers=token).status_code == 200
    result = CliRunner().invoke(cli, ["user", "deactivate", user.email])  # another process, as ops would
    assert result.exit_code == 0, result.output
    refused = client.get("/api/v1/tenants", headers=token)
    assert refused.status_code == 401 and "deactivated" in refused.json["detail"]


def test_a_revoked_machine_client_is_refused(client, database, tenants, every_request_polls):
    tenant = tenants["b"]["tenant"]
    with database.transaction(PLATFORM) as session:
        machine, secret = create_machine_client(session, tenant, "PBX to retire", ACTOR)
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         headers=_basic(machine.client_id, secret))
    token = {"Authorization": f"Bearer {answer.json['access_token']}"}
    path = f"/api/v1/tenants/{tenant.slug}"
    assert client.get(path, headers=token).status_code == 200
    with database.transaction(PLATFORM) as session:
        revoke_client(session, session.get(OAuthClient, machine.client_id), ACTOR)
    refused = client.get(path, headers=token)
    assert refused.status_code == 401 and "revoked" in refused.json["detail"]


def test_the_audit_log_records_the_role_actually_in_force(client, database, tenants, every_request_polls):
    tenant = tenants["a"]["tenant"]
    user, token = person_with(database, ("regional_admin", tenant), ("platform_admin", None))
    path = f"/api/v1/tenants/{tenant.slug}"

    def change_address(address):
        etag = client.get(path, headers=token).headers["ETag"]
        assert client.patch(path, json={"address": address}, headers=token | {"If-Match": etag}).status_code == 200
        with database.transaction(PLATFORM) as session:
            return session.scalar(select(AuditEntry.role).where(AuditEntry.actor_id == str(user.id))
                                  .order_by(AuditEntry.id.desc()))

    assert change_address("Jl. Merdeka 1") == "regional_admin"  # the narrower role wins while it is held
    revoke(database, user, tenant, "regional_admin")
    assert change_address("Jl. Merdeka 2") == "platform_admin"  # the same token, the role still in force


def test_a_second_request_reads_nothing_about_the_person_from_the_database(client, database, tenants):
    tenant = tenants["a"]["tenant"]
    _user, token = person_with(database, ("regional_admin", tenant))
    reads: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        reads.append(statement)

    from sqlalchemy import event

    client.get(f"/api/v1/tenants/{tenant.slug}", headers=token)
    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        client.get(f"/api/v1/tenants/{tenant.slug}", headers=token)
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)
    assert not [statement for statement in reads if "memberships" in statement or "FROM users" in statement]


def test_token_issue_lives_an_hour_at_most(database, tenants):
    assert MAX_OPS_TTL == 3600
    result = CliRunner().invoke(cli, ["token", "issue", tenants["a"]["admin"].email, "--ttl", "86400"])
    assert result.exit_code == 2 and "3600" in result.output
    with database.transaction(PLATFORM) as session, pytest.raises(ValueError, match="3600"):
        issue_access_token(session, session.get(User, tenants["a"]["admin"].id), ttl=86400)
