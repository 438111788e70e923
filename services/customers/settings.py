"""Settings of the customers service beyond the kit's: read once when the app is built."""
from __future__ import annotations

import os
from dataclasses import dataclass

from services.customers.normalisation import COUNTRIES, DEFAULT_PHONE_REGIONS
from services.customers.telephony import PROVIDERS
from services.kit.settings import ServiceSettings


@dataclass(frozen=True)
class CustomersSettings:
    """``CAREDESK_CUSTOMERS_PHONE_REGIONS``: comma-separated ISO countries in whose local formats a
    typed phone is also read when searching (default: the seeds' CO, MX, CR, VN, RU).
    ``CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER``: the click-to-call provider (telephony.PROVIDERS; ``tel``)."""

    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    telephony: str = "tel"

    @classmethod
    def load(cls, settings: ServiceSettings) -> "CustomersSettings":
        raw = settings.extra.get("phone_regions") or os.environ.get("CAREDESK_CUSTOMERS_PHONE_REGIONS") or ""
        regions = tuple(r.strip().upper() for r in raw.split(",") if r.strip().upper() in COUNTRIES)
        telephony = settings.extra.get("telephony") or os.environ.get("CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER") or "tel"
        if telephony not in PROVIDERS:
            raise ValueError(f"CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER: {telephony!r} is not one of {sorted(PROVIDERS)}")
        return cls(phone_regions=regions or DEFAULT_PHONE_REGIONS, telephony=telephony)
