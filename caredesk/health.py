"""Liveness of every process kind, for container health checks (`caredesk health`).

Each long-running process writes one small file when it starts, if ``CAREDESK_HEALTH_FILE`` names
it (the image sets ``/tmp/caredesk-health.json``: /tmp is writable in every container, the root is
read-only; processes run outside a container write nothing):

* an API (``serve``) records the URL of its ``/healthz``; the check asks it over HTTP;
* a relay, a consumer, a Celery worker and beat record their kind and the longest quiet spell
  allowed, then touch the file from their own loop (the relay and consumer loops each time they
  look at their stop flag, the Celery worker from its timer, beat at every tick). The check passes
  while the file is younger than that: a loop that hangs goes stale, one that is retrying through a
  database or broker outage does not (restarting it would not bring the server back).

The check imports nothing heavy, so a probe every few seconds costs little.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from pathlib import Path

ENV = "CAREDESK_HEALTH_FILE"
DEFAULT_FILE = "/tmp/caredesk-health.json"
# The longest quiet spell of each loop kind, seconds. The consumer looks at its stop flag at least
# every second and after each batch; a batch of slow handlers is far below this.
MAX_AGE = {"relay": 60, "consumer": 120, "tasks": 60, "beat": 120}
TOUCH_EVERY = 1.0  # seconds: a loop spinning fast touches the file at most this often


def health_file() -> Path | None:
    name = os.environ.get(ENV)
    return Path(name) if name else None


def mark(kind: str, **details) -> None:
    """Record this process's kind (and, for an API, the URL to probe); written whole or not at all."""
    path = health_file()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"kind": kind, "pid": os.getpid(), "max_age": MAX_AGE.get(kind), **details}
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(record))
    os.replace(partial, path)


_last_touch = 0.0


def touch() -> None:
    """Say the loop is turning (at most once per TOUCH_EVERY; a missing file is left missing)."""
    global _last_touch
    path = health_file()
    if path is None:
        return
    now = time.monotonic()
    if now - _last_touch < TOUCH_EVERY:
        return
    _last_touch = now
    try:
        os.utime(path)
    except OSError:
        pass


class HeartbeatEvent(threading.Event):
    """The stop flag handed to a relay or consumer loop: each look at it is a heartbeat."""

    def is_set(self) -> bool:
        touch()
        return super().is_set()

    def wait(self, timeout: float | None = None) -> bool:
        touch()
        return super().wait(timeout)


def check(*, max_age: float | None = None, timeout: float = 5.0) -> tuple[bool, str]:
    """(healthy, why) for the process that wrote the health file."""
    path = health_file() or Path(DEFAULT_FILE)
    try:
        record = json.loads(path.read_text())
        age = time.time() - path.stat().st_mtime
    except (OSError, ValueError) as exc:
        return False, f"no health record at {path} ({type(exc).__name__}): not started yet"
    kind = record.get("kind")
    if kind == "api":
        try:
            with urllib.request.urlopen(record["url"], timeout=timeout) as answer:
                return answer.status == 200, f"api {record['url']} answered {answer.status}"
        except OSError as exc:
            return False, f"api {record['url']} did not answer: {exc}"
    limit = max_age if max_age is not None else record.get("max_age") or 60
    if age > limit:
        return False, f"{kind} loop quiet for {age:.0f}s (limit {limit}s)"
    return True, f"{kind} loop turned {age:.0f}s ago"
