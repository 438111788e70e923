"""The notifications service's composition root for background work: database, channels, policy."""
from __future__ import annotations

from dataclasses import dataclass

from services.kit.db import Database
from services.kit.settings import ServiceSettings, load_settings
from services.notifications.base import Base
from services.notifications.deliveries.channels import HttpMessagingProvider, SmtpAccount, SmtpMailer
from services.notifications.deliveries.use_cases import Channels, Policy
from services.notifications.reminders.failures import failure_reporter
from services.notifications.reminders.mailboxes import Vault, account_lookup, fernet_key
from services.notifications.settings import NotificationsSettings


@dataclass
class NotificationsRuntime:
    settings: ServiceSettings
    options: NotificationsSettings
    database: Database
    channels: Channels
    policy: Policy


def system_account(options: NotificationsSettings) -> SmtpAccount:
    return SmtpAccount(host=options.smtp_host, port=options.smtp_port, security=options.smtp_security,
                       username=options.smtp_username, password=options.smtp_password, sender=options.mail_from,
                       sender_name="Caredesk")


def vault_of(settings: ServiceSettings, options: NotificationsSettings) -> Vault:
    return Vault(fernet_key(options.mail_account_key, settings.data_dir))


def build_runtime(settings: ServiceSettings | None = None, *, database: Database | None = None) -> NotificationsRuntime:
    settings = settings or load_settings("notifications")
    options = NotificationsSettings.load(settings)
    database = database or Database(settings.database_url, Base.metadata)
    channels = Channels(mailer=SmtpMailer(), provider=HttpMessagingProvider(options.provider_url, options.provider_token),
                        system_account=system_account(options),
                        account_of=account_lookup(database, vault_of(settings, options)),
                        on_failed=failure_reporter(database))
    policy = Policy(max_attempts=options.max_attempts, backoff_seconds=options.backoff_seconds,
                    claim_seconds=options.claim_seconds)
    return NotificationsRuntime(settings, options, database, channels, policy)
