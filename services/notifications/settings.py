"""Settings of the notifications service beyond the kit's: how messages leave, read once at start."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

from services.kit.settings import ServiceSettings

LANGUAGES = ("es", "en", "ru", "vi")


def _value(settings: ServiceSettings, name: str, default: str) -> str:
    if name in settings.extra:
        return str(settings.extra[name])
    return os.environ.get(f"CAREDESK_NOTIFICATIONS_{name.upper()}") or default


@dataclass(frozen=True)
class NotificationsSettings:
    """Env vars ``CAREDESK_NOTIFICATIONS_<NAME>`` (or ``ServiceSettings.extra[name]`` in tests):

    smtp_host, smtp_port, smtp_security (none | starttls | tls), smtp_username, smtp_password,
    mail_from                        the system's mailbox (case notices, surveys)
    provider_url, provider_token     the SMS/WhatsApp HTTP provider (docs/notifications.md)
    webhook_secret                   HMAC key of the provider's delivery receipts
    rate_email, rate_sms, rate_whatsapp   Celery rate limits per worker process, e.g. "20/s"
    max_attempts, backoff_seconds    tries before a delivery is failed; first retry delay (doubles)
    claim_seconds                    how long a send may take before another worker takes it over
    default_language                 es, en, ru or vi: for recipients whose language is unknown
    mail_account_key                 Fernet key sealing users' mailbox passwords (My account); empty:
                                     the data directory's generated mail-account.key (embedded mode)
    public_url                       the gateway's address as users reach it (calendar feed URLs)
    """

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "caredesk@localhost"
    provider_url: str = ""
    provider_token: str = ""
    webhook_secret: str = ""
    rate_email: str = "50/s"
    rate_sms: str = "10/s"
    rate_whatsapp: str = "10/s"
    max_attempts: int = 8
    backoff_seconds: float = 2.0
    claim_seconds: float = 120.0
    default_language: str = "es"
    mail_account_key: str = ""
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def load(cls, settings: ServiceSettings) -> "NotificationsSettings":
        convert = {"int": int, "float": float, "str": str}
        values = {field.name: convert[field.type](_value(settings, field.name, str(field.default)))
                  for field in fields(cls)}
        if values["default_language"] not in LANGUAGES:
            values["default_language"] = "es"
        return cls(**values)
