"""E-mail: a row first, then an rq job that delivers it once, through a real SMTP server or into the mail folder.

The SMTP server is aiosmtpd on 127.0.0.1 and a free port; jobs run in-process
in rq's SimpleWorker against the test Redis, as the real worker would run them.
"""

from __future__ import annotations

import os
import socket
import ssl
import uuid
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from rq import SimpleWorker
from rq.job import Job
from rq.scheduler import RQScheduler
from sqlalchemy import func, select

from siaga112.onboarding.notifications import RESUBMITTED, TRANSITION, notices_for
from siaga112.platform.audit.service import Actor
from siaga112.platform.config import ConfigError, Settings
from siaga112.platform.db import Database
from siaga112.platform.identity.models import PlatformRole, User
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.jobs.mail import MailNotSent, enqueue_unsent, job_id, queue_mail, send_mail
from siaga112.platform.jobs.outbox import emit, process_event
from siaga112.platform.jobs.queues import MAIL, queue
from siaga112.platform.jobs.runtime import job_settings
from siaga112.platform.mail import FolderTransport, OutgoingMail, SmtpTransport, bilingual, bilingual_subject
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant

SMTP_USER = "siaga@kominfo.example.go.id"
SMTP_PASSWORD = "p@ss:word/112"  # characters a URL must percent-encode
SMTP_PASSWORD_IN_URL = "p%40ss%3Aword%2F112"


# --- a real SMTP server -------------------------------------------------------------------------------------

