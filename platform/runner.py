"""`siaga112 up`: run the web server, an rq worker and rq cron as one supervised process group."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 15
RESTART_LIMIT = 5  # restarts of one child within RESTART_WINDOW before `up` gives up
RESTART_WINDOW = 60.0


class Stop(Exception):
    """SIGINT or SIGTERM arrived: shut everything down."""


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str]) -> None:
        child = Child(name, argv)
        self.children.append(child)
        self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, env=self.env)
        log.info("started", extra={"child": child.name, "pid": child.process.pid})

    def watch(self, interval: float = 0.5) -> None:
        """Restart a child that dies, a few times; return only if one keeps dying."""
        while True:
            for child in self.children:
                code = child.process.poll()
                if code is None:
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW] + [now]
                if len(child.restarts) > RESTART_LIMIT:
                    log.error("keeps exiting, giving up", extra={"child": child.name, "exit_code": code})
                    return
                log.warning("exited, restarting", extra={"child": child.name, "exit_code": code})
                self._spawn(child)
            time.sleep(interval)

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


def raise_stop_on_signals() -> None:
    def handler(signum, _frame):
        # A second Ctrl-C (or the terminal's SIGINT plus a SIGTERM) must not interrupt the shutdown itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def wait_until_ready(url: str, supervisor: Supervisor, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if any(c.process.poll() is not None for c in supervisor.children):
            return False
        time.sleep(0.2)
    return False


def service_argv(host: str, port: int, workers: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "-m", "gunicorn", "--config", "python:siaga112.platform.gunicorn_conf",
                "--bind", f"{host}:{port}", "--workers", str(workers), "siaga112.platform.app:create_app()"],
        "worker": [python, "-m", "siaga112.platform.cli", "worker"],
        "cron": [python, "-m", "siaga112.platform.cli", "cron"],
    }


def child_env(settings_env: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings_env)
    return env
