"""What a worker process needs, built once per process from the SIAGA_* environment."""

from __future__ import annotations

from functools import cache

from redis import Redis
from rq import Worker

from ..config import Settings
from ..db import Database, database_urls
from .queues import redis_connection


@cache
def job_settings() -> Settings:
    return Settings.from_env()


@cache
def job_database() -> Database:
    return Database(database_urls(job_settings()).runtime)


def job_redis_url() -> str:
    from ..embedded import redis_url_of

    return redis_url_of(job_settings())


def job_redis() -> Redis:
    return redis_connection(job_redis_url())


class StoppableWorker(Worker):
    """rq's worker, remembering whether a signal asked it to stop: rq's `work()` also returns, without
    one, when it loses Redis or meets an error it does not expect; `siaga112 worker` then starts again."""

    stop_asked = False

    def request_stop(self, signum, frame):
        self.stop_asked = True
        super().request_stop(signum, frame)
