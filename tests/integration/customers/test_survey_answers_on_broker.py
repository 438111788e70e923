"""A customer's survey answer travels from the notifications service (the answer link, its outbox,
``caredesk relay notifications``) over the real RabbitMQ to the customers service's
``caredesk consume customers`` process, and shows on the customer's card."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.customers import create_app as customers_app
from services.customers.surveys import SurveyAnswer
from services.customers.use_cases import create_customer
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork
from services.notifications import create_app as notifications_app
from services.notifications.surveys.links import token_for
from services.notifications.surveys.models import Survey, SurveySettings
from tests.conftest import make_principal
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def test_a_survey_answer_reaches_the_customers_card_through_rabbitmq(customers, make_service, make_processes,
                                                                    key_pair, token_issuer):
    notifications = make_service("notifications")
    customers.declare_topology()
    agent = make_principal(level=1, permissions=frozenset({"edit_customers"}))
    customer = create_customer(UnitOfWork(customers.database, producer="customers"), principal=agent,
                               data={"code": f"S-{uuid.uuid4().hex[:8]}", "kind": "person", "name": "Trần Thị Mai"})
    survey_id = uuid.uuid4()
    with notifications.database.session() as session:
        session.add(Survey(id=survey_id, case_id=uuid.uuid4(), case_number="2026-000321", customer_id=customer.id,
                           channel="email", language="vi", expires_at=utcnow() + timedelta(days=14)))
        session.commit()
        token = token_for(session.get(SurveySettings, 1), survey_id)
    answering = notifications_app(dataclasses.replace(notifications.settings, public_key_file=key_pair[1]))
    answered = answering.test_client().post(f"/api/v1/notifications/surveys/answer/{token}",
                                            json={"score": 4, "comment": "Nhanh và chu đáo"})
    assert answered.status_code == 200, answered.get_json()
    answering.extensions["caredesk"].database.dispose()

    processes = make_processes(notifications, customers)
    processes.caredesk("relay", "relay", "notifications")
    processes.caredesk("consumer", "consume", "customers")
    wait_until(lambda: customers.count(SurveyAnswer.__table__) == 1, timeout=90,
               what="the customers service to keep the answer")

    card_app = customers_app(dataclasses.replace(customers.settings, public_key_file=key_pair[1]))
    token, _ = token_issuer.issue(agent)
    card = card_app.test_client().get(f"/api/v1/customers/{customer.id}",
                                      headers={"Authorization": f"Bearer {token}"}).get_json()
    card_app.extensions["caredesk"].database.dispose()
    assert card["satisfaction"]["answers"] == 1 and card["satisfaction"]["average"] == 4.0
    [latest] = card["satisfaction"]["latest"]
    assert (latest["case_number"], latest["score"], latest["comment"]) == ("2026-000321", 4, "Nhanh và chu đáo")
    with customers.database.session() as session:
        assert session.scalar(select(SurveyAnswer.survey_id)) == survey_id
