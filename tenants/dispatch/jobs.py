"""rq jobs of dispatch: the escalation sweep (enqueued every few seconds by `siaga112 cron`)."""

from __future__ import annotations

from siaga112.platform.jobs.queues import DEFAULT
from siaga112.platform.tenancy.context import PLATFORM

from .escalation import SWEEP_SECONDS


def sweep_escalations() -> int:
    """rq cron job: fire the escalation steps now due, in every region (see escalation.py)."""
    from siaga112.platform.jobs.runtime import job_database, job_settings

    from . import service

    with job_database().transaction(PLATFORM) as session:
        return service.sweep(session, job_settings().public_url)


# (function, queue, seconds between runs): read by the composition root's `siaga112 cron`.
CRON = ((sweep_escalations, DEFAULT, SWEEP_SECONDS),)
