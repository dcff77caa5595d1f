"""Queue names in one place, and the Redis connection every process uses."""

from __future__ import annotations

from functools import cache

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

# Highest priority first: a worker drains `outbox` before `mail` before `default`.
OUTBOX = "outbox"
MAIL = "mail"
DEFAULT = "default"
QUEUES = (OUTBOX, MAIL, DEFAULT)


@cache
def redis_connection(url: str) -> Redis:
    # Short timeouts and one immediate retry (for a pooled connection Redis closed): a request that
    # relays its outbox events must not hang while Redis is away; rq cron relays them later.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30,
                          retry=Retry(NoBackoff(), 1))


def queue(name: str, connection: Redis) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; queues are {', '.join(QUEUES)}")
    return Queue(name, connection=connection)
