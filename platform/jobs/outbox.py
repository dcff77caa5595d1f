"""The transactional outbox: events are rows first and rq jobs second, so Redis being down loses nothing.

Delivery is at least once from the relay's side (a crash between enqueue and
commit enqueues again) and exactly once from the handler's side: the worker
locks the row and skips an event already processed.
"""

from __future__ import annotations

from typing import Callable

from redis import Redis
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..dependencies import Breaker
from ..tenancy.context import PLATFORM
from .events import handlers_for
from .models import OutboxEvent
from .queues import OUTBOX, queue

RELAY_BATCH = 500


def emit(session: Session, topic: str, payload: dict) -> OutboxEvent:
    """Record an event in the caller's transaction; it is relayed only if that transaction commits."""
    event = OutboxEvent(topic=topic, payload=payload)
    session.add(event)
    session.flush()
    session.info.setdefault(_EMITTED, []).append(event.id)
    return event


_EMITTED = "siaga112.outbox.emitted"


def relay_after_commit(database: Database, connection: Callable[[], Redis], breaker: Breaker | None = None) -> None:
    """Relay events as soon as the transaction that wrote them commits, when Redis answers.

    When it does not, the request still succeeds and rq cron relays them later; `breaker` keeps the
    following requests from waiting on a Redis that just failed (see platform.dependencies).
    """
    breaker = breaker or Breaker("Redis")

    @sa_event.listens_for(database.sessions, "after_commit")
    def relay(session: Session) -> None:
        emitted = session.info.pop(_EMITTED, None)
        if emitted:
            try_relay(database, connection(), breaker, emitted)

    @sa_event.listens_for(database.sessions, "after_rollback")
    def forget(session: Session) -> None:
        session.info.pop(_EMITTED, None)


def relay_pending(database: Database, connection: Redis, limit: int = RELAY_BATCH) -> int:
    """Enqueue up to `limit` pending events; returns how many. Raises RedisError if Redis is unreachable."""
    with database.transaction(PLATFORM) as session:
        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.relayed_at.is_(None)).order_by(OutboxEvent.id)
            .limit(limit).with_for_update(skip_locked=True)
        ).all()
        outbox_queue = queue(OUTBOX, connection)
        for event in events:
            outbox_queue.enqueue("siaga112.platform.jobs.outbox.handle_event", event.id,
                                 job_id=f"outbox-{event.id}", description=event.topic)
            event.relayed_at = func.now()
    return len(events)


def relay_these(database: Database, connection: Redis, event_ids: list[int]) -> int:
    """Enqueue the events a transaction just committed (one UPDATE … RETURNING; those another relay took
    meanwhile are skipped); how many. The UPDATE commits only once they are enqueued: if Redis fails on the way,
    rq cron relays them later. Raises RedisError if Redis is unreachable."""
    with database.transaction(PLATFORM) as session:
        taken = session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(event_ids),
                                                          OutboxEvent.relayed_at.is_(None))
                                .values(relayed_at=func.now()).returning(OutboxEvent.id, OutboxEvent.topic)).all()
        outbox_queue = queue(OUTBOX, connection)
        for event_id, topic in sorted(taken):
            outbox_queue.enqueue("siaga112.platform.jobs.outbox.handle_event", event_id,
                                 job_id=f"outbox-{event_id}", description=topic)
    return len(taken)


def try_relay(database: Database, connection: Redis, breaker: Breaker, event_ids: list[int]) -> None:
    """Relay the events just committed if Redis answers; otherwise leave them for rq cron's next relay."""
    breaker.call(lambda: relay_these(database, connection, event_ids))


def process_event(database: Database, event_id: int) -> bool:
    """Run the handlers of one event, once. Returns False when it was already processed or is gone."""
    with database.transaction(PLATFORM) as session:
        event = session.get(OutboxEvent, event_id, with_for_update=True)
        if event is None or event.processed_at is not None:
            return False
        for handler in handlers_for(event.topic):
            handler(session, event.payload)
        event.processed_at = func.now()
        event.deliveries += 1
    return True


def handle_event(event_id: int) -> bool:
    """rq job: process one outbox event."""
    from .runtime import job_database

    return process_event(job_database(), event_id)


def relay_outbox() -> int:
    """rq cron job: relay whatever is pending (events written while Redis was down, or left by a crash)."""
    from .runtime import job_database, job_redis

    return relay_pending(job_database(), job_redis())
