"""E-mail: the outgoing_mail table, composing a message, and the transport that delivers it.

A message is a row first, written in the transaction of whatever caused it,
and an SMTP conversation second (the rq job in jobs/mail.py): a mail server
that is down delays mail, it never loses it nor fails the change.

The transport follows SIAGA_SMTP_URL:

    smtp://host:25                              plain SMTP, e.g. a relay inside the cluster
    smtp+starttls://user:password@host:587      STARTTLS required, the certificate verified
    smtps://user:password@host:465              TLS from the first byte, the certificate verified

and, when it is empty, a folder transport that writes each message as an
.eml file into SIAGA_DATA_DIR/mail (development, demos, `siaga112 up`).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from .config import Settings
from .db import Base

SMTP_TIMEOUT = 30  # seconds per socket operation: a hung server fails the attempt, and rq retries it later
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
ENGLISH_BELOW = "\n\n— English —\n\n"


class OutgoingMail(Base):
    """One message to one person. Platform-level (no tenant_id): only jobs in platform context read it."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(120), server_default=text("''"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(String(1000))


# --- composing ----------------------------------------------------------------------------------------------

def bilingual(indonesian: str, english: str) -> str:
    """A body in Bahasa Indonesia with the English text below it (people read the first part first)."""
    return indonesian.strip() + ENGLISH_BELOW + english.strip() + "\n"


def bilingual_subject(indonesian: str, english: str) -> str:
    return f"{indonesian} / {english}"


def compose(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The message for a row; the same row always gives the same Message-ID, so a resend can be recognised."""
    sent_on = _utc(mail.created_at)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(mail.recipient_name, addr_spec=mail.recipient)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_on)
    message["Message-ID"] = message_id(mail, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies must not answer it
    message["Content-Language"] = "id, en"
    message.set_content(mail.body)
    return message


def message_id(mail: OutgoingMail, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{_utc(mail.created_at):%Y%m%d%H%M%S}.{mail.id}.siaga112@{domain}>"


def _utc(moment: datetime | None) -> datetime:
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)


# --- transports ---------------------------------------------------------------------------------------------

class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message on, or raise (OSError, smtplib.SMTPException): the caller retries later."""


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or tracebacks' reprs
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> "SmtpTransport":
        """From SIAGA_SMTP_URL, which config.py has already checked (scheme, host, port)."""
        parts = urlsplit(url)
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[parts.scheme]
        return cls(host=parts.hostname, port=parts.port or DEFAULT_PORTS[parts.scheme], security=security,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)

    def send(self, message: EmailMessage) -> None:
        client = self._connect()
        try:
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
        finally:
            _close(client)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def _close(client: smtplib.SMTP) -> None:
    # Once the server has accepted the message it is the server's; a failed QUIT must not make us send it again.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


@dataclass(frozen=True)
class FolderTransport:
    """Each message becomes one .eml file, which appears whole or not at all (written aside, then renamed)."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / eml_name(message)
        partial = self.folder / f".{final.name}.{uuid.uuid4().hex}.partial"
        try:
            with open(partial, "wb") as file:
                file.write(message.as_bytes())
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, final)  # atomic within one filesystem; the same message again overwrites itself
        finally:
            partial.unlink(missing_ok=True)


def eml_name(message: EmailMessage) -> str:
    """The file name of a message: its Message-ID's left part, so names sort by time and repeat for a resend."""
    left = str(message.get("Message-ID", "")).strip("<> ").partition("@")[0]
    return re.sub(r"[^A-Za-z0-9._-]", "_", left or uuid.uuid4().hex) + ".eml"


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport.from_url(settings.smtp_url)
    return FolderTransport(settings.data_dir / "mail")
