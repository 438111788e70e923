"""Notifications on SQLite: a consumer of its handlers, made-up users and case events."""
from __future__ import annotations

import uuid

import pytest

from services.kit.messaging.consumer import ConsumerWorker, Delivery
from services.kit.messaging.envelope import Envelope
from services.notifications import create_app
from services.notifications.handlers import HANDLERS


class FakeMessage:
    """Just enough of a kombu message for the consumer's batch logic."""

    def __init__(self, envelope: Envelope) -> None:
        self.payload = envelope.to_dict()
        self.acked = False
        self.headers, self.properties, self.delivery_info = {}, {}, {}

    def decode(self):
        return self.payload

    def ack(self):
        self.acked = True


def user_event(username: str, queues: list[str], *, active: bool = True) -> Envelope:
    return Envelope(type="user.created", version=1, producer="gateway", correlation_id="t", data={
        "id": str(uuid.uuid4()), "username": username, "full_name": username, "email": None, "level": 3,
        "branch_id": None, "department_id": None, "permissions": [], "queues": queues, "is_active": active,
        "version": 1})


def dispatched(number: str = "2026-000001") -> Envelope:
    return Envelope(type="case.dispatched", version=1, producer="cases", correlation_id="t", data={
        "id": str(uuid.uuid4()), "number": number, "subject": "Deliver SIM", "priority": "high",
        "status": "open_dispatch", "customer": {"id": str(uuid.uuid4()), "code": "C-1", "name": "Linh"},
        "queue": {"id": str(uuid.uuid4()), "code": "delivery", "name": "Delivery"}})


HANDLER = {handler.name: handler for handler in HANDLERS}


@pytest.fixture
def worker(component_settings):
    settings = component_settings("notifications")
    app = create_app(settings)
    return ConsumerWorker(app.extensions["caredesk"].database, settings, HANDLERS), app


def deliver(worker, envelope, handler):
    message = FakeMessage(envelope)
    worker.process([Delivery(handler=handler, queue="q", message=message)])
    return message


def case_event(event_type: str, **extra) -> Envelope:
    data = dispatched().data | {"initiator_id": str(uuid.uuid4()), "owner_id": str(uuid.uuid4())}
    data["queue"]["supervisor_id"] = str(uuid.uuid4())
    return Envelope(type=event_type, version=1, producer="cases", correlation_id="t", data=data | extra)


