"""The cases service's notion of now: one function, so tests can move time (SLA across weekends)."""
from __future__ import annotations

from datetime import datetime

from services.kit.db import utcnow


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return utcnow()
