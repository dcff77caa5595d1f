"""`siaga112 up`: run the web server, an rq worker, rq cron and the push server as one supervised process group."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from .dependencies import Backoff

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 15
STEADY_SECONDS = 60.0  # a child that ran this long before exiting is restarted at once again


class Stop(Exception):
    """SIGINT or SIGTERM arrived: shut everything down."""


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # when it exited: the time it is due to start again
    backoff: Backoff = field(default_factory=lambda: Backoff(first=1.0, cap=60.0))


class Supervisor:
    def __init__(self, env: dict[str, str], clock: Callable[[], float] = time.monotonic):
        self.env, self.clock = env, clock
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str]) -> None:
        child = Child(name, argv)
        self.children.append(child)
        self._spawn(child)

    def _spawn(self, child: Child) -> None:
        # Each child in a session of its own: a signal meant for a child's process group (rq kills its work
        # horse's group) never reaches `up` or a sibling, and a terminal's Ctrl-C reaches `up` alone, which
        # then stops every child itself.
        child.process = subprocess.Popen(child.argv, env=self.env, start_new_session=True)
        child.started_at, child.restart_at = self.clock(), None
        log.info("started", extra={"child": child.name, "pid": child.process.pid})

    def watch(self, interval: float = 0.5, also: Callable[[], None] = lambda: None) -> None:
        """Restart every child that exits, for as long as `up` runs; never give one up. `also` runs on every
        round (`up` revives its embedded Redis there).

        A child that keeps exiting (its dependency away, a crash on start) is restarted with backoff,
        1 s doubling to 60 s, so a Redis or database outage neither spins the machine nor stops the
        rest; the wait starts over once a child has run STEADY_SECONDS.
        """
        while True:
            self.restart_exited(self.clock())
            also()
            time.sleep(interval)

    def restart_exited(self, now: float) -> None:
        for child in self.children:
            if child.restart_at is None:
                code = child.process.poll()
                if code is None:
                    continue
                if now - child.started_at >= STEADY_SECONDS:
                    child.backoff.reset()
                wait = child.backoff.next()
                child.restart_at = now + wait
                log.warning("exited; restarting it", extra={"child": child.name, "exit_code": code,
                                                             "restart_in_seconds": wait})
            if now >= child.restart_at:
                self._spawn(child)

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, a service manager, a closed terminal


def raise_stop_on_signals() -> None:
    def handler(signum, _frame):
        # A second Ctrl-C (or a SIGINT plus a SIGTERM) must not interrupt the shutdown itself.
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_IGN)
        raise Stop(signal.Signals(signum).name)

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, handler)


def wait_until_ready(url: str, supervisor: Supervisor, essential: str = "web", timeout: float = 120.0) -> bool:
    """True once url answers 200; False on timeout or when the essential child exits (a port taken, a bad
    configuration: nothing to wait for). Any other child that exits meanwhile is restarted, as `watch` would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if any(c.name == essential and c.process.poll() is not None for c in supervisor.children):
            return False
        supervisor.restart_exited(supervisor.clock())
        time.sleep(0.2)
    return False


def service_argv(host: str, port: int, workers: int, push_port: int | None = None) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "-m", "gunicorn", "--config", "python:siaga112.platform.gunicorn_conf",
                "--bind", f"{host}:{port}", "--workers", str(workers), "siaga112.platform.app:create_app()"],
        "worker": [python, "-m", "siaga112.platform.cli", "worker"],
        "cron": [python, "-m", "siaga112.platform.cli", "cron"],
        # Its own process: an open page's stream would hold one of gunicorn's sync workers (docs/push.md).
        "push": [python, "-m", "siaga112.platform.cli", "push", "--host", host,
                 "--port", str(push_port or port % 65535 + 1)],
    }


def child_env(settings_env: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings_env)
    return env
