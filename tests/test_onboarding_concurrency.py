"""Two verifiers acting at once: exactly one succeeds, the other gets 409 — on real connections and threads."""

import threading

import pytest

from siaga112.onboarding import service
from siaga112.platform.tenancy.context import TenantContext
from tests.test_onboarding_helpers import (actor_of, answer_everything, fresh, make_ready, person, reset_application,
                                           status_of, take_to_visited, tenant_of)


@pytest.fixture(scope="module")
def palangkaraya(database):
    tenant = tenant_of(database, "62.71")
    make_ready(database, tenant)
    return tenant


@pytest.fixture(scope="module")
def people(database, palangkaraya):
    admin = person(database, "regional_admin", palangkaraya)
    first = person(database, "ministry_verifier", None, "Verifier A")
    second = person(database, "ministry_verifier", None, "Verifier B")
    return admin, first, second


def test_the_second_approval_waits_for_the_first_and_is_refused(database, services, palangkaraya, people):
    """Session A approves and holds its transaction open; B's approval blocks on the row lock, then sees
    the application approved and is refused with a Conflict; nothing is approved twice."""
    (admin_user, _), (first_user, _), (second_user, _) = people
    reset_application(database, palangkaraya)
    take_to_visited(database, services, palangkaraya, actor_of(admin_user, "regional_admin"),
                    actor_of(first_user, "ministry_verifier"))
    outcome: dict = {}
    started = threading.Event()

    def second_verifier():
        try:
            with database.transaction(TenantContext(palangkaraya.id)) as session:
                started.set()
                service.act(session, fresh(session, palangkaraya), "approve", None,
                            actor_of(second_user, "ministry_verifier"))
            outcome["result"] = "approved"
        except service.Refusal as error:
            outcome["result"] = error

    session = database.session(TenantContext(palangkaraya.id))
    try:
        service.act(session, fresh(session, palangkaraya), "approve", None, actor_of(first_user, "ministry_verifier"))
        thread = threading.Thread(target=second_verifier)
        thread.start()
        assert started.wait(5)
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second approval must wait for the first one's row lock"
        session.commit()
    finally:
        session.close()
    thread.join(timeout=20)
    assert not thread.is_alive()
    error = outcome["result"]
    assert isinstance(error, service.Conflict) and error.status == 409 and error.code == "status"
    assert error.missing[0].params["status"] == "approved"
    assert status_of(database, palangkaraya) == ("approved", "onboarding")
    with database.transaction(TenantContext(palangkaraya.id)) as session:
        approvals = [t for t in service.history(session, service.find_application(session, palangkaraya.id))
                     if t.action == "approve"]
        routing = service.list_routing(session, fresh(session, palangkaraya))
    assert len(approvals) == 1 and len(routing) == 5


def race(client_factory, requests):
    """Fire the requests at once from threads, each with its own client; their status codes and bodies."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def fire(index, path, body, headers):
        client = client_factory()
        barrier.wait()
        response = client.post(path, json=body, headers=headers)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=fire, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_verifiers_posting_at_once_one_wins_the_other_gets_409(app, client, database, services, palangkaraya,
                                                                   people):
    (admin_user, admin), (_first_user, first), (_second_user, second) = people
    reset_application(database, palangkaraya)
    answer_everything(database, services, palangkaraya, actor_of(admin_user, "regional_admin"))
    path = f"/api/v1/tenants/{palangkaraya.slug}/onboarding/actions"
    assert client.post(path, json={"action": "submit"}, headers=admin).status_code == 200
    for _round in range(4):
        results = race(app.test_client, [(path, {"action": "start_review"}, first),
                                         (path, {"action": "start_review"}, second)])
        assert sorted(status for status, _ in results) == [200, 409], results
        loser = next(body for status, body in results if status == 409)
        assert loser["code"] == "status" and loser["missing"][0]["params"]["status"] == "in_review"
        assert status_of(database, palangkaraya) == ("in_review", "onboarding")
        # Different actions at once: request changes and reject; exactly one of them happens.
        results = race(app.test_client, [(path, {"action": "request_changes", "note": "Lengkapi"}, first),
                                         (path, {"action": "reject", "note": "Tolak"}, second)])
        assert sorted(status for status, _ in results) == [200, 409], results
        winner = next(body for status, body in results if status == 200)
        assert status_of(database, palangkaraya)[0] == winner["status"]
        if winner["status"] == "rejected":
            assert client.post(path, json={"action": "reopen"}, headers=admin).status_code == 200
        assert client.post(path, json={"action": "submit"}, headers=admin).status_code == 200
    with database.transaction(TenantContext(palangkaraya.id)) as session:
        actions = [t.action for t in service.history(session, service.find_application(session, palangkaraya.id))]
    assert actions.count("start_review") == 4


def test_two_first_uses_at_once_create_one_application(app, database, palangkaraya, people):
    (_admin_user, admin), (_first_user, first), _ = people
    reset_application(database, palangkaraya)
    path = f"/api/v1/tenants/{palangkaraya.slug}/onboarding"

    barrier = threading.Barrier(4)
    ids = []

    def first_use(headers):
        barrier.wait()
        ids.append(app.test_client().get(path, headers=headers).get_json()["id"])

    threads = [threading.Thread(target=first_use, args=(h,)) for h in (admin, first, admin, first)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 4 and len(set(ids)) == 1
    with database.transaction(TenantContext(palangkaraya.id)) as session:
        created = [t for t in service.history(session, service.find_application(session, palangkaraya.id))
                   if t.action == "create"]
    assert len(created) == 1
    assert status_of(database, palangkaraya) == ("draft", "prospect")
