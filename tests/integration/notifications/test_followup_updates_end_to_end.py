"""A follow-up scheduled, rescheduled and cancelled through the customers API on PostgreSQL; its
events relayed to the real RabbitMQ by ``caredesk relay customers``, turned into invitations by the
``caredesk consume notifications`` process and sent by a Celery worker to a real SMTP server
(aiosmtpd): each person invited gets the REQUEST (SEQUENCE 0), one update (a REQUEST with SEQUENCE
1 and the new time) and one CANCEL (SEQUENCE 2), each exactly once, all with the same UID."""
from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from datetime import datetime, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import insert

from services.customers import create_app
from services.customers.models import directory_users as customers_directory
from services.kit.db import utcnow
from services.notifications.base import directory_users as notifications_directory
from services.notifications.deliveries.models import SENT, Delivery
from tests.catchers import MailCatcher
from tests.conftest import make_principal
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

BRANCH, DEPARTMENT = uuid.uuid4(), uuid.uuid4()


def register(services, people: dict) -> None:
    """The people as the gateway's user events leave them in each service's directory replica."""
    rows = [{"id": person.user_id, "username": name, "full_name": name.title(), "email": f"{name}@caredesk.test",
             "level": person.level, "branch_id": BRANCH, "department_id": DEPARTMENT, "permissions": [],
             "queues": [], "is_active": True, "directory_version": 1, "updated_at": utcnow()}
            for name, person in people.items()]
    for service, table in services:
        with service.database.engine.begin() as connection:
            connection.execute(insert(table), rows)


def test_a_rescheduled_follow_up_updates_and_a_cancelled_one_cancels_every_invitation_once(
        customers, make_service, make_processes, key_pair, token_issuer):
    notifications = make_service("notifications")
    notifications.declare_topology()
    people = {name: make_principal(level=level, branch_id=BRANCH, department_id=DEPARTMENT, username=name,
                                   permissions=frozenset({"edit_customers"}))  # ana registers the customer
              for name, level in (("ana", 1), ("boris", 3), ("sofia", 2))}
    register([(customers, customers_directory), (notifications, notifications_directory)], people)
    app = create_app(dataclasses.replace(customers.settings, public_key_file=key_pair[1]))
    client = app.test_client()
    token, _ = token_issuer.issue(people["ana"])
    ana = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, status: int, *, version: str | None = None, **body) -> tuple[dict, str]:
        headers = ana | ({"If-Match": version} if version else {})
        response = client.open(f"/api/v1/customers{path}", method=method, headers=headers, json=body or None)
        assert response.status_code == status, response.get_json()
        return response.get_json(), response.headers.get("ETag")

    customer, _ = call("POST", "", 201, code=f"E-{uuid.uuid4().hex[:8]}", kind="person", name="Iván Petrov",
                       country="RU", language="ru")
    interaction, _ = call("POST", f"/{customer['id']}/interactions", 201, direction="inbound", channel="phone")
    followup, etag = call("POST", f"/{customer['id']}/interactions/{interaction['id']}/followups", 201,
                          date="2026-12-03", time="10:00", time_zone="Europe/Moscow", duration_minutes=30,
                          subject="Migration call", participant_ids=[str(people["boris"].user_id)],
                          copy_ids=[str(people["sofia"].user_id)])
    path = f"/{customer['id']}/interactions/{interaction['id']}/followups/{followup['id']}"
    _, etag = call("PATCH", path, 200, version=etag, date="2026-12-04", time="15:30")
    cancelled, _ = call("POST", f"{path}/cancel", 200, version=etag)
    assert cancelled["sequence"] == 2

    with MailCatcher() as smtp:
        processes = make_processes(customers, notifications)
        processes.extra_env = {"CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
                               "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port)}
        processes.caredesk("relay", "relay", "customers")
        processes.caredesk("consumer", "consume", "notifications")
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "2")
        processes.caredesk("beat", "beat")
        wait_until(lambda: customers.unsent_outbox() == 0, timeout=60, what="the relay to publish every event")
        wait_until(lambda: notifications.count(Delivery.__table__, Delivery.status == SENT) == 9, timeout=120,
                   what="three invitations to each of the three people sent")
        messages = list(smtp.messages)

    seen = Counter()
    uid = f"followup-{followup['id']}@caredesk"
    for message in messages:
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == uid
        assert part.get_param("method") == str(calendar["METHOD"])
        sequence = int(event["SEQUENCE"])
        if sequence == 1:
            assert event.decoded("DTSTART") == datetime(2026, 12, 4, 12, 30, tzinfo=timezone.utc)
        if str(calendar["METHOD"]) == "CANCEL":
            assert str(event["STATUS"]) == "CANCELLED"
        seen[(message["To"], str(calendar["METHOD"]), sequence)] += 1
    expected = {(f"{name}@caredesk.test", method, sequence): 1 for name in people
                for method, sequence in (("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2))}
    assert dict(seen) == expected
    assert notifications.count(Delivery.__table__) == 9
