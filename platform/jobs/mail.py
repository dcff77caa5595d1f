"""Outgoing e-mail as rq jobs: queue_mail writes the row, send_mail delivers it once.

queue_mail runs inside the caller's transaction (an outbox handler's, usually)
and enqueues the job only after that transaction commits: a job enqueued
earlier could run before its row is visible, and a rolled-back change must
send nothing. If Redis fails in that instant the row is still there;
enqueue_unsent (rq cron) picks up mail that was never tried and has no job.

send_mail locks its row while it talks to the server, so two runs of the same
job (a duplicate enqueue, a retry racing a sweep) send at most once; a mail
already sent is left alone. When the server is down or refuses, the attempt
and the error are committed and the job raises, and rq retries it later
(the worker runs with its scheduler). Delivery is at least once: if the
server accepted a message and the commit of sent_at then failed, the retry
sends it again, with the same Message-ID.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from redis import Redis
from rq import Retry
from rq.job import Job
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Database
from ..mail import OutgoingMail, Transport, compose, transport_for
from ..tenancy.context import PLATFORM
from .queues import MAIL, queue

log = logging.getLogger(__name__)

SEND_MAIL = "siaga112.platform.jobs.mail.send_mail"
# Six tries over about two and a half hours: enough to ride out a mail server's restart or a maintenance window.
RETRY_INTERVALS = [30, 120, 600, 1800, 3600, 3600]
NEVER_TRIED_AFTER = timedelta(minutes=1)  # mail never tried this long after it was written lost its job
SWEEP_BATCH = 500
_PENDING = "siaga112.mail.pending"


class MailNotSent(RuntimeError):
    """The server (or the mail folder) did not take the message; rq retries the job."""


def job_id(mail_id: int) -> str:
    return f"mail-{mail_id}"


# --- writing mail -------------------------------------------------------------------------------------------

def queue_mail(session: Session, recipient: str, subject: str, body: str, recipient_name: str = "") -> OutgoingMail:
    """Write one message for one person in the session's transaction; it is sent once that transaction commits."""
    mail = OutgoingMail(recipient=recipient, recipient_name=recipient_name[:120], subject=subject[:300], body=body)
    session.add(mail)
    session.flush()
    session.info.setdefault(_PENDING, []).append(mail.id)
    return mail


@sa_event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the rows are not committed yet
        return
    mail_ids = session.info.pop(_PENDING, None)
    if not mail_ids:
        return
    from ..dependencies import redis_breaker
    from .runtime import job_redis, job_redis_url  # the worker's (or web process's) Redis, from SIAGA_* settings

    def enqueue() -> bool:
        connection = job_redis()
        for mail_id in mail_ids:
            enqueue_send(connection, mail_id)
        return True

    # Through the process's breaker: a Redis that just failed is not waited on; the sweep enqueues later.
    if not redis_breaker(job_redis_url()).call(enqueue, fallback=False):
        log.info("mail written but not enqueued; rq cron's sweep will enqueue it", extra={"mail_ids": mail_ids})


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    # After a savepoint's rollback the others stay pending; a job for a row that vanished does nothing.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def enqueue_send(connection: Redis, mail_id: int) -> Job:
    return queue(MAIL, connection).enqueue(SEND_MAIL, mail_id, job_id=job_id(mail_id), description=f"mail {mail_id}",
                                           retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))


# --- sending ------------------------------------------------------------------------------------------------

def deliver(database: Database, transport: Transport, sender: str, mail_id: int) -> bool:
    """Send one mail unless it was sent already. True when sent now; raises MailNotSent to be retried."""
    with database.transaction(PLATFORM) as session:
        mail = session.get(OutgoingMail, mail_id, with_for_update=True)
        if mail is None or mail.sent_at is not None:
            return False
        mail.attempts += 1
        error = _attempt(transport, mail, sender)
        if error is None:
            mail.sent_at, mail.last_error = func.now(), None
        else:
            mail.last_error = f"{type(error).__name__}: {error}"[:1000]
    # Raised after the commit, so that the attempt and its error stay on the row for whoever looks.
    if error is not None:
        raise MailNotSent(f"mail {mail_id} to {mail.recipient} not sent: {mail.last_error}") from error
    return True


def _attempt(transport: Transport, mail: OutgoingMail, sender: str) -> Exception | None:
    """None when the transport took the message, else what went wrong."""
    try:
        transport.send(compose(mail, sender))
    except Exception as error:  # noqa: BLE001  (whatever it is goes on the row, then is raised as MailNotSent)
        return error
    return None


def send_mail(mail_id: int) -> bool:
    """rq job: deliver one mail through SIAGA_SMTP_URL (or into the mail folder)."""
    from .runtime import job_database, job_settings

    settings = job_settings()
    return deliver(job_database(), transport_for(settings), settings.mail_from, mail_id)


# --- the sweep ----------------------------------------------------------------------------------------------

def enqueue_unsent(database: Database, connection: Redis, older_than: timedelta = NEVER_TRIED_AFTER) -> int:
    """Enqueue mail that was never tried and has no job (Redis failed as its transaction committed)."""
    with database.transaction(PLATFORM) as session:
        mail_ids = session.scalars(
            select(OutgoingMail.id).where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts == 0,
                                          OutgoingMail.created_at < func.now() - older_than)
            .order_by(OutgoingMail.id).limit(SWEEP_BATCH)).all()
    orphans = [mail_id for mail_id in mail_ids if not Job.exists(job_id(mail_id), connection)]
    for mail_id in orphans:
        enqueue_send(connection, mail_id)
    return len(orphans)


def sweep_unsent_mail() -> int:
    """rq cron job: see enqueue_unsent."""
    from .runtime import job_database, job_redis

    return enqueue_unsent(job_database(), job_redis())