class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [BytesParser(policy=policy.default).parsebytes(envelope.content) for envelope in self.envelopes]


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
        SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(port: int, tls: str | None = None, certificate: tuple[Path, Path] | None = None):
    """aiosmtpd on 127.0.0.1:port: plain, or (tls "starttls"/"smtps") encrypted with authentication required."""
    inbox = Inbox()
    options = {}
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        options = {"authenticator": _authenticate, "auth_required": True}
        if tls == "starttls":
            options |= {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        else:  # aiosmtpd does not count TLS from the first byte as TLS for AUTH, although the connection is encrypted
            options |= {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, inbox


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost that is its own trust anchor (the client trusts it through SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    controller, inbox = start_smtp(smtp_port)
    yield inbox
    controller.stop()


def smtp_url(port: int) -> str:
    return f"smtp://127.0.0.1:{port}"


@pytest.fixture
def mail_env(services):
    """Point the jobs' settings at an SMTP URL (or none: the folder) for one test, then back."""
    saved = os.environ.get("SIAGA_SMTP_URL")

    def use(url: str | None) -> Settings:
        if url:
            os.environ["SIAGA_SMTP_URL"] = url
        else:
            os.environ.pop("SIAGA_SMTP_URL", None)
        job_settings.cache_clear()  # jobs read their settings once per process
        return job_settings()

    yield use
    use(saved)


# --- the database, Redis and rq -----------------------------------------------------------------------------

@pytest.fixture
def runtime_database(services):
    """The runtime role, without the app's outbox relay: each test decides what reaches rq."""
    database = Database(services.urls.runtime, pool_size=1)
    yield database
    database.dispose()


@pytest.fixture
def mail_queue(redis):
    mail = queue(MAIL, redis)
    mail.empty()
    return mail


def run_mail_jobs(mail_queue) -> None:
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)


def write_mail(database, recipient="dewi.lestari@example.go.id", name="Dewi Lestari") -> int:
    with database.transaction(PLATFORM) as session:
        return queue_mail(session, recipient,
                          bilingual_subject("Pengajuan 112 baru: Kota Metro", "New 112 application: Kota Metro"),
                          bilingual("Mohon mulai peninjauan.", "Please start the review."), recipient_name=name).id


def mail_row(database, mail_id: int) -> OutgoingMail:
    with database.transaction(PLATFORM) as session:
        return session.get(OutgoingMail, mail_id)


# --- delivery -----------------------------------------------------------------------------------------------

def test_job_delivers_the_mail_to_a_real_smtp_server_once(runtime_database, mail_queue, mail_env, smtp_server,
                                                          smtp_port):
    mail_env(smtp_url(smtp_port))
    mail_id = write_mail(runtime_database)
    assert job_id(mail_id) in mail_queue.job_ids  # enqueued when the transaction committed

    run_mail_jobs(mail_queue)

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["dewi.lestari@example.go.id"]
    [message] = smtp_server.messages()
    assert message["To"] == "Dewi Lestari <dewi.lestari@example.go.id>"
    assert message["From"] == "Siaga112 <noreply@localhost>"
    assert message["Subject"] == "Pengajuan 112 baru: Kota Metro / New 112 application: Kota Metro"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert body.index("Mohon mulai peninjauan.") < body.index("— English —") < body.index("Please start the review.")
    row = mail_row(runtime_database, mail_id)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None

    # A second run of the same job (a duplicate enqueue) finds the mail sent and sends nothing.
    assert send_mail(mail_id) is False
    assert len(smtp_server.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # see start_smtp
@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_job_logs_in_over_a_verified_tls_connection(runtime_database, mail_queue, mail_env, smtp_port, tmp_path,
                                                    scheme):
    certificate = self_signed_certificate(tmp_path)
    controller, inbox = start_smtp(smtp_port, "starttls" if scheme == "smtp+starttls" else "smtps", certificate)
    saved = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(certificate[0])  # OpenSSL's default trust store, which the transport uses
    try:
        mail_env(f"{scheme}://{SMTP_USER.replace('@', '%40')}:{SMTP_PASSWORD_IN_URL}@localhost:{smtp_port}")
        mail_id = write_mail(runtime_database)
        run_mail_jobs(mail_queue)
    finally:
        controller.stop()
        if saved is None:
            del os.environ["SSL_CERT_FILE"]
        else:
            os.environ["SSL_CERT_FILE"] = saved
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["dewi.lestari@example.go.id"]]
    assert mail_row(runtime_database, mail_id).sent_at is not None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # see start_smtp
def test_unverifiable_certificate_is_an_error_not_a_downgrade(runtime_database, mail_env, smtp_port, tmp_path):
    controller, inbox = start_smtp(smtp_port, "smtps", self_signed_certificate(tmp_path))  # not trusted
    try:
        mail_env(f"smtps://{SMTP_USER.replace('@', '%40')}:{SMTP_PASSWORD_IN_URL}@localhost:{smtp_port}")
        mail_id = write_mail(runtime_database)
        with pytest.raises(MailNotSent):
            send_mail(mail_id)
    finally:
        controller.stop()
    assert inbox.envelopes == []
    assert "CERTIFICATE_VERIFY_FAILED" in mail_row(runtime_database, mail_id).last_error


def test_without_smtp_url_the_mail_is_an_eml_file_in_the_data_dir(runtime_database, mail_queue, mail_env):
    settings = mail_env(None)
    mail_id = write_mail(runtime_database, "budi@example.go.id", "Budi Santoso")
    run_mail_jobs(mail_queue)

    folder = settings.data_dir / "mail"
    [eml] = [path for path in folder.iterdir() if path.name.endswith(f".{mail_id}.siaga112.eml")]
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["To"] == "Budi Santoso <budi@example.go.id>"
    assert "Please start the review." in message.get_content()
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]  # no half-written file left
    assert mail_row(runtime_database, mail_id).sent_at is not None


def test_mail_is_retried_until_the_smtp_server_is_back_and_then_sent_once(runtime_database, mail_queue, mail_env,
                                                                          smtp_port):
    mail_env(smtp_url(smtp_port))  # nothing listens on that port yet
    mail_id = write_mail(runtime_database)

    run_mail_jobs(mail_queue)

    row = mail_row(runtime_database, mail_id)
    assert row.sent_at is None and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    registry = mail_queue.scheduled_job_registry
    assert job_id(mail_id) in registry.get_job_ids()  # rq scheduled the retry
    assert registry.get_scheduled_time(job_id(mail_id)) > datetime.now(timezone.utc)

    controller, inbox = start_smtp(smtp_port)
    try:
        # Rather than waiting out the retry interval: make the retry due now, then let rq's scheduler move it.
        job = Job.fetch(job_id(mail_id), connection=mail_queue.connection)
        registry.schedule(job, datetime.now(timezone.utc) - timedelta(seconds=1))
        scheduler = RQScheduler([mail_queue], connection=mail_queue.connection)
        scheduler.prepare_registries([mail_queue.name])
        scheduler.enqueue_scheduled_jobs()
        assert job_id(mail_id) in mail_queue.job_ids
        run_mail_jobs(mail_queue)
        run_mail_jobs(mail_queue)  # nothing left to run: no second delivery
    finally:
        controller.stop()

    assert len(inbox.envelopes) == 1
    row = mail_row(runtime_database, mail_id)
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None


def test_failed_attempt_is_kept_on_the_row_and_raised_for_rq(runtime_database, mail_env, smtp_port):
    mail_env(smtp_url(smtp_port))
    mail_id = write_mail(runtime_database)
    with pytest.raises(MailNotSent, match="not sent"):
        send_mail(mail_id)
    row = mail_row(runtime_database, mail_id)
    assert row.sent_at is None and row.attempts == 1 and row.last_error


# --- mail and transactions ----------------------------------------------------------------------------------

def test_mail_of_a_rolled_back_change_is_neither_kept_nor_enqueued(runtime_database, mail_queue):
    before = mail_queue.count
    with pytest.raises(RuntimeError):
        with runtime_database.transaction(PLATFORM) as session:
            mail_id = queue_mail(session, "x@example.go.id", "s", "b").id
            raise RuntimeError("the change failed")
    assert mail_row(runtime_database, mail_id) is None
    assert mail_queue.count == before


def test_mail_written_in_a_savepoint_is_enqueued_only_at_the_outer_commit(runtime_database, mail_queue):
    with runtime_database.transaction(PLATFORM) as session:
        with session.begin_nested():
            mail_id = queue_mail(session, "x@example.go.id", "s", "b").id
        # Released savepoint, open transaction: a job now could run before its row is visible.
        assert job_id(mail_id) not in mail_queue.job_ids
    assert job_id(mail_id) in mail_queue.job_ids


def test_sweep_enqueues_mail_whose_job_was_lost(runtime_database, redis, mail_queue, mail_env):
    mail_env(None)
    with runtime_database.transaction(PLATFORM) as session:
        # Written without queue_mail: as if Redis had failed just as the transaction committed.
        orphan = OutgoingMail(recipient="siti@example.go.id", subject="s", body="b",
                              created_at=datetime.now(timezone.utc) - timedelta(hours=1))
        recent = OutgoingMail(recipient="siti@example.go.id", subject="s", body="b")
        session.add_all([orphan, recent])
    assert enqueue_unsent(runtime_database, redis) >= 1
    assert job_id(orphan.id) in mail_queue.job_ids
    assert job_id(recent.id) not in mail_queue.job_ids  # may still be on its way: left to a later sweep
    assert enqueue_unsent(runtime_database, redis) == 0  # it has a job now
    run_mail_jobs(mail_queue)
    assert mail_row(runtime_database, orphan.id).sent_at is not None


# --- who must act next --------------------------------------------------------------------------------------

def tenant_of(session, region_code: str) -> Tenant:
    found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
    return found or create_tenant(session, region_code, Actor.system("tests"))


def person(session, role: str, tenant: Tenant | None = None, name: str = "Orang", active: bool = True) -> User:
    user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", name)
    user.active = active
    grant_role(session, user, role, tenant.id if tenant else None)
    return user


def transition(database, tenant: Tenant, action: str, from_status: str | None, to_status: str,
               subject: str = "application", **details) -> list[OutgoingMail]:
    """Emit the event as onboarding's record_transition does, run its handlers as the outbox worker does;
    the mails they wrote."""
    with database.transaction(PLATFORM) as session:
        last = session.scalar(select(func.coalesce(func.max(OutgoingMail.id), 0)))
        application_id = str(uuid.uuid4())
        payload = {"tenant_id": str(tenant.id), "tenant": tenant.slug, "region_code": tenant.region_code,
                   "application_id": application_id, "application_status": to_status, "subject": subject,
                   "subject_id": application_id, "action": action, "from": from_status, "to": to_status,
                   "note": details.pop("note", None), "actor_kind": "user", "actor_id": str(uuid.uuid4()),
                   "actor_role": "ministry_verifier", **details}
        event_id = emit(session, TRANSITION, payload).id
    assert process_event(database, event_id)
    with database.transaction(PLATFORM) as session:
        return session.scalars(select(OutgoingMail).where(OutgoingMail.id > last).order_by(OutgoingMail.id)).all()


def test_submission_mails_every_active_ministry_verifier_and_nobody_else(runtime_database, mail_queue):
    with runtime_database.transaction(PLATFORM) as session:
        tenant = tenant_of(session, "61.71")
        verifiers = [person(session, "ministry_verifier", name=f"Verifikator {n}") for n in (1, 2)]
        retired = person(session, "ministry_verifier", active=False)
        admin = person(session, "regional_admin", tenant)
        monitor = person(session, "national_monitor")
        every_active_verifier = set(session.scalars(
            select(User.email).join(PlatformRole).where(PlatformRole.role == "ministry_verifier", User.active)))

    mails = transition(runtime_database, tenant, "submit", "draft", "submitted")

    recipients = {mail.recipient for mail in mails}
    assert recipients == every_active_verifier
    assert {v.email for v in verifiers} <= recipients
    assert not {retired.email, admin.email, monitor.email} & recipients
    assert {mail.subject for mail in mails} == {
        "Pengajuan 112 baru: Kota Pontianak / New 112 application: Kota Pontianak"}
    assert {mail.recipient_name for mail in mails if mail.recipient in {v.email for v in verifiers}} == {
        "Verifikator 1", "Verifikator 2"}
    assert all(job_id(mail.id) in mail_queue.job_ids for mail in mails)  # enqueued after the handler committed


def test_approval_mails_the_regional_admins_of_that_tenant_through_smtp(runtime_database, mail_queue, mail_env,
                                                                         smtp_server, smtp_port):
    mail_env(smtp_url(smtp_port))
    with runtime_database.transaction(PLATFORM) as session:
        tenant, other = tenant_of(session, "61.72"), tenant_of(session, "21.71")
        admins = [person(session, "regional_admin", tenant, name=f"Admin {n}") for n in (1, 2)]
        supervisor = person(session, "supervisor", tenant)
        elsewhere = person(session, "regional_admin", other)
        verifier = person(session, "ministry_verifier")

    mails = transition(runtime_database, tenant, "approve", "visited", "approved",
                       note="Semua butir lulus verifikasi.")

    assert {mail.recipient for mail in mails} == {admin.email for admin in admins}
    assert not {supervisor.email, elsewhere.email, verifier.email} & {mail.recipient for mail in mails}
    run_mail_jobs(mail_queue)
    assert sorted(rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos) == sorted(
        admin.email for admin in admins)
    message = smtp_server.messages()[0]
    assert message["Subject"] == "Pengajuan 112 Kota Singkawang disetujui / 112 application approved: Kota Singkawang"
    body = message.get_content()
    assert body.index("Catatan: Semua butir lulus verifikasi.") < body.index("Note: Semua butir lulus verifikasi.")
    assert f"/tenants/{tenant.slug}/onboarding" in body


def test_scheduled_visit_mails_the_region_and_only_the_verifiers_on_it(runtime_database):
    with runtime_database.transaction(PLATFORM) as session:
        tenant = tenant_of(session, "61.72")
        admin = person(session, "regional_admin", tenant)
        on_visit, off_visit = person(session, "ministry_verifier"), person(session, "ministry_verifier")
    details = {"visit_id": str(uuid.uuid4()), "kind": "verification", "scheduled_for": "2026-08-17",
               "place": "Ruang kendali 112, Balai Kota", "verifier_ids": [str(on_visit.id), "not-a-uuid"]}

    # The service records two transitions: the visit's own, then the application's.
    team = transition(runtime_database, tenant, "schedule", None, "scheduled", subject="visit", **details)
    region = transition(runtime_database, tenant, "schedule_visit", "in_review", "visit_scheduled", **details)

    assert [mail.recipient for mail in team] == [on_visit.email]
    assert off_visit.email not in {mail.recipient for mail in region}
    assert admin.email in {mail.recipient for mail in region}
    assert team[0].subject == ("Tugas kunjungan 17 Agustus 2026: Kota Singkawang / "
                               "Visit assignment on August 17, 2026: Kota Singkawang")
    assert "Ruang kendali 112, Balai Kota" in region[0].body


def test_activated_routing_asks_the_ministry_for_a_test_call_and_the_region_to_answer_it(runtime_database):
    with runtime_database.transaction(PLATFORM) as session:
        tenant = tenant_of(session, "61.71")
        admin = person(session, "regional_admin", tenant)
        verifier = person(session, "ministry_verifier")

    mails = transition(runtime_database, tenant, "activate", "requested", "active", subject="routing",
                       telco="indosat", telco_name="Indosat Ooredoo Hutchison")

    by_person = {mail.recipient: mail.subject for mail in mails}
    assert by_person[verifier.email].endswith("Indosat Ooredoo Hutchison routes 112 to Kota Pontianak: test call due")
    assert by_person[admin.email].endswith("Indosat Ooredoo Hutchison routes 112 to Kota Pontianak")


def test_the_event_onboarding_itself_records_reaches_the_verifiers(runtime_database):
    """Contract with onboarding/common.py: the payload its record_transition emits is the one read here."""
    from siaga112.onboarding.common import open_application, record_transition
    from siaga112.platform.jobs.models import OutboxEvent

    with runtime_database.transaction(PLATFORM) as session:
        tenant = tenant_of(session, "21.72")
        admin, verifier = person(session, "regional_admin", tenant), person(session, "ministry_verifier")
        actor = Actor("user", str(admin.id), "regional_admin")
        application = open_application(session, tenant, actor)
        record_transition(session, tenant, application, actor, "submit", "draft", "submitted")
        last = session.scalar(select(func.coalesce(func.max(OutgoingMail.id), 0)))
        event_ids = session.scalars(select(OutboxEvent.id).where(
            OutboxEvent.topic == TRANSITION, OutboxEvent.processed_at.is_(None),
            OutboxEvent.payload["tenant_id"].astext == str(tenant.id))).all()
    for event_id in event_ids:
        process_event(runtime_database, event_id)
    with runtime_database.transaction(PLATFORM) as session:
        mails = session.scalars(select(OutgoingMail).where(OutgoingMail.id > last)).all()
    assert verifier.email in {mail.recipient for mail in mails}
    assert admin.email not in {mail.recipient for mail in mails}
    assert {mail.subject for mail in mails} == {
        "Pengajuan 112 baru: Kota Tanjung Pinang / New 112 application: Kota Tanjung Pinang"}


def test_resubmission_has_its_own_words_and_some_transitions_need_nobody(runtime_database):
    assert notices_for({"action": "submit", "from": "changes_requested", "to": "submitted"}) == [RESUBMITTED]
    with runtime_database.transaction(PLATFORM) as session:
        tenant = tenant_of(session, "61.71")
        person(session, "regional_admin", tenant)
        person(session, "ministry_verifier")
    assert transition(runtime_database, tenant, "withdraw", "draft", "withdrawn") == []  # the ministry never saw it
    assert transition(runtime_database, tenant, "reopen", "withdrawn", "draft") == []
    assert transition(runtime_database, tenant, "request", None, "requested", subject="routing", telco="xl") == []


# --- configuration ------------------------------------------------------------------------------------------

def test_smtp_url_gives_host_port_security_and_decoded_credentials():
    transport = SmtpTransport.from_url(f"smtps://{SMTP_USER.replace('@', '%40')}:{SMTP_PASSWORD_IN_URL}@mail.go.id")
    assert (transport.host, transport.port, transport.security) == ("mail.go.id", 465, "tls")
    assert (transport.username, transport.password) == (SMTP_USER, SMTP_PASSWORD)
    assert SMTP_PASSWORD not in repr(transport)
    assert SmtpTransport.from_url("smtp+starttls://relay").port == 587
    assert SmtpTransport.from_url("smtp://relay:2525").security == "plain"


@pytest.mark.parametrize("url", ["http://mail.go.id", "smtp://", "smtp://mail.go.id:99999", "mail.go.id"])
def test_unusable_smtp_url_stops_the_start_with_a_clear_message(url):
    with pytest.raises(ConfigError, match="SIAGA_SMTP_URL"):
        Settings.from_env({"SIAGA_SMTP_URL": url})


def test_unusable_sender_stops_the_start_with_a_clear_message():
    with pytest.raises(ConfigError, match="SIAGA_MAIL_FROM"):
        Settings.from_env({"SIAGA_MAIL_FROM": "siaga112"})
    sender = Settings.from_env({"SIAGA_MAIL_FROM": "Kominfo <112@example.go.id>"}).mail_from
    assert sender == "Kominfo <112@example.go.id>"


def test_folder_transport_names_a_resend_like_the_first(tmp_path):
    from email.message import EmailMessage

    message = EmailMessage()
    message["Message-ID"] = "<20250817100000.7.siaga112@example.go.id>"
    message.set_content("isi")
    FolderTransport(tmp_path).send(message)
    FolderTransport(tmp_path).send(message)
    assert [path.name for path in tmp_path.iterdir()] == ["20250817100000.7.siaga112.eml"]
