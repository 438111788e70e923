"""Settings of the customers service beyond the kit's: read once when the app is built."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from services.customers.normalisation import COUNTRIES, DEFAULT_PHONE_REGIONS
from services.customers.telephony import PROVIDERS
from services.kit.settings import ServiceSettings


def _setting(settings: ServiceSettings, name: str, default: str) -> str:
    value = settings.extra.get(name)
    if value in (None, ""):
        value = os.environ.get(f"CAREDESK_CUSTOMERS_{name.upper()}") or default
    return str(value)


def _positive_int(settings: ServiceSettings, name: str, default: int) -> int:
    raw = _setting(settings, name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"CAREDESK_CUSTOMERS_{name.upper()}: {raw!r} is not a whole number above 0")
    return int(raw)


@dataclass(frozen=True)
class CustomersSettings:
    """``CAREDESK_CUSTOMERS_PHONE_REGIONS``: comma-separated ISO countries in whose local formats a
    typed phone is also read when searching (default: the seeds' CO, MX, CR, VN, RU).
    ``CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER``: the click-to-call provider (telephony.PROVIDERS; ``tel``).
    ``CAREDESK_CUSTOMERS_REPORTING_CURRENCY``: the second currency of the financial summary (``USD``);
    imported exchange rates are to this currency.
    ``CAREDESK_CUSTOMERS_IMPORT_BATCH_SIZE``: billing rows written per transaction (500).
    ``CAREDESK_CUSTOMERS_PIN_MAX_ATTEMPTS`` (5) wrong PINs in a row lock a line's PIN check for
    ``CAREDESK_CUSTOMERS_PIN_LOCK_MINUTES`` (15).
    ``CAREDESK_CUSTOMERS_ATTACHMENTS_DIR``: where the local attachment store keeps files
    (default: ``<data dir>/customers-attachments``); ``CAREDESK_CUSTOMERS_ATTACHMENT_MAX_BYTES`` (10 MiB)."""

    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    telephony: str = "tel"
    reporting_currency: str = "USD"
    import_batch_size: int = 500
    pin_max_attempts: int = 5
    pin_lock_minutes: int = 15
    attachments_dir: Path = Path("var/customers-attachments")
    attachment_max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def load(cls, settings: ServiceSettings) -> "CustomersSettings":
        raw = settings.extra.get("phone_regions") or os.environ.get("CAREDESK_CUSTOMERS_PHONE_REGIONS") or ""
        regions = tuple(r.strip().upper() for r in raw.split(",") if r.strip().upper() in COUNTRIES)
        telephony = settings.extra.get("telephony") or os.environ.get("CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER") or "tel"
        if telephony not in PROVIDERS:
            raise ValueError(f"CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER: {telephony!r} is not one of {sorted(PROVIDERS)}")
        currency = _setting(settings, "reporting_currency", "USD").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValueError(f"CAREDESK_CUSTOMERS_REPORTING_CURRENCY: {currency!r} is not an ISO 4217 code")
        return cls(phone_regions=regions or DEFAULT_PHONE_REGIONS, telephony=telephony, reporting_currency=currency,
                   import_batch_size=_positive_int(settings, "import_batch_size", 500),
                   pin_max_attempts=_positive_int(settings, "pin_max_attempts", 5),
                   pin_lock_minutes=_positive_int(settings, "pin_lock_minutes", 15),
                   attachments_dir=Path(_setting(settings, "attachments_dir",
                                                 str(settings.data_dir / "customers-attachments"))),
                   attachment_max_bytes=_positive_int(settings, "attachment_max_bytes", 10 * 1024 * 1024))
