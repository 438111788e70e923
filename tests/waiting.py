"""Waiting for an outcome in tests: poll with a timeout, never sleep a fixed time."""
from __future__ import annotations

import time
from typing import Callable

import pytest


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05,
               explain: Callable[[], str] | None = None):
    """Poll ``predicate`` until it returns something truthy (and return that); fail saying ``what``
    did not happen within ``timeout`` seconds, and what ``explain`` says of the state left."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f": {explain()}" if explain else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{detail}", pytrace=False)
        time.sleep(interval)
