"""Payment reminders on SQLite with a real SMTP server (aiosmtpd): read models fed by the customers
service's events, settings and mailboxes through the API, the job sending each reminder once from
the right mailbox, in the recipient's language, respecting consent; a run killed mid-batch and run
again; a failing sender mailbox retried, then reported to the administrator and the agent."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, update

from services.kit.db import utcnow
from services.notifications.deliveries.models import FAILED, SENT, Delivery
from services.notifications.deliveries.use_cases import send_delivery
from services.notifications.models import Notification
from services.notifications.reminders.job import send_due_reminders
from services.notifications.reminders.models import (
    DEFAULT_AFTER, DEFAULT_BEFORE, MailAccount, Receivable, ReminderSent,
)
from services.notifications.runtime import build_runtime
from tests import reminder_events as events
from tests.catchers import MailCatcher, free_port
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, deliver, user_event

TODAY = date(2026, 12, 1)


@pytest.fixture
def smtp():
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def runtime(worker, smtp):
    consumer, _ = worker
    consumer.settings.extra.update(smtp_host="127.0.0.1", smtp_port=smtp.port, max_attempts=3, backoff_seconds=0.01,
                                   claim_seconds=30, mail_from="caredesk@caredesk.test")
    return build_runtime(consumer.settings, database=consumer.database)


def feed(worker, *envelopes):
    consumer, _ = worker
    handlers = {name: handler for handler in HANDLER.values() for name in handler.events}
    for envelope in envelopes:
        assert deliver(consumer, envelope, handlers[envelope.name]).acked


def person(worker, username, *, level, email=None):
    event = user_event(username, [])
    event.data.update(level=level, email=email)
    feed(worker, event)
    return make_principal(user_id=uuid.UUID(event.data["id"]), username=username, level=level)


def put_mailbox(client, bearer, principal, smtp_port, sender, password="s3cr3t-pw"):
    held = client.get("/api/v1/notifications/account/mailbox", headers=bearer(principal))
    if_match = {"If-Match": held.headers["ETag"]} if held.status_code == 200 else {}  # changing needs it
    answer = client.put("/api/v1/notifications/account/mailbox", headers=bearer(principal) | if_match, json={
        "host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "", "password": password,
        "sender": sender, "sender_name": principal.username})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def put_settings(client, bearer, principal, customer_id, *, version=0, **values):
    body = {"active": True, "concept_id": str(DEFAULT_BEFORE), "after_due_active": True,
            "after_due_concept_id": str(DEFAULT_AFTER)} | values
    return client.put(f"/api/v1/notifications/reminders/settings/{customer_id}", json=body,
                      headers=bearer(principal) | {"If-Match": f'"{version}"'})


def send_all(runtime) -> dict[str, str]:
    with runtime.database.session() as session:
        ids = session.scalars(select(Delivery.id)).all()
    return {str(delivery_id): send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy).status
            for delivery_id in ids}


def count(runtime, model) -> int:
    with runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_migration_seeds_the_two_concepts_of_seed_001(worker, runtime, bearer):
    client = worker[1].test_client()
    concepts = client.get("/api/v1/notifications/reminders/concepts", headers=bearer(make_principal(level=4)))
    assert [(c["kind"], c["days"]) for c in concepts.get_json()["items"]] == [("after_due", 7), ("before_due", 7)]
    admin = make_principal(level=1)
    made = client.post("/api/v1/notifications/reminders/concepts", headers=bearer(admin),
                       json={"description": "3 días antes", "days": 3, "kind": "before_due"})
    assert made.status_code == 201
    bad = client.post("/api/v1/notifications/reminders/concepts", headers=bearer(admin),
                      json={"description": "x", "days": -1, "kind": "sometime"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"days", "kind"}
    refused = client.post("/api/v1/notifications/reminders/concepts", headers=bearer(make_principal(level=3)),
                          json={"description": "x", "days": 1, "kind": "before_due"})
    assert refused.status_code == 403
    concept = f"/api/v1/notifications/reminders/concepts/{made.get_json()['id']}"
    assert client.delete(concept, headers=bearer(admin)).status_code == 428
    assert client.delete(concept, headers=bearer(admin) | {"If-Match": '"99"'}).status_code == 412
    in_use = client.delete(concept, headers=bearer(admin) | {"If-Match": made.headers["ETag"]})
    assert in_use.status_code == 204


def test_read_models_keep_the_newest_version_of_each_receivable(worker, runtime):
    customer = uuid.uuid4()
    first = events.receivable(customer, due=date(2026, 12, 5), version=2)
    older = events.receivable(customer, due=date(2026, 12, 9), receivable_id=first.data["id"], version=1)
    feed(worker, first, older)
    with runtime.database.session() as session:
        row = session.get(Receivable, uuid.UUID(first.data["id"]))
        assert (row.due_date, row.is_open, row.version) == (date(2026, 12, 5), True, 2)
    feed(worker, events.settled(first, version=3))
    with runtime.database.session() as session:
        row = session.get(Receivable, uuid.UUID(first.data["id"]))
        assert (row.is_open, row.outstanding, row.version) == (False, "0", 3)


def test_mailbox_password_is_encrypted_never_returned_and_the_test_mail_arrives(worker, runtime, smtp, bearer):
    client = worker[1].test_client()
    ana = person(worker, "ana", level=3, email="ana@caredesk.test")
    saved = put_mailbox(client, bearer, ana, smtp.port, "ana.cobros@caredesk.test", password="pässwörd-42")
    assert "password" not in saved and saved["has_password"] is True
    shown = client.get("/api/v1/notifications/account/mailbox", headers=bearer(ana))
    assert "pässwörd-42" not in shown.get_data(as_text=True) and shown.get_json()["sender"] == "ana.cobros@caredesk.test"
    with runtime.database.session() as session:
        stored = session.get(MailAccount, ana.user_id).password_encrypted
    assert stored and "pässwörd-42" not in stored
    from services.notifications.reminders.mailboxes import Vault, fernet_key
    assert Vault(fernet_key("", runtime.settings.data_dir)).open(stored) == "pässwörd-42"

    tested = client.post("/api/v1/notifications/account/mailbox/test", headers=bearer(ana))
    assert tested.status_code == 200 and tested.get_json()["ok"] is True, tested.get_json()
    [mail] = smtp.messages
    assert mail["To"] == "ana@caredesk.test" and smtp.envelopes[0][0] == "ana.cobros@caredesk.test"

    put_mailbox(client, bearer, ana, free_port(), "ana.cobros@caredesk.test")
    failed = client.post("/api/v1/notifications/account/mailbox/test", headers=bearer(ana)).get_json()
    assert failed["ok"] is False and "unreachable" in failed["answer"]
    bad = client.put("/api/v1/notifications/account/mailbox", headers=bearer(ana),
                     json={"host": "", "port": 0, "security": "ssl3", "sender": "not an address"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"host", "port", "security", "sender"}


def test_settings_are_validated_field_by_field_and_reach_only_managers_and_the_agent(worker, runtime, bearer):
    client = worker[1].test_client()
    admin, agent, other = make_principal(level=1), make_principal(level=3), make_principal(level=3)
    customer, mai = uuid.uuid4(), events.contact()
    feed(worker, events.addresses(customer, contacts=[mai]),
         events.receivable(customer, due=date(2026, 12, 5), agent=agent.user_id))
    bad = put_settings(client, bearer, admin, customer, concept_id=str(DEFAULT_AFTER), contact_ids=[str(uuid.uuid4())],
                       reminder_body="Hola {{ invoice.number }\n{{ nope.x }}", subject="{% if %}")
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]
    assert set(errors) == {"concept_id", "contact_ids", "reminder_body", "subject"}
    assert errors["reminder_body"][0].startswith("line 1")
    assert put_settings(client, bearer, other, customer).status_code == 404
    assert client.get(f"/api/v1/notifications/reminders/settings/{customer}", headers=bearer(other)).status_code == 404
    saved = put_settings(client, bearer, agent, customer, contact_ids=[mai["id"]], send_to_contacts=True)
    assert saved.status_code == 200 and saved.get_json()["version"] == 1 and saved.headers["ETag"] == '"1"'
    assert put_settings(client, bearer, admin, customer, version=0).status_code == 412
    assert client.get(f"/api/v1/notifications/reminders/settings/{uuid.uuid4()}",
                      headers=bearer(admin)).status_code == 404


@pytest.fixture
def portfolio(worker, runtime, smtp, bearer):
    """Customer A (agent Ana, contacts Mai chosen and Hoa not), customer B with no agent, customer
    C who withdrew consent; the administrator and Ana have mailboxes on the test's SMTP server."""
    client = worker[1].test_client()
    admin = person(worker, "admin", level=1, email="admin@caredesk.test")
    ana = person(worker, "ana", level=3, email="ana@caredesk.test")
    put_mailbox(client, bearer, admin, smtp.port, "admin@caredesk.test")
    put_mailbox(client, bearer, ana, smtp.port, "ana.cobros@caredesk.test")
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mai, hoa = events.contact("Маша", "masha@example.com", language="ru"), events.contact("Hoa", "hoa@example.com")
    soon = events.receivable(a, due=date(2026, 12, 5), invoice="F-1", agent=ana.user_id)
    overdue = events.receivable(b, due=date(2026, 11, 20), invoice="F-2", code="C-2")
    later = events.receivable(a, due=date(2026, 12, 20), invoice="F-3", agent=ana.user_id)
    paid = events.receivable(a, due=date(2026, 12, 3), invoice="F-4", agent=ana.user_id)
    refused = events.receivable(c, due=date(2026, 12, 4), invoice="F-5", code="C-3")
    feed(worker, events.addresses(a, contacts=[mai, hoa]), events.addresses(b, code="C-2", name="Bruno", language="es",
                                                                            email="bruno@example.com"),
         events.addresses(c, code="C-3", name="Carla", language="en", email="carla@example.com"),
         soon, overdue, later, paid, events.settled(paid, version=2), refused,
         events.consent(c, granted=False))
    assert put_settings(client, bearer, admin, a, send_to_contacts=True, contact_ids=[mai["id"]],
                        reminder_body="Factura {{ invoice.number }} por {{ invoice.amount }} {{ invoice.currency }}, "
                                      "vence el {{ invoice.due_date }}.").status_code == 200
    for customer in (b, c):
        assert put_settings(client, bearer, admin, customer).status_code == 200
    return {"admin": admin, "ana": ana, "a": a, "b": b, "c": c, "mai": mai}


