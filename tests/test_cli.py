"""The bootstrap and ops commands, run against the test database through the real CLI."""

import json

import pytest
from click.testing import CliRunner

from siaga112.platform.audit.service import verify_chains
from siaga112.platform.cli import main
from siaga112.platform.tenancy.context import PLATFORM


@pytest.fixture
def run(services):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def bogor(services):
    result = CliRunner().invoke(main, ["tenant", "create", "32.71"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_tenant_create_prints_the_slug_and_refuses_a_second(run, bogor):
    assert bogor == "kota-bogor"
    again = run("tenant", "create", "32.71")
    assert again.exit_code == 1 and "already has a tenant" in again.output
    unknown = run("tenant", "create", "99.99")
    assert unknown.exit_code == 1 and "no region" in unknown.output


def test_user_create_then_token_issue_gives_a_working_token(run, client, bogor):
    created = run("user", "create", "camat@bogorkota.go.id", "--role", "regional_admin", "--tenant", bogor,
                  "--name", "Admin Bogor", "--password-stdin", input="correct horse battery staple\n")
    assert created.exit_code == 0, created.output
    assert json.loads(created.output) | {"id": None} == {"id": None, "email": "camat@bogorkota.go.id",
                                                          "role": "regional_admin", "tenant": "kota-bogor"}
    token = run("token", "issue", "camat@bogorkota.go.id", "--ttl", "120").output.strip()
    response = client.get(f"/api/v1/tenants/{bogor}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["name"] == "Kota Bogor"
    assert client.get("/api/v1/tenants/kota-metro", headers={"Authorization": f"Bearer {token}"}).status_code == 404


@pytest.mark.parametrize("args, message", [
    (["--role", "platform_admin", "--tenant", "kota-bogor"], "platform role"),
    (["--role", "operator"], "--tenant"),
    (["--role", "chief"], "Unknown role"),
])
def test_user_create_says_what_is_wrong(run, bogor, args, message):
    result = run("user", "create", "x@example.go.id", *args, "--password-stdin", input="correct horse battery staple")
    assert result.exit_code == 2 and message in result.output


def test_user_create_refuses_a_weak_password(run, bogor):
    result = run("user", "create", "weak@example.go.id", "--role", "operator", "--tenant", bogor, "--password-stdin",
                 input="short")
    assert result.exit_code == 1 and "at least 12 characters" in result.output


def test_a_machine_client_reaches_its_tenant_and_nothing_else(run, client, bogor, tenants):
    created = run("client", "create", "--tenant", bogor, "--name", "IP-PBX Bogor")
    assert created.exit_code == 0, created.output
    credentials = json.loads(created.output)
    issued = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(credentials["client_id"], credentials["client_secret"]))
    assert issued.status_code == 200, issued.json
    headers = {"Authorization": f"Bearer {issued.json['access_token']}"}
    assert client.get(f"/api/v1/tenants/{bogor}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}/members", headers=headers).status_code == 404


def test_audit_verify_reports_what_the_chains_say(run, database):
    with database.transaction(PLATFORM) as session:
        checked, problems = verify_chains(session)
    result = run("audit", "verify")
    assert f"{len(problems)} problems" in result.output
    assert result.exit_code == (1 if problems else 0)


def test_an_account_without_a_password_gets_one_and_can_sign_in(run, database, tenants):
    from siaga112.platform.identity.service import authenticate, create_user

    with database.transaction(PLATFORM) as session:
        create_user(session, "invited@example.go.id", "Invited")
    with database.transaction(PLATFORM) as session:
        assert authenticate(session, "invited@example.go.id", "correct horse battery staple") is None
    result = run("user", "set-password", "invited@example.go.id", "--password-stdin",
                 input="correct horse battery staple\n")
    assert result.exit_code == 0, result.output
    with database.transaction(PLATFORM) as session:
        assert authenticate(session, "invited@example.go.id", "correct horse battery staple") is not None
    assert run("user", "set-password", "nobody@example.go.id", "--password-stdin", input="correct horse battery staple"
               ).exit_code == 1


def test_user_create_works_in_a_fresh_process(services, bogor):
    """A new process has imported no context's models: the command must import them itself."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "siaga112.platform.cli", "user", "create", "fresh@bogorkota.go.id", "--role", "operator",
         "--tenant", bogor, "--password-stdin"],
        input="correct horse battery staple\n", env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tenant"] == bogor
