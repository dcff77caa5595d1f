"""rq cron configuration (`rq cron siaga112.platform.jobs.cron`): periodic jobs. Run exactly one."""

from rq import cron

from .outbox import relay_outbox
from ..storage import sweep_stale_uploads
from .queues import DEFAULT, OUTBOX
from .runtime import job_settings

cron.register(relay_outbox, OUTBOX, interval=job_settings().outbox_interval)
cron.register(sweep_stale_uploads, DEFAULT, interval=3600)
