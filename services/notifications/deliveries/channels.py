"""How a message leaves: SMTP for e-mail, one HTTP provider interface for SMS and WhatsApp.

Every channel answers ``send(message) -> (provider_message_id, provider_answer)`` or raises
:class:`TemporaryFailure` (try again later) or :class:`PermanentFailure` (never going to work).

The HTTP provider (docs/notifications.md) gets ``POST <provider_url>/messages`` with
``Authorization: Bearer <token>``, ``Idempotency-Key: <delivery id>`` and the JSON
``{"channel", "to", "body", "reference"}``; it answers ``{"id": "<its message id>"}``. A provider
that honours the idempotency key never sends a message twice, even when a worker died after its
request and the delivery is tried again.
"""
from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

import requests


class TemporaryFailure(Exception):
    """The provider could not take the message now (down, busy, 4xx SMTP): retry later."""


class PermanentFailure(Exception):
    """The message can never be sent as it is (address refused, bad request): fail it."""


class MailboxUnavailable(TemporaryFailure):
    """The SMTP server cannot be reached or keeps dropping the connection: for every message of
    that mailbox, not just this one."""


class MailboxLoginRefused(PermanentFailure):
    """The SMTP server refuses the mailbox's login: for every message of that mailbox."""


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: str
    message_id: str
    channel: str
    address: str
    subject: str
    body_text: str
    body_html: str | None = None
    calendar: str | None = None
    calendar_method: str = "REQUEST"


@dataclass(frozen=True)
class SmtpAccount:
    """Where and as whom mail is sent: the system's mailbox or a user's own (seed 001)."""

    host: str
    port: int
    security: str  # none | starttls | tls
    username: str
    password: str
    sender: str
    sender_name: str = ""


