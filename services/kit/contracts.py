"""Typed event contracts: what each producer emits and what each consumer reads, held together.

A producer declares every event it emits in its ``events.py``::

    EMITTED = declare("customers",
        Event("customer.created.v1", "A customer was created; …", CustomerSnapshot))

with a :class:`Payload` schema (marshmallow; unknown fields refused, so a typo in a producer
fails). The unit of work checks every event against its declaration before writing it to the
outbox (:func:`check_event`): an undeclared name, a missing or mistyped field, or a field the
schema does not know raises :class:`EventContractBroken` and nothing is written.

A consumer declares what each handler reads with a :class:`Reads` schema (just those fields;
the rest of the payload is ignored, the tolerant reader) on its ``EventHandler(reads=…)``, one
schema for every bound event or one per event. :func:`read_problems` compares a read schema
with the producer's payload schema on the wire's terms (JSON types and formats, presence, null),
and tests/unit/test_event_contracts.py runs it for every handler of every component.
:func:`json_schema` turns a schema into the JSON Schema the AsyncAPI document shows.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Mapping

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from services.kit.quick_load import QuickLoader

__all__ = ["CATALOGUE_MODULES", "Event", "EventContractBroken", "Payload", "Reads", "catalogue", "check_event",
           "declare", "fields", "json_schema", "read_problems", "validate"]

# Where each producer declares its events; ``catalogue()`` imports them all.
CATALOGUE_MODULES = {
    "gateway": "gateway.directory.events",
    "customers": "services.customers.events",
    "cases": "services.cases.events",
    "notifications": "services.notifications.events",
}


class Payload(Schema):
    """A producer's payload schema: every field it sends, unknown fields refused."""

    class Meta:
        unknown = RAISE


class Reads(Schema):
    """A consumer's read schema: just the fields its handler reads (``required=True`` for those it
    reads without a default, ``allow_none=True`` where it copes with null); others are ignored."""

    class Meta:
        unknown = EXCLUDE


class EventContractBroken(ValueError):
    """An event that its producer did not declare, or whose payload breaks its declared schema."""


@dataclass(frozen=True)
class Event:
    """One event a producer emits: routing key, what it means, the shape of its ``data``."""

    name: str
    description: str
    payload: type[Schema]
    producer: str = ""

    def problems(self, data: dict) -> dict:
        """marshmallow's errors for ``data`` (the JSON form of the payload); empty when it fits."""
        loader = _LOADERS.get(self.payload)
        if loader is None:
            loader = _LOADERS[self.payload] = QuickLoader(_instance(self.payload))
        return loader.problems(data)


_DECLARED: dict[str, Event] = {}
_INSTANCES: dict[type[Schema], Schema] = {}
_LOADERS: dict[type[Schema], QuickLoader] = {}  # checks every event written: the quick path (kit.quick_load)


def _instance(schema: type[Schema]) -> Schema:
    if schema not in _INSTANCES:
        _INSTANCES[schema] = schema()
    return _INSTANCES[schema]


def declare(producer: str, *events: Event) -> dict[str, Event]:
    """Register ``producer``'s events; returns them by name (a producer's ``EMITTED``)."""
    emitted = {}
    for event in events:
        event = Event(event.name, event.description, event.payload, producer)
        known = _DECLARED.get(event.name)
        if known is not None and known.producer != producer:
            raise EventContractBroken(f"{event.name} is declared by both {known.producer} and {producer}")
        if event.name in emitted:
            raise EventContractBroken(f"{event.name} is declared twice by {producer}")
        emitted[event.name] = _DECLARED[event.name] = event
    return emitted


def catalogue() -> dict[str, Event]:
    """Every event the components declare, by name (events a test declares for a probe producer
    are left out)."""
    for module in CATALOGUE_MODULES.values():
        importlib.import_module(module)
    return {name: event for name, event in sorted(_DECLARED.items()) if event.producer in CATALOGUE_MODULES}


def check_event(name: str, data: dict, *, producer: str) -> None:
    """Refuse an event that ``producer`` did not declare or whose ``data`` (as JSON) does not
    match its payload schema. Raises :class:`EventContractBroken` naming the broken fields."""
    if name not in _DECLARED:
        catalogue()
    event = _DECLARED.get(name)
    if event is None:
        raise EventContractBroken(
            f"{name} is not declared: add it with its payload schema to the producer's events.py")
    if producer in CATALOGUE_MODULES and event.producer != producer:
        raise EventContractBroken(f"{name} is declared by {event.producer}, not {producer}")
    errors = event.problems(data)
    if errors:
        raise EventContractBroken(f"{name} does not match its declared payload ({producer}/events.py): {errors}")


# -- consumers against producers ------------------------------------------------------------------
def read_problems(reads: type[Schema], payload: type[Schema]) -> list[str]:
    """Why a consumer reading ``reads`` could be let down by a producer sending ``payload``
    (empty: it cannot). A field read must be sent, with the same JSON type (and format, if the
    reader relies on one); read as always present, it must always be sent; read as never null,
    it must never be null; a reader that knows the values must know every value sent."""
    return _compare(_instance(reads).fields, _instance(payload).fields, "")


def _wire_name(name: str, field: fields.Field) -> str:
    return field.data_key or name


