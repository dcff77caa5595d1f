"""One unit of work per request: committed once after a successful answer, undone after any other; and the
steps that must wait for that outcome (removing a file) wait for it."""

import uuid

import pytest
from flask import abort
from sqlalchemy import text

from siaga112.platform.app import create_app
from siaga112.platform.db import app_database, on_commit, on_rollback, request_session
from siaga112.platform.identity.access import public
from siaga112.platform.refusals import N_, Conflict
from siaga112.platform.tenancy.context import PLATFORM, set_context

outcomes: list[str] = []


@pytest.fixture(scope="module")
def own_app(services):
    application = create_app(services.env)
    application.config["WTF_CSRF_ENABLED"] = False  # these test routes post no form

    def write(name: str) -> None:
        session = request_session()
        set_context(session, PLATFORM)
        session.execute(text("INSERT INTO outbox (topic, payload) VALUES (:t, '{}')"), {"t": name})
        on_commit(session, lambda: outcomes.append(f"committed {name}"))
        on_rollback(session, lambda: outcomes.append(f"rolled back {name}"))

    @application.post("/test/ok/<name>")
    @public
    def ok(name):
        write(name)
        return "", 204

    @application.post("/test/refused/<name>")
    @public
    def refused(name):
        write(name)
        raise Conflict(N_("Not now."))

    @application.post("/test/form-again/<name>")
    @public
    def form_again(name):
        write(name)
        return "the form again", 422

    @application.post("/test/crash/<name>")
    @public
    def crash(name):
        write(name)
        raise RuntimeError("a bug")

    @application.post("/test/aborted/<name>")
    @public
    def aborted(name):
        write(name)
        abort(404)

    yield application
    app_database(application).dispose()


def written(database, name) -> bool:
    with database.transaction(PLATFORM) as session:
        return session.execute(text("SELECT 1 FROM outbox WHERE topic = :t"), {"t": name}).first() is not None


@pytest.mark.parametrize("route, status, kept", [
    ("ok", 204, True),
    ("refused", 409, False),
    ("form-again", 422, False),
    ("crash", 500, False),
    ("aborted", 404, False),
])
def test_a_request_commits_only_a_successful_answer(own_app, database, route, status, kept):
    name = f"uow-{route}-{uuid.uuid4().hex[:8]}"
    outcomes.clear()
    assert own_app.test_client().post(f"/test/{route}/{name}").status_code == status
    assert written(database, name) is kept
    assert outcomes == [f"{'committed' if kept else 'rolled back'} {name}"]
