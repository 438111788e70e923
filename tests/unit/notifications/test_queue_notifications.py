"""Notifications: a dispatched case gives one notice to the queue and one to each active member, once."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.notifications.handlers import notify_queue_members
from services.notifications.models import Notification
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, case_event, deliver, dispatched, user_event


def test_dispatched_case_notifies_the_queue_and_its_active_members_once(worker, bearer):
    consumer, app = worker
    replicate, notify = HANDLER["replicate_user"], HANDLER["notify_queue_members"]
    assert notify.handle is notify_queue_members
    boris, olga, ivan = user_event("boris", ["delivery"]), user_event("olga", ["billing"]), \
        user_event("ivan", ["delivery"], active=False)
    for event in (boris, olga, ivan):
        assert deliver(consumer, event, replicate).acked
    event = dispatched()
    first, duplicate = deliver(consumer, event, notify), deliver(consumer, event, notify)
    assert first.acked and duplicate.acked

    with consumer.database.session() as session:
        rows = session.execute(select(Notification.recipient_kind, Notification.recipient)).all()
    assert sorted(rows) == [("queue", "delivery"), ("user", boris.data["id"])]

    member = make_principal(user_id=uuid.UUID(boris.data["id"]), level=3, queues=frozenset({"delivery"}))
    outsider = make_principal(user_id=uuid.UUID(olga.data["id"]), level=3, queues=frozenset({"billing"}))
    client = app.test_client()
    assert len(client.get("/api/v1/notifications", headers=bearer(member)).get_json()["items"]) == 2
    assert client.get("/api/v1/notifications", headers=bearer(outsider)).get_json()["items"] == []


def inbox(consumer) -> list[tuple[str, str, str]]:
    with consumer.database.session() as session:
        return sorted(tuple(row) for row in session.execute(
            select(Notification.event_type, Notification.recipient, Notification.subject)))


@pytest.mark.parametrize("event_type,extra,told", [
    ("case.rejected", {"reason": "the address is missing"}, ["initiator_id"]),
    ("case.closed", {"resolution": "SIM delivered"}, ["initiator_id"]),
    ("case.accepted", {}, ["initiator_id"]),
    ("case.sla_breached", {"kind": "acceptance", "due_at": "2026-11-24T10:00:00+00:00"},
     ["owner_id", "supervisor"]),
])
def test_case_participants_are_told_once(worker, event_type, extra, told):
    consumer, _ = worker
    event = case_event(event_type, **extra)
    notify = HANDLER["notify_case_participants"]
    assert deliver(consumer, event, notify).acked and deliver(consumer, event, notify).acked
    recipients = {event.data["queue"]["supervisor_id"] if key == "supervisor" else event.data[key] for key in told}
    rows = inbox(consumer)
    assert {recipient for _, recipient, _ in rows} == recipients
    assert len(rows) == len(recipients)
    if "reason" in extra:
        with consumer.database.session() as session:
            assert "the address is missing" in session.scalar(select(Notification.body))


def test_escalation_notifies_the_supervisor(worker):
    consumer, _ = worker
    supervisor = str(uuid.uuid4())
    deliver(consumer, case_event("case.escalated", kind="resolution", supervisor_id=supervisor,
                                 reason="resolution target missed"), HANDLER["notify_case_participants"])
    [(event_type, recipient, subject)] = inbox(consumer)
    assert (event_type, recipient) == ("case.escalated", supervisor)
    assert subject == "Se le escaló el caso 2026-000001"  # the company's language until changed


def test_the_inbox_counts_unread_notices_and_marks_one_or_all_read(worker, bearer):
    consumer, app = worker
    initiator, other = uuid.uuid4(), make_principal(level=3)
    for event_type in ("case.accepted", "case.closed", "case.rejected"):
        deliver(consumer, case_event(event_type, initiator_id=str(initiator), reason="x", resolution="y"),
                HANDLER["notify_case_participants"])
    me = bearer(make_principal(user_id=initiator, level=3))
    client = app.test_client()
    assert client.get("/api/v1/notifications/unread", headers=me).get_json() == {"unread": 3}
    first = client.get("/api/v1/notifications?unread=true", headers=me).get_json()["items"][0]
    assert client.post(f"/api/v1/notifications/{first['id']}/read", headers=bearer(other)).status_code == 404
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=me).get_json()
    assert read["read_at"] is not None
    assert client.get("/api/v1/notifications/unread", headers=me).get_json() == {"unread": 2}
    assert client.post("/api/v1/notifications/read-all", headers=me).get_json() == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=true", headers=me).get_json()["items"] == []
