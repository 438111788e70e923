"""The delivery log through the notifications API (issue 11, item 8): administrators search every
message by recipient (id, customer code or address), channel, status, event, template, language,
the provider's message id and a date range, paged, newest first; other users see only their own;
a bad query is a 422 naming each field."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from services.notifications.deliveries.models import Delivery
from tests.conftest import make_principal

URL = "/api/v1/notifications/deliveries"
ANA = make_principal(level=3, username="ana")


def row(created_at: datetime, **values) -> dict:
    delivery_id = uuid.uuid4()
    return {"id": delivery_id, "event_id": uuid.uuid4(), "event_type": "case.closed", "channel": "email",
            "recipient_kind": "user", "recipient": str(uuid.uuid4()), "address": "someone@caredesk.test",
            "template": "case.closed", "language": "es", "subject": "Caso cerrado", "body_text": "…",
            "status": "sent", "attempts": 1, "next_attempt_at": created_at, "created_at": created_at,
            "updated_at": created_at, "provider_message_id": f"<{delivery_id}@caredesk>",
            "provider_answer": "250 OK"} | values


@pytest.fixture
def log(worker):
    """Seven deliveries over three days (UTC), newest last."""
    database = worker[1].extensions["caredesk"].database
    day = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    rows = {
        "ana_mail": row(day, recipient=str(ANA.user_id), address="Ana@CareDesk.test"),
        "ana_failed": row(day + timedelta(hours=1), recipient=str(ANA.user_id), address="ana@caredesk.test",
                          status="failed", provider_message_id=None, provider_answer=None, attempts=5,
                          last_error="451 try later"),
        "sms": row(day + timedelta(days=1), channel="sms", recipient_kind="customer", recipient="C-1001",
                   address="+79161234567", event_type="survey.requested", template="survey.request",
                   language="ru", provider_message_id="prov-77"),
        "reminder": row(day + timedelta(days=1, hours=1), recipient_kind="customer", recipient="C-1002",
                        address="pagos@cliente.test", event_type="receivable.reminder_due",
                        template="payment_reminder"),
        "invite": row(day + timedelta(days=2), event_type="followup.changed", template="followup.changed",
                      language="vi"),
        "late": row(day + timedelta(days=2, hours=11, minutes=30)),  # 23:30 UTC = the 23rd in Moscow
        "whatsapp": row(day + timedelta(days=2, hours=1), channel="whatsapp", recipient_kind="customer",
                        recipient="C-1003", address="+573001234567", status="pending",
                        provider_message_id=None, provider_answer=None, attempts=0),
    }
    with database.engine.begin() as connection:
        connection.execute(insert(Delivery.__table__), list(rows.values()))
    return {name: str(values["id"]) for name, values in rows.items()}


def ids(client, headers, **query) -> list[str]:
    response = client.get(URL, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_an_administrator_searches_the_log_by_every_criterion(worker, log, bearer):
    client, admin = worker[1].test_client(), bearer(make_principal(level=1))
    everything = client.get(URL, headers=admin).get_json()
    assert everything["total"] == 7
    assert everything["items"][0]["id"] == log["late"]  # newest first
    assert set(ids(client, admin, recipient=str(ANA.user_id))) == {log["ana_mail"], log["ana_failed"]}
    assert set(ids(client, admin, recipient="ANA@caredesk.TEST")) == {log["ana_mail"], log["ana_failed"]}
    assert ids(client, admin, recipient="C-1001") == [log["sms"]]
    assert ids(client, admin, recipient="+79161234567") == [log["sms"]]
    assert set(ids(client, admin, channel="sms")) | set(ids(client, admin, channel="whatsapp")) == {
        log["sms"], log["whatsapp"]}
    assert ids(client, admin, status="failed") == [log["ana_failed"]]
    assert ids(client, admin, status="pending") == [log["whatsapp"]]
    assert ids(client, admin, event_type="followup.changed") == [log["invite"]]
    assert ids(client, admin, template="payment_reminder") == [log["reminder"]]
    assert ids(client, admin, language="ru") == [log["sms"]]
    assert ids(client, admin, provider_message_id="prov-77") == [log["sms"]]
    found = client.get(URL, headers=admin, query_string={"provider_message_id": "prov-77"}).get_json()["items"][0]
    assert (found["provider_message_id"], found["provider_answer"], found["address"]) == ("prov-77", "250 OK",
                                                                                        "+79161234567")
    assert set(ids(client, admin, **{"from": "2026-11-21", "to": "2026-11-21"})) == {log["sms"], log["reminder"]}
    assert set(ids(client, admin, **{"from": "2026-11-22"})) == {log["invite"], log["late"], log["whatsapp"]}
    assert set(ids(client, admin, **{"from": "2026-11-23", "tz": "Europe/Moscow"})) == {log["late"]}
    assert ids(client, admin, **{"to": "2026-11-20", "channel": "email", "status": "sent"}) == [log["ana_mail"]]

    pages = [client.get(URL, headers=admin, query_string={"per_page": 3, "page": n}).get_json() for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1] and {p["total"] for p in pages} == {7}
    assert len({item["id"] for p in pages for item in p["items"]}) == 7


def test_other_users_see_only_what_was_sent_to_them(worker, log, bearer):
    client = worker[1].test_client()
    assert set(ids(client, bearer(ANA))) == {log["ana_mail"], log["ana_failed"]}
    assert ids(client, bearer(ANA), recipient="C-1001") == []
    assert client.get(f"{URL}/{log['sms']}", headers=bearer(ANA)).status_code == 404
    assert client.get(f"{URL}/{log['ana_mail']}", headers=bearer(ANA)).status_code == 200
    assert ids(client, bearer(make_principal(level=2))) == []


def test_a_bad_query_names_each_bad_field(worker, log, bearer):
    client, admin = worker[1].test_client(), bearer(make_principal(level=1))
    response = client.get(URL, headers=admin, query_string={
        "status": "lost", "channel": "pigeon", "event_id": "nope", "from": "2026-13-01", "tz": "Mars/Base",
        "per_page": 0, "surprise": 1, "language": "fr"})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert set(response.get_json()["errors"]) == {"status", "channel", "event_id", "from", "tz", "per_page",
                                                  "surprise", "language"}
    backwards = client.get(URL, headers=admin, query_string={"from": "2026-11-22", "to": "2026-11-20"})
    assert backwards.status_code == 422 and "to" in backwards.get_json()["errors"]