def test_the_job_sends_each_due_reminder_once_from_the_right_mailbox_in_each_language(runtime, smtp, portfolio):
    first = send_due_reminders(runtime.database, today=TODAY)
    again = send_due_reminders(runtime.database, today=TODAY)
    assert (first.due, first.claimed, first.deliveries, first.consent_withdrawn) == (3, 3, 3, 1)
    assert (again.claimed, again.deliveries, again.taken_before) == (0, 0, 3)
    assert set(send_all(runtime).values()) == {"sent"}
    assert set(send_all(runtime).values()) == {"done"}

    sent = {(message["To"], envelope[0]): message for message, envelope in zip(smtp.messages, smtp.envelopes)}
    assert set(sent) == {("linh@example.com", "ana.cobros@caredesk.test"), ("masha@example.com", "ana.cobros@caredesk.test"),
                         ("bruno@example.com", "admin@caredesk.test")}
    assert len(smtp.messages) == 3 and len(set(smtp.message_ids())) == 3
    body = sent[("linh@example.com", "ana.cobros@caredesk.test")].get_body(("plain",)).get_content()
    assert "Factura F-1 por 1250.50 USD, vence el 2026-12-05." in body
    assert sent[("masha@example.com", "ana.cobros@caredesk.test")]["Subject"] == \
        "Напоминание: срок оплаты счёта F-1 — 2026-12-05"
    assert sent[("bruno@example.com", "admin@caredesk.test")]["Subject"] == "Aviso: su factura F-2 está vencida"
    with runtime.database.session() as session:
        notes = dict(session.execute(select(ReminderSent.invoice_number, ReminderSent.note)).all())
    assert notes == {"F-1": None, "F-2": None, "F-5": "consent withdrawn"}


