"""A relay that stalls right after its first batch is confirmed, before marking it sent.

``python -m tests.integration.relay_stalled_after_publish <component> <marker file>``: runs the
component's real relay (settings from the environment, as ``caredesk relay``), but once
``BatchPublisher.publish`` returns (every message confirmed by the broker) it touches the marker
and sleeps, so a test can SIGKILL it exactly between publish and mark-sent.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from caredesk.cli import _relay
from services.kit.messaging.publisher import BatchPublisher


def main(component: str, marker: Path) -> None:
    publish = BatchPublisher.publish

    def publish_then_stall(self, messages, **kwargs):
        publish(self, messages, **kwargs)
        partial = marker.with_suffix(".partial")
        partial.write_text(str(len(messages)))
        os.replace(partial, marker)
        while True:  # wait for SIGKILL; the outbox transaction stays open
            time.sleep(60)

    BatchPublisher.publish = publish_then_stall
    _relay(component).run(threading.Event())


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
