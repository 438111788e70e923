"""Interactions on PostgreSQL with the real RabbitMQ: numbers handed out in order to concurrent
writers, and a scheduled follow-up reaching the broker as followup.scheduled.v1 in the agreed shape."""
from __future__ import annotations

import json
import uuid
from datetime import date, time
from concurrent.futures import ThreadPoolExecutor

import pytest
from kombu import Queue
from sqlalchemy import insert, select

from services.customers.interactions.use_cases import open_interaction, schedule_followup
from services.customers.models import Customer, directory_users
from services.kit.db import utcnow
from services.kit.messaging.relay import OutboxRelay
from services.kit.messaging.topology import connect, events_exchange
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal
from tests.integration.kit.conftest import create_customers

pytestmark = pytest.mark.integration

PROSPECT = uuid.UUID(int=0)
CONTRACT = ("id", "customer_id", "customer_code", "interaction_id", "organiser_id", "starts_at", "ends_at", "subject",
            "location", "participant_ids", "copy_ids")


def uow(customers, principal) -> UnitOfWork:
    return UnitOfWork(customers.database, producer="customers", actor=str(principal.user_id))


def test_concurrent_agents_get_distinct_consecutive_numbers(customers):
    agents = [make_principal(level=1) for _ in range(8)]

    def log(agent):
        return open_interaction(uow(customers, agent), principal=agent, customer_id=PROSPECT,
                                data={"direction": "inbound", "channel": "phone", "topic": "price"})[1].number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = sorted(pool.map(log, agents * 3))
    assert numbers == list(range(1, 25))


def test_follow_up_reaches_the_broker_in_the_agreed_shape(customers):
    create_customers(customers, ["F-1"])
    agent, colleague, supervisor = make_principal(level=1), make_principal(level=3), make_principal(level=2)
    with customers.database.engine.begin() as connection:
        connection.execute(insert(directory_users), [
            {"id": person.user_id, "username": name, "full_name": name, "email": None, "level": person.level,
             "branch_id": None, "department_id": None, "permissions": [], "queues": [], "is_active": True,
             "directory_version": 1, "updated_at": utcnow()}
            for person, name in ((colleague, "colleague"), (supervisor, "supervisor"))])
    with customers.database.session() as session:
        customer = session.scalar(select(Customer).where(Customer.code == "F-1"))
    queue = Queue("test.followups", exchange=events_exchange(customers.settings), routing_key="followup.scheduled.v1",
                  durable=False, auto_delete=False)
    with connect(customers.settings) as connection:
        queue(connection.default_channel).declare()
    _customer, interaction = open_interaction(uow(customers, agent), principal=agent, customer_id=customer.id,
                                              data={"direction": "outbound", "channel": "skype_teams"})
    followup = schedule_followup(uow(customers, agent), principal=agent, customer_id=customer.id,
                                 interaction_id=interaction.id, data={
                                     "date": date(2026, 12, 3), "time": time(9, 0), "time_zone": "Europe/Moscow",
                                     "duration_minutes": 60, "subject": "Migration call", "location": None,
                                     "participant_ids": [colleague.user_id], "copy_ids": [supervisor.user_id]})
    # customer.created.v1 and customer.addresses.v1 too
    assert OutboxRelay(customers.database, customers.settings).relay_once() == 3
    with connect(customers.settings) as connection:
        message = queue(connection.default_channel).get(no_ack=True)
    assert message is not None
    envelope = json.loads(message.body)
    assert (envelope["type"], envelope["version"]) == ("followup.scheduled", 1)
    assert {key: envelope["data"][key] for key in CONTRACT} == {
        "id": str(followup.id), "customer_id": str(customer.id), "customer_code": "F-1",
        "interaction_id": str(interaction.id), "organiser_id": str(agent.user_id),
        "starts_at": "2026-12-03T06:00:00+00:00", "ends_at": "2026-12-03T07:00:00+00:00",
        "subject": "Migration call", "location": None, "participant_ids": [str(colleague.user_id)],
        "copy_ids": [str(supervisor.user_id)]}
