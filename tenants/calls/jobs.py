"""rq jobs of calls: the retention of callers' numbers (run hourly by `siaga112 cron`)."""

from __future__ import annotations

from siaga112.platform.jobs.queues import DEFAULT
from siaga112.platform.tenancy.context import PLATFORM


def erase_old_callers() -> int:
    """rq cron job: callers' numbers past the retention period are erased; the calls stay."""
    from siaga112.platform.jobs.runtime import job_database

    from . import service

    with job_database().transaction(PLATFORM) as session:
        return service.erase_old_callers(session)


# (function, queue, seconds between runs): read by the composition root's `siaga112 cron`.
CRON = ((erase_old_callers, DEFAULT, 3600),)
