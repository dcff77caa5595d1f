"""The outbox: events are written with the change and reach rq once, even across a Redis outage."""

import pytest

from siaga112.platform.tenancy.context import PLATFORM
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select

from siaga112.platform.db import Database
from siaga112.platform.jobs.events import on
from siaga112.platform.jobs.models import OutboxEvent
from siaga112.platform.jobs.outbox import emit, process_event, relay_after_commit, relay_pending
from siaga112.platform.jobs.queues import OUTBOX, queue

handled: list[dict] = []


@on("test.outage")
def remember(session, payload):
    handled.append(payload)


@pytest.fixture
def runtime_database(services):
    database = Database(services.urls.runtime, pool_size=1)
    yield database
    database.dispose()


def _event(database, event_id):
    with database.transaction(PLATFORM) as session:
        return session.get(OutboxEvent, event_id)


def test_event_written_while_redis_is_down_is_delivered_once_when_it_is_back(runtime_database, restartable_redis):
    connection = Redis.from_url(restartable_redis.url, socket_connect_timeout=1)
    relay_after_commit(runtime_database, lambda: connection)
    restartable_redis.stop()
    handled.clear()

    with runtime_database.transaction(PLATFORM) as session:  # commits although Redis is down
        event_id = emit(session, "test.outage", {"call": 1}).id
    assert _event(runtime_database, event_id).relayed_at is None

    restartable_redis.start()
    assert relay_pending(runtime_database, connection) >= 1
    assert relay_pending(runtime_database, connection) == 0  # relayed events are not sent twice
    SimpleWorker([queue(OUTBOX, connection)], connection=connection).work(burst=True)

    event = _event(runtime_database, event_id)
    assert handled == [{"call": 1}]
    assert event.processed_at is not None and event.deliveries == 1
    # A duplicate job (a relay that crashed after enqueueing) does not run the handlers again.
    assert process_event(runtime_database, event_id) is False
    assert handled == [{"call": 1}]


def test_event_is_relayed_at_commit_when_redis_answers(runtime_database, restartable_redis):
    connection = Redis.from_url(restartable_redis.url)
    relay_after_commit(runtime_database, lambda: connection)
    with runtime_database.transaction(PLATFORM) as session:
        event_id = emit(session, "test.outage", {"call": 2}).id
    assert _event(runtime_database, event_id).relayed_at is not None
    assert f"outbox-{event_id}" in queue(OUTBOX, connection).job_ids


def test_a_commit_relays_its_own_events_once_and_leaves_older_ones_to_cron(runtime_database, restartable_redis):
    connection = Redis.from_url(restartable_redis.url, socket_connect_timeout=1)
    relay_after_commit(runtime_database, lambda: connection)
    with runtime_database.transaction(PLATFORM) as session:  # as if the process died between commit and relay
        waiting = emit(session, "test.outage", {"call": 4}).id
        session.info.pop("siaga112.outbox.emitted")
    with runtime_database.transaction(PLATFORM) as session:
        mine = [emit(session, "test.outage", {"call": n}).id for n in (5, 6)]
    jobs = queue(OUTBOX, connection).job_ids
    assert all(f"outbox-{event_id}" in jobs for event_id in mine) and f"outbox-{waiting}" not in jobs
    assert relay_these_again(runtime_database, connection, mine) == 0  # taken once: a second relay skips them
    assert relay_pending(runtime_database, connection) >= 1  # rq cron's sweep takes the one left waiting
    assert f"outbox-{waiting}" in queue(OUTBOX, connection).job_ids


def relay_these_again(database, connection, event_ids):
    from siaga112.platform.jobs.outbox import relay_these

    return relay_these(database, connection, event_ids)


def test_rolled_back_change_leaves_no_event(runtime_database):
    with pytest.raises(RuntimeError):
        with runtime_database.transaction(PLATFORM) as session:
            emit(session, "test.outage", {"call": 3})
            raise RuntimeError("the change failed")
    with runtime_database.transaction(PLATFORM) as session:
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "test.outage")).all()
    assert {"call": 3} not in payloads


def test_cron_configuration_registers_the_relay():
    from rq import cron

    import siaga112.platform.jobs.cron  # noqa: F401  (registers through rq.cron.register)

    scheduler = cron.create_cron(connection=None)
    assert "siaga112.platform.jobs.outbox.relay_outbox" in [job.func_name for job in scheduler.get_jobs()]
