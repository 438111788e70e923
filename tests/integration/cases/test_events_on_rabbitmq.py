"""Seed 004's flow on the real PostgreSQL, its events relayed to the real RabbitMQ by ``caredesk
relay cases`` and consumed by the notifications service's ``notify_queue_members`` process: every
dispatch (the first and the one after the correction) reaches the Delivery queue once."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from services.cases import create_app
from services.cases.models import CustomerReadModel
from services.notifications.models import Notification
from tests.integration.conftest import wait_until
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID, INITIATOR_ID, Api, make_people, setup_queue

pytestmark = pytest.mark.integration


def test_case_events_reach_the_queue_notifications_through_rabbitmq(cases, make_service, make_processes,
                                                                     key_pair, token_issuer):
    notifications = make_service("notifications")
    notifications.declare_topology()
    app = create_app(dataclasses.replace(cases.settings, public_key_file=key_pair[1]))
    api = Api(app, token_issuer)
    with app.extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=CUSTOMER_ID, code="C-7", name="Дмитрий Иванов", branch_id=BRANCH, created_by=INITIATOR_ID,
                                      source_version=1))
        session.commit()

    people = make_people("delivery")
    setup_queue(api, people)
    case = api.ok(api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "Deliver the SIM card"}), 201)
    path = f"/cases/{case['id']}"
    api.ok(api.post(f"{path}/dispatch", as_=people.initiator))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    api.ok(api.post(f"{path}/reject", as_=people.agent, json={"reason": "No flat number."}))
    api.ok(api.post(f"{path}/dispatch", as_=people.initiator))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    api.ok(api.post(f"{path}/accept", as_=people.agent))
    api.ok(api.post(f"{path}/close", as_=people.agent, json={"resolution": "Delivered."}))
    events = cases.count(cases.database.outbox)
    assert events >= 9

    processes = make_processes(cases, notifications)
    processes.caredesk("relay", "relay", "cases")
    processes.caredesk("consumer", "consume", "notifications")
    wait_until(lambda: cases.unsent_outbox() == 0, timeout=60, what="the relay to publish every case event")

    def queue_notices() -> int:
        return notifications.count(Notification.__table__, Notification.recipient == "delivery")

    wait_until(lambda: queue_notices() == 2, timeout=60, what="both dispatches to reach the queue's inbox")
    with notifications.database.session() as session:
        subjects = session.scalars(select(Notification.subject).where(Notification.recipient == "delivery")).all()
        inbox = notifications.database.inbox
        handled = session.scalar(select(func.count()).select_from(inbox)
                                 .where(inbox.c.handler == "notify_queue_members"))
    assert subjects == [f"Caso {case['number']} en espera en la cola Delivery"] * 2  # the company's language
    assert handled == 2

    # The initiator hears that the case came back, was accepted and was closed, once each.
    def initiator_notices() -> list[str]:
        with notifications.database.session() as session:
            return sorted(session.scalars(select(Notification.event_type).where(
                Notification.recipient == str(people.initiator.user_id))))

    wait_until(lambda: len(initiator_notices()) == 3, timeout=60, what="the initiator's three notices")
    assert initiator_notices() == ["case.accepted", "case.closed", "case.rejected"]
