"""Every event the code records is in the catalogue, and docs/asyncapi.json is the catalogue as built."""
from __future__ import annotations

import re
from pathlib import Path

from caredesk.asyncapi import emitted_events, render

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r"""(?:record_event|\.emit)\(\s*["']([a-z_.]+\.v\d+)["']""")


def test_every_recorded_event_is_documented():
    recorded = set()
    for source in [*ROOT.glob("services/**/*.py"), *ROOT.glob("gateway/**/*.py")]:
        recorded |= set(RECORDED.findall(source.read_text(encoding="utf-8")))
    assert recorded, "the scan found no events at all"
    assert recorded <= set(emitted_events()), f"undocumented: {sorted(recorded - set(emitted_events()))}"


def test_every_consumed_event_is_emitted_by_someone():
    from caredesk.components import COMPONENTS

    consumed = {event for c in COMPONENTS.values() for handler in c.handlers for event in handler.events}
    assert consumed <= set(emitted_events())


def test_published_asyncapi_document_is_current():
    assert (ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8") == render(), \
        "regenerate with: caredesk asyncapi > docs/asyncapi.json"
