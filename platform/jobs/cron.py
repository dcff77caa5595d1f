"""rq cron configuration (`rq cron siaga112.platform.jobs.cron`): the kernel's periodic jobs; `siaga112 cron` adds the
contexts' own (platform/app.py `context_cron_jobs`). Run exactly one."""

from rq import cron

from ..identity.jobs import purge_expired_identity
from ..sessions import purge_expired_sessions
from ..storage import sweep_stale_uploads
from .mail import sweep_unsent_mail
from .outbox import relay_outbox
from .queues import DEFAULT, MAIL, OUTBOX
from .runtime import job_settings

cron.register(relay_outbox, OUTBOX, interval=job_settings().outbox_interval)
cron.register(sweep_stale_uploads, DEFAULT, interval=3600)
cron.register(sweep_unsent_mail, MAIL, interval=60)  # mail written while Redis was away goes out within minutes
cron.register(purge_expired_sessions, DEFAULT, interval=3600)
cron.register(purge_expired_identity, DEFAULT, interval=3600)
