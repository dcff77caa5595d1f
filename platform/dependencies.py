"""While a dependency is away: skip it for a while instead of waiting on it, retry with backoff, say so once a minute.

A 112 platform degrades, it never stops. PostgreSQL is the one store that must be up (a request
without it answers 503 and recovers by itself, see errors.py); Redis carries the job queues, the
rate-limit counters and the cache invalidations, and every use of it has a fallback:
- a request that would relay outbox events or bump the grants epoch asks `redis_breaker(url)` first;
  after a failure it skips Redis for a while (1 s, doubling to 30 s) instead of waiting out a
  connect timeout on every request; the events wait in the outbox for rq cron's next relay;
- the worker and rq cron (`keep_running`) wait for Redis with backoff and start again when it is
  back, rather than exiting and being given up on;
- each says so in the log once a minute, not once a request.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
REPORT_EVERY = 60.0
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass
class Backoff:
    """Waits of `first` seconds, doubling up to `cap`; `reset()` after a success."""

    first: float = 1.0
    cap: float = 30.0
    current: float = field(init=False)

    def __post_init__(self):
        self.current = self.first

    def next(self) -> float:
        wait, self.current = self.current, min(self.cap, self.current * 2)
        return wait

    def reset(self) -> None:
        self.current = self.first


class OnceAMinute:
    """A warning that is logged at most once per REPORT_EVERY seconds, with how often it happened meanwhile."""

    def __init__(self, logger: logging.Logger, every: float = REPORT_EVERY):
        self.logger, self.every = logger, every
        self.last = float("-inf")
        self.suppressed = 0
        self.lock = threading.Lock()

    def warning(self, message: str, **extra) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.last < self.every:
                self.suppressed += 1
                return
            repeats, self.suppressed, self.last = self.suppressed, 0, now
        self.logger.warning(message, extra={**extra, "repeated": repeats})


class Breaker:
    """Per process and dependency: whether to try it now, after it failed (see the module)."""

    def __init__(self, name: str, first: float = 1.0, cap: float = 30.0):
        self.name = name
        self.backoff = Backoff(first, cap)
        self.retry_at = 0.0
        self.down_since: float | None = None
        self.report = OnceAMinute(log)
        self.lock = threading.Lock()

    def available(self) -> bool:
        return time.monotonic() >= self.retry_at

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        with self.lock:
            now = time.monotonic()
            self.down_since = self.down_since or now
            self.retry_at = now + self.backoff.next()
        self.report.warning(f"{self.name} unreachable; going on without it", dependency=self.name,
                            error=f"{type(error).__name__}: {error}",
                            down_for_seconds=round(time.monotonic() - self.down_since))

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            down_for = time.monotonic() - (self.down_since or time.monotonic())
            self.down_since, self.retry_at = None, 0.0
            self.backoff.reset()
        log.warning(f"{self.name} is back", extra={"dependency": self.name, "down_for_seconds": round(down_for)})

    def call(self, action: Callable[[], object], fallback=None):
        """`action()`, unless the dependency is being skipped or fails now: then `fallback`."""
        if not self.available():
            return fallback
        try:
            result = action()
        except (RedisError, OSError) as error:  # a read-only replica or OOM is as good as away here
            self.failed(error)
            return fallback
        self.succeeded()
        return result


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def redis_breaker(url: str) -> Breaker:
    """The process's breaker for the Redis at `url`."""
    with _breakers_lock:
        return _breakers.setdefault(url, Breaker("Redis"))


def wait_for_redis(connection: Redis, who: str, backoff: Backoff | None = None) -> None:
    """Return once Redis answers a PING; until then retry with backoff, saying so once a minute."""
    backoff = backoff or Backoff()
    report = OnceAMinute(log)
    started = time.monotonic()
    while True:
        try:
            connection.ping()
            if time.monotonic() - started > 1:
                log.warning(f"{who}: Redis answers again", extra={"waited_seconds": round(time.monotonic() - started)})
            return
        except REDIS_DOWN as error:
            report.warning(f"{who}: waiting for Redis", error=f"{type(error).__name__}: {error}",
                           waited_seconds=round(time.monotonic() - started))
            time.sleep(backoff.next())


def keep_running(run: Callable[[], bool], connection: Redis, who: str) -> None:
    """Run `run()` (an rq worker or rq cron) for as long as it is meant to run, through Redis outages: wait
    for Redis, run, and when it fails because Redis went away — or returns False, having quit on its
    own (rq's worker quits on a Redis timeout or an unexpected error) — wait and run again. `run()`
    returns True when it was asked to stop or has finished (a burst)."""
    backoff = Backoff()
    while True:
        # rq installs handlers of its own while it runs; between runs a SIGTERM must simply end the process.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        wait_for_redis(connection, who, backoff)
        try:
            if run():
                return
            log.warning(f"{who}: stopped without being asked to; starting again")
        except REDIS_DOWN as error:
            log.warning(f"{who}: lost Redis; starting again when it is back",
                        extra={"error": f"{type(error).__name__}: {error}"})
        time.sleep(backoff.next())
