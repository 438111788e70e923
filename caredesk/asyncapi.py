"""The event catalogue as an AsyncAPI document, built from each component's events.EMITTED and handlers."""
from __future__ import annotations

import importlib
import json

from caredesk.components import COMPONENTS
from services.kit.messaging.envelope import EnvelopeSchema

EVENT_MODULES = {"gateway": "gateway.directory.events", "customers": "services.customers.events",
                 "cases": "services.cases.events", "notifications": "services.notifications.events"}


def emitted_events() -> dict[str, tuple[str, str]]:
    """event name -> (producer, description)."""
    events = {}
    for producer, module in EVENT_MODULES.items():
        for name, description in importlib.import_module(module).EMITTED.items():
            events[name] = (producer, description)
    return events


def build_document() -> dict:
    consumers: dict[str, list[str]] = {}
    for component in COMPONENTS.values():
        for handler in component.handlers:
            for event in handler.events:
                consumers.setdefault(event, []).append(f"{component.name}.{handler.name}")
    envelope_fields = {name: {"type": "string"} for name in EnvelopeSchema().fields}
    envelope_fields["version"] = {"type": "integer"}
    envelope_fields["data"] = {"type": "object"}
    channels = {}
    for name, (producer, description) in sorted(emitted_events().items()):
        channels[name] = {
            "description": f"{description} Published by {producer} on the topic exchange caredesk.events. "
                           f"Consumed by: {', '.join(sorted(consumers.get(name, []))) or 'nobody yet'}.",
            "subscribe": {"operationId": f"on_{name.replace('.', '_')}",
                          "message": {"name": name, "contentType": "application/json",
                                      "payload": {"$ref": "#/components/schemas/Envelope"}}},
            "bindings": {"amqp": {"is": "routingKey",
                                  "exchange": {"name": "caredesk.events", "type": "topic", "durable": True}}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Caredesk events", "version": "1",
                 "description": "Every state change, carried in one envelope; routing key <aggregate>.<verb>.v<major>."},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": {"Envelope": {"type": "object", "required": sorted(envelope_fields),
                                                "properties": envelope_fields}}},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"
