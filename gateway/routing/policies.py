"""Per-route policies of the gateway's forwarding: how long to wait for a service (connect and read
timeouts) and how large a body may be, chosen by the path below /api/v1.

A policy table is a default plus overrides keyed by a glob over the path below ``/api/v1/`` (``*``
matches within one segment, ``**`` across segments); the most specific pattern (the longest one
without wildcards counted) wins. Read from the environment as ``pattern=value`` pairs separated by
commas, for example::

    CAREDESK_GATEWAY_ROUTE_TIMEOUTS="customers/notes-report.xlsx=3:300,customer-cards/**=2:3"
    CAREDESK_GATEWAY_ROUTE_MAX_BODY_BYTES="customers/*/attachments=10600000"
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait to connect to a service, and then between two bytes of its answer."""

    connect: float
    read: float

    @classmethod
    def parse(cls, text: str) -> "Timeouts":
        connect, _, read = text.partition(":")
        timeouts = cls(float(connect), float(read or connect))
        if timeouts.connect <= 0 or timeouts.read <= 0:
            raise ValueError(f"timeouts must be positive: {text!r}")
        return timeouts

    def as_requests(self) -> tuple[float, float]:
        return (self.connect, self.read)


def _pattern(glob: str) -> re.Pattern:
    parts = re.split(r"(\*\*|\*)", glob.strip("/"))
    regex = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part) for part in parts)
    return re.compile(f"^{regex}(/.*)?$" if not glob.endswith("*") else f"^{regex}$")


@dataclass(frozen=True)
class RouteTable:
    """``lookup(path)``: the value of the most specific pattern matching ``path`` (below /api/v1/),
    or the default. A pattern without a trailing wildcard also covers what lies below it."""

    default: object
    overrides: tuple[tuple[str, object], ...] = ()
    _compiled: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        ranked = sorted(self.overrides, key=lambda item: -len(item[0].replace("*", "")))
        object.__setattr__(self, "_compiled", tuple((_pattern(glob), value) for glob, value in ranked))

    def lookup(self, path: str):
        path = path.strip("/")
        for pattern, value in self._compiled:
            if pattern.match(path):
                return value
        return self.default

    @classmethod
    def parse(cls, default, text: str | None, convert) -> "RouteTable":
        overrides: dict[str, object] = {}  # a later pair for the same pattern replaces an earlier one
        for item in filter(None, (part.strip() for part in (text or "").split(","))):
            glob, _, value = item.partition("=")
            if not glob or not value:
                raise ValueError(f"expected pattern=value, got {item!r}")
            overrides[glob.strip()] = convert(value.strip())
        return cls(default, tuple(overrides.items()))


# Routes that legitimately take long before their first byte, and the uploads larger than a JSON body.
DEFAULT_TIMEOUT_OVERRIDES = "customers/notes-report.xlsx=3:300,cases/search.xlsx=3:300,customers/billing/imports=3:300"
DEFAULT_BODY_OVERRIDES = "customers/*/attachments=10600000,customers/*/interactions/*/attachments=10600000"


@dataclass(frozen=True)
class RoutePolicies:
    """Timeouts and body limits per route; ``card_parts``: the timeouts of each call the composed
    customer card makes (short: a slow part is marked unavailable rather than holding the card)."""

    timeouts: RouteTable = RouteTable(Timeouts(3.0, 30.0), ())
    max_body_bytes: RouteTable = RouteTable(2 * 1024 * 1024, ())
    card_parts: Timeouts = Timeouts(2.0, 5.0)
    retry_after_seconds: int = 5

    @classmethod
    def from_env(cls, env) -> "RoutePolicies":
        default_timeouts = Timeouts(float(env("CAREDESK_GATEWAY_CONNECT_TIMEOUT_SECONDS") or 3),
                                    float(env("CAREDESK_GATEWAY_READ_TIMEOUT_SECONDS") or 30))
        overrides = ",".join(filter(None, [DEFAULT_TIMEOUT_OVERRIDES, env("CAREDESK_GATEWAY_ROUTE_TIMEOUTS")]))
        body_overrides = ",".join(filter(None, [DEFAULT_BODY_OVERRIDES, env("CAREDESK_GATEWAY_ROUTE_MAX_BODY_BYTES")]))
        return cls(
            timeouts=RouteTable.parse(default_timeouts, overrides, Timeouts.parse),
            max_body_bytes=RouteTable.parse(int(env("CAREDESK_GATEWAY_MAX_BODY_BYTES") or 2 * 1024 * 1024),
                                            body_overrides, int),
            card_parts=Timeouts.parse(env("CAREDESK_GATEWAY_CARD_TIMEOUTS") or "2:5"),
            retry_after_seconds=int(env("CAREDESK_GATEWAY_RETRY_AFTER_SECONDS") or 5),
        )
