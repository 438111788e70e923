"""Click-to-call: a number on the card becomes a dial action through a pluggable telephony provider.

A provider turns an E.164 number into what the console opens to dial. ``tel`` (a ``tel:`` link the
agent's softphone or phone handles) ships; a PBX integration (an HTTP call that rings the agent's
extension first) is another class with the same ``dial`` and a name in PROVIDERS, chosen with
``CAREDESK_CUSTOMERS_TELEPHONY_PROVIDER``.
"""
from __future__ import annotations

from typing import Protocol

from services.kit.auth import Principal


class TelephonyProvider(Protocol):
    name: str

    def dial(self, number: str, *, agent: Principal) -> str:
        """The action that dials ``number`` for ``agent``."""


class TelLinkProvider:
    name = "tel"

    def dial(self, number: str, *, agent: Principal) -> str:
        return f"tel:{number}"


PROVIDERS: dict[str, type] = {"tel": TelLinkProvider}
