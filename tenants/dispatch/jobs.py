"""rq jobs of dispatch: the escalation sweep (enqueued every few seconds by `siaga112 cron`)."""

from __future__ import annotations

from siaga112.platform.jobs.queues import DEFAULT
from siaga112.platform.tenancy.context import PLATFORM

from .escalation import SWEEP_BATCH, SWEEP_SECONDS


def sweep_escalations(budget: float = SWEEP_SECONDS) -> int:
    """rq cron job: fire the escalation steps now due, in every region (see escalation.py), a batch per transaction
    until none is left or `budget` seconds have gone (a backlog after an outage drains over a few sweeps, and the
    next one starts on time); how many fired."""
    import time

    from siaga112.platform.jobs.runtime import job_database, job_settings

    from . import service

    database, public_url = job_database(), job_settings().public_url
    deadline, fired = time.monotonic() + budget, 0
    while True:
        with database.transaction(PLATFORM) as session:
            batch = service.sweep(session, public_url, limit=SWEEP_BATCH)
        fired += batch
        if batch == 0 or time.monotonic() >= deadline:
            return fired


# (function, queue, seconds between runs): read by the composition root's `siaga112 cron`.
CRON = ((sweep_escalations, DEFAULT, SWEEP_SECONDS),)
