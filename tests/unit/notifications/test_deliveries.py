"""Deliveries: recorded with the event, sent once over a real SMTP server or HTTP provider, retried
with backoff, failed for good after the last attempt and retried by an administrator."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.kit.db import utcnow
from services.kit.tasks import PeriodicJob, run_periodic_job, take_lease
from services.notifications.deliveries.models import FAILED, PENDING, SENDING, SENT, Delivery
from services.notifications.deliveries.use_cases import (
    Policy, dispatch_due_deliveries, record_delivery, send_deliveries, send_delivery,
)
from services.notifications.runtime import Pace, build_runtime
from services.notifications.catcher import run_catcher
from tests.catchers import MailCatcher, ProviderStub, free_port
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, case_event, deliver, user_event


@pytest.fixture
def smtp():
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def provider():
    with ProviderStub() as stub:
        yield stub


@pytest.fixture
def runtime(worker, smtp, provider):
    consumer, app = worker
    settings = consumer.settings
    settings.extra.update(smtp_host="127.0.0.1", smtp_port=smtp.port, provider_url=provider.url,
                          provider_token="secret", max_attempts=3, backoff_seconds=0.01, claim_seconds=30,
                          mail_from="soporte@caredesk.test")
    return build_runtime(settings, database=consumer.database)


def deliveries(runtime) -> list[Delivery]:
    with runtime.database.session() as session:
        return session.scalars(select(Delivery).order_by(Delivery.created_at)).all()


def send(runtime, delivery_id) -> str:
    return send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy).status


def returned_case_with_initiator(worker, email="ana@caredesk.test"):
    consumer, _ = worker
    initiator = user_event("ana", [])
    initiator.data["email"] = email
    deliver(consumer, initiator, HANDLER["replicate_user"])
    event = case_event("case.rejected", reason="falta la dirección", subject="Entrega de SIM ñandú")
    event.data["initiator_id"] = initiator.data["id"]
    return event


def test_a_case_event_records_one_email_per_user_and_sends_it_once_over_smtp(worker, runtime, smtp):
    event = returned_case_with_initiator(worker)
    notify = HANDLER["notify_case_participants"]
    assert deliver(worker[0], event, notify).acked and deliver(worker[0], event, notify).acked
    [delivery] = deliveries(runtime)
    assert (delivery.channel, delivery.address, delivery.status) == ("email", "ana@caredesk.test", PENDING)

    assert send(runtime, delivery.id) == "sent"
    assert send(runtime, delivery.id) == "done"
    [mail] = smtp.messages
    assert mail["To"] == "ana@caredesk.test" and mail["Message-ID"] == f"<{delivery.id}@caredesk>"
    assert "falta la dirección" in mail.get_body(("plain",)).get_content()
    [delivery] = deliveries(runtime)
    assert delivery.status == SENT and delivery.attempts == 1
    assert delivery.provider_message_id == f"<{delivery.id}@caredesk>"
    assert delivery.provider_answer.startswith("250 OK queued as")


def record(runtime, channel="email", address="ana@caredesk.test") -> uuid.UUID:
    with runtime.database.session() as session, session.begin():
        event_id = uuid.uuid4()
        assert record_delivery(session, event_id=event_id, event_type="survey.requested", channel=channel,
                               recipient_kind="customer", recipient="C-1", address=address, template="survey",
                               language="vi", subject="Khảo sát", body_text="Cảm ơn quý khách")
        assert not record_delivery(session, event_id=event_id, event_type="survey.requested", channel=channel,
                                   recipient_kind="customer", recipient="C-1", address=address,
                                   template="survey", language="vi", subject="Khảo sát", body_text="again")
        return session.scalar(select(Delivery.id).where(Delivery.event_id == event_id))


def test_a_claim_held_by_a_live_worker_is_left_alone_and_an_expired_one_is_sent_with_the_same_id(runtime, smtp):
    delivery_id = record(runtime)
    with runtime.database.engine.begin() as connection:
        connection.execute(update(Delivery.__table__).values(status=SENDING, claim_token="other",
                                                             claimed_until=utcnow() + timedelta(seconds=30)))
    outcome = send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy)
    assert outcome.status == "busy" and 29 < outcome.retry_in <= 30.1
    assert smtp.messages == []

    with runtime.database.engine.begin() as connection:  # that worker died mid-send
        connection.execute(update(Delivery.__table__).values(claimed_until=utcnow() - timedelta(seconds=1)))
    assert send(runtime, delivery_id) == "sent"
    assert smtp.message_ids() == [f"<{delivery_id}@caredesk>"]
    assert "Khảo sát" == smtp.messages[0]["Subject"]


def test_a_refusing_server_is_retried_with_backoff_then_failed_and_an_administrator_retries_it(
        worker, runtime, smtp, bearer):
    delivery_id = record(runtime)
    smtp.refuse_with = "451 try later"
    outcomes = []
    for _ in range(3):
        outcome = send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy)
        outcomes.append(outcome.status)
        with runtime.database.engine.begin() as connection:  # do not wait for the backoff
            connection.execute(update(Delivery.__table__).values(next_attempt_at=utcnow()))
    assert outcomes == ["retry", "retry", "failed"]
    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (FAILED, 3) and "451 try later" in delivery.last_error

    client = worker[1].test_client()
    admin, agent = make_principal(level=1), make_principal(level=3)
    listed = client.get("/api/v1/notifications/deliveries?status=failed", headers=bearer(admin)).get_json()
    assert [item["id"] for item in listed["items"]] == [str(delivery_id)] and listed["total"] == 1
    assert client.get("/api/v1/notifications/deliveries", headers=bearer(agent)).get_json()["total"] == 0
    refused = client.post(f"/api/v1/notifications/deliveries/{delivery_id}/retry", headers=bearer(agent))
    assert refused.status_code == 403
    retried = client.post(f"/api/v1/notifications/deliveries/{delivery_id}/retry", headers=bearer(admin))
    assert retried.status_code == 200 and retried.get_json()["status"] == PENDING
    again = client.post(f"/api/v1/notifications/deliveries/{delivery_id}/retry", headers=bearer(admin))
    assert again.status_code == 409 and again.content_type == "application/problem+json"

    smtp.refuse_with = None
    assert send(runtime, delivery_id) == "sent" and len(smtp.messages) == 1


def test_a_batch_is_claimed_at_once_sent_over_one_connection_and_each_message_recorded(runtime, smtp):
    batch = [record(runtime, address=f"k{n}@example.test") for n in range(6)]
    before = send_deliveries(runtime.database, runtime.channels, batch[:2], policy=runtime.policy)
    outcomes = send_deliveries(runtime.database, runtime.channels, batch + [uuid.uuid4()], policy=runtime.policy)
    assert {outcome.status for outcome in before.values()} == {"sent"}
    assert [outcomes[delivery_id].status for delivery_id in batch] == ["done"] * 2 + ["sent"] * 4
    assert sorted(smtp.message_ids()) == sorted(f"<{delivery_id}@caredesk>" for delivery_id in batch)
    assert len(set(smtp.peers[2:])) == 1  # the second batch's four messages on one connection
    assert {(d.status, d.attempts, d.provider_message_id) for d in deliveries(runtime)} == {
        (SENT, 1, f"<{d.id}@caredesk>") for d in deliveries(runtime)}


def test_an_unreachable_mailbox_is_tried_once_for_its_whole_batch_and_each_message_retried(runtime, smtp):
    batch = [record(runtime, address=f"k{n}@example.test") for n in range(3)]
    runtime.channels.system_account = replace(runtime.channels.system_account, port=free_port())  # nobody there
    outcomes = send_deliveries(runtime.database, runtime.channels, batch, policy=runtime.policy)
    assert {outcome.status for outcome in outcomes.values()} == {"retry"}
    rows = deliveries(runtime)
    assert {(d.status, d.attempts) for d in rows} == {(PENDING, 1)}
    assert len({d.last_error for d in rows}) == 1 and "unreachable" in rows[0].last_error


def test_a_batch_starts_no_message_its_claim_could_not_cover_and_puts_it_back_untried(runtime, smtp):
    batch = [record(runtime, address=f"k{n}@example.test") for n in range(3)]
    short = Policy(max_attempts=3, backoff_seconds=0.01, claim_seconds=0.0)  # over before the first send
    outcomes = send_deliveries(runtime.database, runtime.channels, batch, policy=short)
    assert {(outcome.status, outcome.retry_in) for outcome in outcomes.values()} == {("retry", 0.0)}
    assert smtp.messages == [] and {(d.status, d.attempts, d.claim_token) for d in deliveries(runtime)} == {
        (PENDING, 0, None)}
    assert {outcome.status for outcome in send_deliveries(
        runtime.database, runtime.channels, batch, policy=runtime.policy).values()} == {"sent"}


def test_the_channel_rate_limit_paces_every_message_of_a_batch(runtime, smtp):
    batch = [record(runtime, address=f"k{n}@example.test") for n in range(5)]
    pace = Pace({"email": 20.0})  # a bucket of 20 tokens: the first 20 leave at once, then 20/s
    for _ in range(20):
        pace("email")
    started = time.monotonic()
    send_deliveries(runtime.database, runtime.channels, batch, policy=runtime.policy, pace=pace)
    assert time.monotonic() - started >= 5 / 20 * 0.8 and len(smtp.messages) == 5


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_sms_and_whatsapp_go_to_the_http_provider_with_an_idempotency_key(runtime, provider, channel):
    delivery_id = record(runtime, channel=channel, address="+84901234567")
    provider.status = 503
    assert send(runtime, delivery_id) == "retry"
    with runtime.database.engine.begin() as connection:
        connection.execute(update(Delivery.__table__).values(next_attempt_at=utcnow()))
    provider.status = 200
    assert send(runtime, delivery_id) == "sent"
    first, second = provider.requests
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"] == str(delivery_id)
    assert second["headers"]["Authorization"] == "Bearer secret"
    assert second["json"] == {"channel": channel, "to": "+84901234567", "body": "Cảm ơn quý khách",
                              "reference": str(delivery_id)}
    [delivery] = deliveries(runtime)
    assert delivery.provider_message_id == "prov-1" and delivery.attempts == 2


def test_a_provider_refusal_fails_the_delivery_at_once(runtime, provider):
    delivery_id = record(runtime, channel="sms", address="+79161234567")
    provider.status = 400
    assert send(runtime, delivery_id) == "failed"
    assert deliveries(runtime)[0].last_error.startswith("400")


def test_due_deliveries_are_enqueued_once_and_again_only_when_their_task_was_lost(runtime):
    first, second = record(runtime), record(runtime, channel="sms", address="+573001234567")
    enqueued = []
    enqueue = lambda channel, delivery_id: enqueued.append((channel, delivery_id))  # noqa: E731
    assert dispatch_due_deliveries(runtime.database, enqueue) == 2
    assert dispatch_due_deliveries(runtime.database, enqueue) == 0
    assert sorted(enqueued) == sorted([("email", first), ("sms", second)])
    later = utcnow() + timedelta(minutes=10)
    assert dispatch_due_deliveries(runtime.database, enqueue, now=later) == 2


def test_a_periodic_job_runs_once_per_lease_however_many_beats_send_it(runtime):
    runs = []
    job = PeriodicJob("notifications.test_job", lambda database: runs.append(database), every_seconds=60)
    assert run_periodic_job(runtime.database, job) and not run_periodic_job(runtime.database, job)
    assert len(runs) == 1
    assert take_lease(runtime.database, "another.job", seconds=60) is not None


def test_the_embedded_catcher_keeps_every_mail_and_message_and_the_api_lists_them(worker, bearer):
    consumer, app = worker
    smtp_port, http_port = free_port(), free_port()
    stop = threading.Event()
    thread = threading.Thread(target=run_catcher, args=(consumer.settings.data_dir,),
                              kwargs={"smtp_port": smtp_port, "http_port": http_port, "stop": stop}, daemon=True)
    thread.start()
    try:
        settings = consumer.settings
        settings.extra.update(smtp_host="127.0.0.1", smtp_port=smtp_port, provider_url=f"http://127.0.0.1:{http_port}")
        runtime = build_runtime(settings, database=consumer.database)
        mail_id, sms_id = record(runtime), record(runtime, channel="sms", address="+84901234567")
        deadline = time.monotonic() + 10
        while send(runtime, mail_id) != "sent":  # until the catcher's SMTP server is up
            assert time.monotonic() < deadline, "the catcher never took the mail"
            with runtime.database.engine.begin() as connection:
                connection.execute(update(Delivery.__table__).values(next_attempt_at=utcnow()))
        assert send(runtime, sms_id) == "sent"
        caught = app.test_client().get("/api/v1/notifications/caught", headers=bearer(make_principal(level=1)))
        assert caught.status_code == 200
        kinds = {item["kind"]: item for item in caught.get_json()["items"]}
        assert kinds["email"]["subject"] == "Khảo sát" and kinds["email"]["message_id"] == f"<{mail_id}@caredesk>"
        assert kinds["sms"]["text"] == "Cảm ơn quý khách" and kinds["sms"]["to"] == "+84901234567"
        refused = app.test_client().get("/api/v1/notifications/caught", headers=bearer(make_principal(level=3)))
        assert refused.status_code == 403
    finally:
        stop.set()
        thread.join(timeout=10)
