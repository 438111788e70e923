"""The event envelope every Caredesk event travels in; the routing key is ``<type>.v<version>``."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

EVENT_NAME = re.compile(r"^(?P<type>[a-z_]+(?:\.[a-z_]+)+)\.v(?P<version>[1-9][0-9]*)$")


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Plain JSON values for event data: ids and times as strings."""
    kind = type(value)
    if kind in _PLAIN:  # most of an event: checked first, by exact type (cheap)
        return value
    if kind is dict:
        return {key if type(key) is str else str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def split_event_name(name: str) -> tuple[str, int]:
    """``case.dispatched.v1`` -> (``case.dispatched``, 1)."""
    match = EVENT_NAME.match(name)
    if not match:
        raise ValueError(f"event name {name!r} is not <aggregate>.<past-tense verb>.v<major>")
    return match["type"], int(match["version"])


class EnvelopeSchema(Schema):
    class Meta:
        # a field added by a newer producer must not stop older consumers; what breaks them is a
        # new version (a new routing key), never a new field
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+(\.[a-z_]+)+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(allow_none=True, load_default=None)
    actor = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


_ENVELOPE_SCHEMA = EnvelopeSchema()


@dataclass(frozen=True)
class Envelope:
    type: str
    version: int
    producer: str
    data: dict
    correlation_id: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    causation_id: str | None = None
    actor: str | None = None

    @property
    def name(self) -> str:
        return f"{self.type}.v{self.version}"

    @property
    def routing_key(self) -> str:
        return self.name

    def to_dict(self) -> dict:
        return to_jsonable({
            "id": self.id, "type": self.type, "version": self.version,
            "occurred_at": self.occurred_at, "producer": self.producer,
            "correlation_id": self.correlation_id, "causation_id": self.causation_id,
            "actor": self.actor, "data": self.data,
        })

    @classmethod
    def from_dict(cls, payload: Any) -> "Envelope":
        """Validate a received body; raises marshmallow.ValidationError when malformed."""
        if not isinstance(payload, dict):
            raise ValidationError({"_schema": ["envelope must be a JSON object"]})
        loaded = _ENVELOPE_SCHEMA.load(payload)
        return cls(**loaded)
