"""Failed sign-ins lock one e-mail from one address, slow it down from the others, and a regional admin lifts it.

Reproduces [W2 1/6] item 7: five wrong passwords locked any e-mail address for 15 minutes from
everywhere, so anyone could lock the operator on shift out by typing their address.
"""

import uuid

import pytest
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_sign_in import PASSWORD, alert_of, post_sign_in

ATTACKER, OFFICE, ELSEWHERE = "203.0.113.66", "10.112.0.1", "10.112.0.2"


def operator(database, tenant):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"operator-{uuid.uuid4().hex[:8]}@example.go.id", "Operator Malam", PASSWORD)
        grant_role(session, user, "operator", tenant.id)
        return user


def browser_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail(client, email, times):
    return [post_sign_in(client, email, "wrong password!").status_code for _ in range(times)]


def test_an_attacker_locks_only_themselves_out(app, database, tenants):
    person = operator(database, tenants["a"]["tenant"])
    attacker = browser_from(app, ATTACKER)
    assert fail(attacker, person.email, 5) == [200] * 5
    assert post_sign_in(attacker, person.email, PASSWORD).status_code == 429  # even with the right password
    assert post_sign_in(browser_from(app, OFFICE), person.email, PASSWORD).status_code == 302  # on shift: in
    with database.transaction(PLATFORM) as session:
        lock = session.scalar(select(AuditEntry).where(AuditEntry.action == "sign_in.lock",
                                                       AuditEntry.target_id == str(person.id)))
    assert lock is not None and lock.after["address"] == ATTACKER


def test_failures_from_many_addresses_slow_the_e_mail_down_but_never_lock_it(app, database, tenants, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_SLOW_AFTER", 4)
    person = operator(database, tenants["a"]["tenant"])
    for n in range(4):  # a guesser moving from address to address
        assert fail(browser_from(app, f"198.51.100.{n}"), person.email, 1) == [200]
    slowed = post_sign_in(browser_from(app, OFFICE), person.email, PASSWORD)
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= 30
    assert alert_of(slowed).startswith("Alamat e-mail ini sudah banyak kali gagal masuk dari beberapa tempat")
    monkeypatch.setitem(app.config, "SIGN_IN_SLOW_SECONDS", 0)  # the wait is seconds, not minutes
    assert post_sign_in(browser_from(app, OFFICE), person.email, PASSWORD).status_code == 302


def test_a_regional_admin_unlocks_a_member_and_it_is_audited(app, client, database, tenants):
    tenant = tenants["a"]["tenant"]
    person = operator(database, tenant)
    attacker = browser_from(app, ATTACKER)
    fail(attacker, person.email, 5)
    assert post_sign_in(attacker, person.email, PASSWORD).status_code == 429

    with database.transaction(PLATFORM) as session:
        admin = {"Authorization": f"Bearer {issue_access_token(session, session.get(User, tenants['a']['admin'].id))}"}
    members = client.get(f"/api/v1/tenants/{tenant.slug}/members", headers=admin, query_string={"page_size": 500}).json
    membership = next(m for m in members if m["user_id"] == str(person.id))
    unlock = f"/api/v1/tenants/{tenant.slug}/members/{membership['id']}/unlock"
    assert client.post(unlock, headers=admin).status_code == 204
    assert post_sign_in(attacker, person.email, PASSWORD).status_code == 302
    with database.transaction(PLATFORM) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.unlock",
                                                        AuditEntry.target_id == str(person.id)))
    assert entry.tenant_id == tenant.id and entry.role == "regional_admin" and entry.after["failures_forgotten"] == 5

    other_region = tenants["b"]["tenant"].slug
    assert client.post(f"/api/v1/tenants/{other_region}/members/{membership['id']}/unlock",
                       headers=admin).status_code == 404


@pytest.mark.parametrize("address", [OFFICE, ELSEWHERE])
def test_a_success_clears_only_its_own_address(app, database, tenants, address):
    person = operator(database, tenants["a"]["tenant"])
    office = browser_from(app, OFFICE)
    fail(office, person.email, 4)
    fail(browser_from(app, ELSEWHERE), person.email, 4)
    assert post_sign_in(browser_from(app, address), person.email, PASSWORD).status_code == 302
    again = browser_from(app, OFFICE)
    fail(again, person.email, 1)
    expected = 302 if address == OFFICE else 429  # four old failures + one new lock OFFICE unless it was cleared
    assert post_sign_in(again, person.email, PASSWORD).status_code == expected


def test_the_hourly_purge_forgets_failures_older_than_it_keeps_and_keeps_the_recent(database):
    from datetime import datetime, timezone

    from siaga112.platform.identity.jobs import purge_expired_identity
    from siaga112.platform.identity.lockout import KEEP_FAILURES
    from siaga112.platform.identity.models import SignInFailure

    key = uuid.uuid4().hex
    with database.transaction(PLATFORM) as session:
        session.add_all([SignInFailure(email_key=key, address="old", at=datetime.now(timezone.utc) - KEEP_FAILURES * 2),
                         SignInFailure(email_key=key, address="new")])
    purge_expired_identity()  # the rq cron job itself, as the worker runs it
    with database.transaction(PLATFORM) as session:
        left = session.scalars(select(SignInFailure.address).where(SignInFailure.email_key == key)).all()
    assert left == ["new"]
