"""Escalation timers with the real processes: `siaga112 cron` and `siaga112 worker` on a Redis of the test's own.

A step fires within 30 s of its due time; a worker killed mid-way and a Redis restarted lose no step, because the
steps live in PostgreSQL; two workers side by side fire each step once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.dispatch.models import Escalation
from tests.test_dispatch import an_incident, dispatch, pbx, region, web  # noqa: F401

SIAGA = [sys.executable, "-m", "siaga112.platform.cli"]
FIRED_WITHIN = timedelta(seconds=30)  # the rule for a step's delay past its due time


def start(command: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(SIAGA + [command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def due_in(database, region, dispatch_id: str, position: int, seconds: float) -> datetime:
    """Bring one step of the dispatch forward to `seconds` from now (the policy's minutes are too long for a test)."""
    due = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        session.execute(update(Escalation).where(Escalation.dispatch_id == uuid.UUID(dispatch_id),
                                                 Escalation.position == position).values(due_at=due))
    return due


def step(database, region, dispatch_id: str, position: int) -> Escalation:
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        row = session.scalar(select(Escalation).where(Escalation.dispatch_id == uuid.UUID(dispatch_id),
                                                      Escalation.position == position))
        session.expunge(row)
        return row


def fired(database, region, dispatch_id: str, position: int, timeout: float = 90) -> Escalation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = step(database, region, dispatch_id, position)
        if row.fired_at is not None:
            return row
        time.sleep(0.5)
    raise AssertionError(f"step {position} did not fire within {timeout} s")


def mails_about(database, incident) -> dict[str, int]:
    """How many mails about the incident each recipient got."""
    with database.transaction(PLATFORM) as session:
        return dict(session.execute(select(OutgoingMail.recipient, func.count()).where(
            OutgoingMail.subject.contains(incident["number"])).group_by(OutgoingMail.recipient)).all())


def test_steps_fire_on_time_through_a_killed_worker_a_restarted_redis_and_two_workers(
        services, restartable_redis, web, pbx, region, database):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")} | services.env | {
        "SIAGA_REDIS_URL": restartable_redis.url, "SIAGA_LOG_LEVEL": "WARNING"}
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]["id"]
    cron, worker = start("cron", env), start("worker", env)
    others = []
    try:
        # On time: due in 5 s, fired within 30 s of it.
        due = due_in(database, region, fire, 1, 5)
        row = fired(database, region, fire, 1)
        assert row.fired_at - due <= FIRED_WITHIN

        # The worker is killed and Redis restarted (its queue lost) while step 2 comes due: it fires once the
        # worker is back, because the step waited in PostgreSQL.
        stop(worker, signal.SIGKILL)
        due_in(database, region, fire, 2, 2)
        restartable_redis.stop()
        time.sleep(4)
        assert step(database, region, fire, 2).fired_at is None  # nobody to fire it
        restartable_redis.start()
        worker = start("worker", env)
        fired(database, region, fire, 2)

        # Two workers side by side: step 3 fires once.
        others.append(start("worker", env))
        due_in(database, region, fire, 3, 3)
        fired(database, region, fire, 3)
        time.sleep(12)  # a further sweep (every 10 s) must not fire it again
        sent = mails_about(database, incident)
        agency = "damkar@banyumas.example.go.id"
        assert sent.pop(agency) == 2  # the dispatch's notification and one reminder
        assert sent and set(sent.values()) == {1}  # each supervisor and admin told once
    finally:
        for process in [cron, worker, *others]:
            stop(process)
