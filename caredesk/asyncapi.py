"""The event catalogue as an AsyncAPI document, built from each producer's declared events
(services.kit.contracts, the events.py modules) and the components' handlers."""
from __future__ import annotations

import json

from caredesk.components import COMPONENTS
from services.kit.contracts import catalogue, json_schema
from services.kit.messaging.envelope import EnvelopeSchema

ENVELOPE_FORMATS = {"id": "uuid", "occurred_at": "date-time"}


def emitted_events() -> dict[str, tuple[str, str]]:
    """event name -> (producer, description)."""
    return {name: (event.producer, event.description) for name, event in catalogue().items()}


def _envelope_schema() -> dict:
    properties = {}
    for name, field in EnvelopeSchema().fields.items():
        kind = {"version": "integer", "data": "object"}.get(name, "string")
        properties[name] = {"type": [kind, "null"] if field.allow_none else kind}
        if name in ENVELOPE_FORMATS:
            properties[name]["format"] = ENVELOPE_FORMATS[name]
    return {"type": "object", "required": sorted(properties), "properties": properties}


def build_document() -> dict:
    consumers: dict[str, list[str]] = {}
    for component in COMPONENTS.values():
        for handler in component.handlers:
            for event in handler.events:
                consumers.setdefault(event, []).append(f"{component.name}.{handler.name}")
    channels, payloads = {}, {}
    for name, event in catalogue().items():
        payloads[name] = json_schema(event.payload)
        event_type, _, version = name.rpartition(".v")
        channels[name] = {
            "description": f"{event.description} Published by {event.producer} on the topic exchange "
                           f"caredesk.events. Consumed by: {', '.join(sorted(consumers.get(name, []))) or 'nobody yet'}.",
            "subscribe": {"operationId": f"on_{name.replace('.', '_')}",
                          "message": {"name": name, "contentType": "application/json", "payload": {"allOf": [
                              {"$ref": "#/components/schemas/Envelope"},
                              {"type": "object", "properties": {
                                  "type": {"const": event_type}, "version": {"const": int(version)},
                                  "producer": {"const": event.producer},
                                  "data": {"$ref": f"#/components/schemas/{name}"}}}]}}},
            "bindings": {"amqp": {"is": "routingKey",
                                  "exchange": {"name": "caredesk.events", "type": "topic", "durable": True}}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Caredesk events", "version": "1",
                 "description": "Every state change, carried in one envelope; routing key <aggregate>.<verb>.v<major>. "
                                "Each message's data is the payload its producer declares in its events.py; "
                                "the outbox refuses anything else."},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": {"Envelope": _envelope_schema(), **payloads}},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"
