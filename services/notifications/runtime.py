"""The notifications service's composition root for background work: database, channels, policy."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from celery.utils.time import rate
from kombu.utils.limits import TokenBucket

from services.kit.db import Database
from services.kit.settings import ServiceSettings, load_settings
from services.notifications.base import Base
from services.notifications.deliveries.channels import HttpMessagingProvider, SmtpAccount, SmtpMailer
from services.notifications.deliveries.models import CHANNELS
from services.notifications.deliveries.use_cases import Channels, Policy
from services.notifications.reminders.failures import failure_reporter
from services.notifications.reminders.mailboxes import Vault, account_lookup, fernet_key
from services.notifications.settings import NotificationsSettings


class Pace:
    """Each channel's rate limit (``rate_email`` …, e.g. "50/s"; 0 is none) for this worker process:
    every message waits for its channel's token, whether it leaves alone or in a batch (a rate limit
    on the Celery task would count a batch of 500 as one)."""

    def __init__(self, per_second: dict[str, float]) -> None:
        self._buckets = {channel: TokenBucket(limit, capacity=max(limit, 1.0))
                         for channel, limit in per_second.items() if limit > 0}
        self._lock = threading.Lock()

    def __call__(self, channel: str) -> None:
        bucket = self._buckets.get(channel)
        while bucket is not None:
            with self._lock:
                if bucket.can_consume(1):
                    return
                wait = bucket.expected_time(1)
            time.sleep(wait)


@dataclass
class NotificationsRuntime:
    settings: ServiceSettings
    options: NotificationsSettings
    database: Database
    channels: Channels
    policy: Policy
    pace: Pace = field(default_factory=lambda: Pace({}))


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
    pace = Pace({channel: rate(getattr(options, f"rate_{channel}")) for channel in CHANNELS})
    return NotificationsRuntime(settings, options, database, channels, policy, pace)
