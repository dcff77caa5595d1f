"""rq cron configuration (`rq cron siaga112.platform.jobs.cron`): periodic jobs. Run exactly one."""

from rq import cron

from .outbox import relay_outbox
from .queues import OUTBOX
from .runtime import job_settings

cron.register(relay_outbox, OUTBOX, interval=job_settings().outbox_interval)