def test_a_run_killed_mid_batch_then_run_again_sends_each_reminder_exactly_once(worker, runtime, smtp, bearer):
    client = worker[1].test_client()
    admin = person(worker, "admin", level=1)
    put_mailbox(client, bearer, admin, smtp.port, "admin@caredesk.test")
    customers = [uuid.uuid4() for _ in range(30)]
    for number, customer in enumerate(customers):
        feed(worker, events.addresses(customer, code=f"K-{number}", email=f"k{number}@example.com"),
             events.receivable(customer, due=date(2026, 12, 6), invoice=f"K-{number}", code=f"K-{number}"))
        assert put_settings(client, bearer, admin, customer).status_code == 200

    def die(batches):
        if batches == 2:
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        send_due_reminders(runtime.database, today=TODAY, batch_size=7, after_batch=die)
    assert count(runtime, ReminderSent) == 14
    send_all(runtime)  # what the first run recorded leaves meanwhile
    rerun = send_due_reminders(runtime.database, today=TODAY, batch_size=7)
    assert (rerun.claimed, rerun.taken_before) == (16, 14)
    send_all(runtime)
    assert sorted(message["To"] for message in smtp.messages) == sorted(f"k{n}@example.com" for n in range(30))
    assert len(set(smtp.message_ids())) == 30


def test_a_failing_sender_mailbox_is_retried_then_reported_to_the_administrator_and_the_agent(
        worker, runtime, smtp, bearer, portfolio):
    client = worker[1].test_client()
    put_mailbox(client, bearer, portfolio["ana"], free_port(), "ana.cobros@caredesk.test")  # nothing listens there
    send_due_reminders(runtime.database, today=TODAY)
    outcomes = []
    for _ in range(3):
        outcomes.append(send_all(runtime))
        with runtime.database.engine.begin() as connection:  # do not wait for the backoff
            connection.execute(update(Delivery.__table__).values(next_attempt_at=utcnow()))
    with runtime.database.session() as session:
        states = dict(session.execute(select(Delivery.address, Delivery.status)).all())
        notices = session.execute(select(Notification.recipient, Notification.subject)
                                  .where(Notification.event_type == "payment.reminder_failed")).all()
    assert states == {"linh@example.com": FAILED, "masha@example.com": FAILED, "bruno@example.com": SENT}
    told = {recipient for recipient, _ in notices}
    assert told == {str(portfolio["admin"].user_id), str(portfolio["ana"].user_id)}
    assert len(notices) == 4  # two failed reminders, each told to both
    assert all("F-1" in subject for _, subject in notices)
    ana_inbox = client.get("/api/v1/notifications", headers=bearer(portfolio["ana"])).get_json()["items"]
    assert len([notice for notice in ana_inbox if notice["event_type"] == "payment.reminder_failed"]) == 2