def build_email(message: OutgoingMessage, account: SmtpAccount) -> EmailMessage:
    """Text and HTML parts (and the invitation), UTF-8 headers, the delivery's stable Message-ID."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = formataddr((account.sender_name, account.sender)) if account.sender_name else account.sender
    email["To"] = message.address
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.calendar:
        email.add_alternative(message.calendar, subtype="calendar", params={"method": message.calendar_method})
    return email


_WIRE = email_policy.compat32.clone(linesep="\r\n")


def email_bytes(message: OutgoingMessage, account: SmtpAccount) -> bytes:
    """The message as it goes on the wire, with CRLF line ends (SMTP's; with bare LFs a strict
    server sees one line of the whole message and refuses anything over 1,000 bytes, RFC 5321
    4.5.3.1.6). Built with the email package's compat32 classes, which write it in a third of the
    time of :func:`build_email`'s header objects (the largest CPU cost of a send); an address that
    is not ASCII (SMTPUTF8) needs those objects and takes that path."""
    if not _needs_smtputf8(account, message):
        return _compat32_email(message, account).as_bytes(policy=_WIRE)
    return build_email(message, account).as_bytes(policy=email_policy.SMTP)


def _compat32_email(message: OutgoingMessage, account: SmtpAccount) -> Message:
    parts = [MIMEText(message.body_text, "plain", "utf-8")]
    if message.body_html:
        parts.append(MIMEText(message.body_html, "html", "utf-8"))
    if message.calendar:
        parts.append(MIMEText(message.calendar, "calendar", "utf-8"))
        parts[-1].set_param("method", message.calendar_method)
    email = parts[0] if len(parts) == 1 else MIMEMultipart("alternative", _subparts=parts)
    email["Subject"] = message.subject if message.subject.isascii() else Header(message.subject, "utf-8")
    email["From"] = formataddr((account.sender_name, account.sender), charset="utf-8") \
        if account.sender_name else account.sender
    email["To"] = message.address
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    return email


class SmtpMailer:
    """One SMTP connection per account and thread, opened on first use and reopened when dropped."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._local = threading.local()

    def _connect(self, account: SmtpAccount) -> smtplib.SMTP:
        try:
            if account.security == "tls":
                smtp = smtplib.SMTP_SSL(account.host, account.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(account.host, account.port, timeout=self.timeout)
                if account.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if account.username:
                smtp.login(account.username, account.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailboxLoginRefused(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailboxUnavailable(f"SMTP server {account.host}:{account.port} unreachable: {exc}") from exc
        return smtp

    def _connection(self, account: SmtpAccount) -> smtplib.SMTP:
        connections = self._local.__dict__.setdefault("connections", {})
        smtp = connections.get(account)
        if smtp is None:
            smtp = connections[account] = self._connect(account)
        return smtp

    def _drop(self, account: SmtpAccount) -> None:
        smtp = self._local.__dict__.get("connections", {}).pop(account, None)
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def send(self, message: OutgoingMessage, account: SmtpAccount) -> tuple[str, str]:
        data = email_bytes(message, account)
        for reconnect in (False, True):
            smtp = self._connection(account)
            try:
                smtp.ehlo_or_helo_if_needed()
                code, reply = smtp.mail(account.sender, ["SMTPUTF8"] if _needs_smtputf8(account, message) else [])
                if code != 250:
                    raise _refusal(code, reply, "MAIL FROM")
                code, reply = smtp.rcpt(message.address)
                if code not in (250, 251):
                    raise _refusal(code, reply, "RCPT TO")
                code, reply = smtp.data(data)
                if code != 250:
                    raise _refusal(code, reply, "DATA")
                return message.message_id, f"{code} {reply.decode(errors='replace')}"
            except smtplib.SMTPServerDisconnected as exc:
                self._drop(account)
                if reconnect:
                    raise MailboxUnavailable(f"SMTP server dropped the connection: {exc}") from exc
            except (TemporaryFailure, PermanentFailure):
                self._reset(smtp, account)
                raise
            except (OSError, smtplib.SMTPException) as exc:
                self._drop(account)
                raise TemporaryFailure(f"SMTP error: {exc}") from exc
        raise MailboxUnavailable("SMTP server dropped the connection twice")

    def _reset(self, smtp: smtplib.SMTP, account: SmtpAccount) -> None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(account)

    def close_all(self) -> None:
        """Close this thread's connections (a one-off mailer, e.g. a mailbox test)."""
        for account in list(self._local.__dict__.get("connections", {})):
            self._drop(account)

    def check(self, account: SmtpAccount) -> None:
        """Open and close a connection (log in included): raises what :meth:`send` would."""
        smtp = self._connect(account)
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass


def _needs_smtputf8(account: SmtpAccount, message: OutgoingMessage) -> bool:
    return not (account.sender.isascii() and message.address.isascii())


def _refusal(code: int, reply: bytes, step: str) -> Exception:
    text = f"{step} refused: {code} {reply.decode(errors='replace')}"
    return TemporaryFailure(text) if 400 <= code < 500 else PermanentFailure(text)


class HttpMessagingProvider:
    """SMS and WhatsApp through one HTTP provider (see the module docstring for the request)."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = requests.Session()

    def send(self, message: OutgoingMessage) -> tuple[str, str]:
        if not self.url:
            raise PermanentFailure("no SMS/WhatsApp provider is configured (CAREDESK_NOTIFICATIONS_PROVIDER_URL)")
        try:
            response = self._session.post(
                f"{self.url}/messages", timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": message.delivery_id},
                json={"channel": message.channel, "to": message.address, "body": message.body_text,
                      "reference": message.delivery_id})
        except requests.RequestException as exc:
            raise TemporaryFailure(f"provider unreachable: {exc}") from exc
        answer = f"{response.status_code} {response.text[:500]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(answer)
        if response.status_code >= 400:
            raise PermanentFailure(answer)
        try:
            return str(response.json()["id"]), answer
        except (ValueError, KeyError, TypeError) as exc:
            raise TemporaryFailure(f"provider answered without a message id: {answer}") from exc