def _compare(reads: Mapping[str, fields.Field], sends: Mapping[str, fields.Field], prefix: str) -> list[str]:
    problems = []
    sent = {_wire_name(name, field): field for name, field in sends.items() if not field.load_only}
    for name, field in reads.items():
        key = _wire_name(name, field)
        path = prefix + key
        source = sent.get(key)
        if source is None:
            problems.append(f"{path}: read but never sent")
            continue
        if field.required and not source.required:
            problems.append(f"{path}: read as always present, but the producer may leave it out")
        if not field.allow_none and source.allow_none:
            problems.append(f"{path}: read as never null, but the producer may send null")
        problems.extend(_compare_types(field, source, path))
    return problems


def _compare_types(read: fields.Field, sent: fields.Field, path: str) -> list[str]:
    if type(read) is fields.Raw:
        return []
    want, have = _kind(read), _kind(sent)
    if want != have and not (want == "number" and have == "integer"):
        return [f"{path}: read as {want}, sent as {have}"]
    if _format(read) and _format(read) != _format(sent):
        return [f"{path}: read as {_format(read)}, sent as {_format(sent) or 'any ' + have}"]
    problems = []
    wanted_values, sent_values = _choices(read), _choices(sent)
    if wanted_values is not None:
        if sent_values is None:
            problems.append(f"{path}: read as one of {sorted(wanted_values)}, sent unrestricted")
        elif not sent_values <= wanted_values:
            problems.append(f"{path}: sent values {sorted(sent_values - wanted_values)} the reader does not know")
    if isinstance(read, fields.Nested) and (read.many or getattr(sent, "many", False)):
        problems.append(f"{path}: declare lists as fields.List(fields.Nested(...)), not Nested(many=True)")
    elif isinstance(read, fields.Nested):
        problems.extend(_compare(_nested_fields(read), _nested_fields(sent), path + "."))
    elif isinstance(read, fields.List):
        problems.extend(_compare_types(read.inner, sent.inner, path + "[]"))
    return problems


def _nested_fields(field: fields.Nested) -> Mapping[str, fields.Field]:
    return field.schema.fields


# -- JSON Schema ----------------------------------------------------------------------------------
_FORMATS = ((fields.UUID, "uuid"), (fields.Email, "email"), (fields.DateTime, "date-time"), (fields.Date, "date"),
            (fields.Time, "time"), (fields.Url, "uri"))


def _kind(field: fields.Field) -> str:
    if isinstance(field, fields.Nested):
        return "array" if field.many else "object"
    if isinstance(field, (fields.List, fields.Tuple)):
        return "array"
    if isinstance(field, (fields.Dict, fields.Mapping)):
        return "object"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Integer):
        return "integer"
    if isinstance(field, fields.Decimal):
        return "string" if field.as_string else "number"
    if isinstance(field, (fields.Float, fields.Number)):
        return "number"
    if isinstance(field, (fields.String, fields.UUID, fields.DateTime, fields.Date, fields.Time)):
        return "string"
    if isinstance(field, fields.Constant):
        return type(field.constant).__name__
    return "any"


def _format(field: fields.Field) -> str | None:
    for kind, name in _FORMATS:
        if isinstance(field, kind):
            return name
    if isinstance(field, fields.Decimal) and field.as_string:
        return "decimal"
    return None


def _choices(field: fields.Field) -> set | None:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return set(validator.choices)
    return None


def json_schema(schema: type[Schema] | Schema) -> dict:
    """The JSON Schema (draft 7, as AsyncAPI 2 reads it) of what ``schema`` accepts."""
    instance = schema if isinstance(schema, Schema) else _instance(schema)
    properties, required = {}, []
    for name, field in instance.fields.items():
        if field.load_only:
            continue
        key = _wire_name(name, field)
        properties[key] = _field_schema(field)
        if field.required:
            required.append(key)
    document: dict = {"type": "object", "properties": properties}
    if required:
        document["required"] = required
    if instance.unknown == RAISE:
        document["additionalProperties"] = False
    if type(instance).__doc__:
        document = {"description": " ".join(type(instance).__doc__.split())} | document
    return document


def _field_schema(field: fields.Field) -> dict:
    kind = _kind(field)
    if isinstance(field, fields.Nested):
        inner = json_schema(field.schema)
        document = {"type": "array", "items": inner} if field.many else inner
    elif isinstance(field, fields.List):
        document = {"type": "array", "items": _field_schema(field.inner)}
    elif isinstance(field, fields.Dict):
        document = {"type": "object"}
        if field.value_field is not None:
            document["additionalProperties"] = _field_schema(field.value_field)
    elif kind == "any":
        document = {}
    else:
        document = {"type": kind}
        if _format(field):
            document["format"] = _format(field)
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            document["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Length):
            bounds = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
            if validator.min is not None:
                document[bounds[0]] = validator.min
            if validator.max is not None:
                document[bounds[1]] = validator.max
        elif isinstance(validator, validate.Range):
            if validator.min is not None:
                document["minimum"] = validator.min
            if validator.max is not None:
                document["maximum"] = validator.max
    description = field.metadata.get("description")
    if description:
        document = {"description": description} | document
    if field.allow_none:
        if "enum" in document:
            document["enum"] = [*document["enum"], None]
        if document.get("type") in ("object", "array") or "type" not in document:
            document = {"anyOf": [document, {"type": "null"}]} if document else document
        else:
            document["type"] = [document["type"], "null"]
    return document
