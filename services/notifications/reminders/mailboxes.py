"""Users' own outgoing mailboxes ("My account"): the password is encrypted with Fernet under the
key of the settings (``CAREDESK_NOTIFICATIONS_MAIL_ACCOUNT_KEY``; the embedded mode keeps a
generated one in ``<data dir>/mail-account.key``) and never leaves the service again."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY
from services.kit.db import Database
from services.notifications.base import directory_users
from services.notifications.deliveries.channels import PermanentFailure, SmtpAccount
from services.notifications.reminders.models import MailAccount


def fernet_key(configured: str, data_dir: Path) -> bytes:
    """The configured key, else the data directory's own (made once, readable by its owner only)."""
    if configured:
        return configured.encode()
    path = data_dir / "mail-account.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


class Vault:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, password: str) -> str:
        return self._fernet.encrypt(password.encode()).decode() if password else ""

    def open(self, sealed: str) -> str:
        if not sealed:
            return ""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise PermanentFailure("the mailbox's password cannot be read with the configured key") from exc


def smtp_account(row: MailAccount, vault: Vault) -> SmtpAccount:
    return SmtpAccount(host=row.host, port=row.port, security=row.security, username=row.username,
                       password=vault.open(row.password_encrypted), sender=row.sender, sender_name=row.sender_name)


def account_lookup(database: Database, vault: Vault):
    """``account_of(user_id) -> SmtpAccount`` for the deliveries' channels (read at each send, so
    an account fixed after a failure is used by the administrator's retry)."""

    def account_of(user_id: uuid.UUID) -> SmtpAccount:
        with database.session() as session:
            row = session.get(MailAccount, user_id)
            if row is None:
                raise PermanentFailure(f"user {user_id} has no outgoing mailbox configured under My account")
            return smtp_account(row, vault)

    return account_of


def administrator_with_mailbox(session: Session) -> uuid.UUID | None:
    """The mailbox reminders leave from when a customer has no collections agent: the first
    active administrator (level 1, by username) who configured one."""
    return session.scalar(
        select(directory_users.c.id).join(MailAccount, MailAccount.user_id == directory_users.c.id)
        .where(directory_users.c.level == COMPANY, directory_users.c.is_active.is_(True))
        .order_by(directory_users.c.username).limit(1))
