"""Sending on Celery over the real RabbitMQ and PostgreSQL to a real SMTP server: a batch of 1,000
e-mails reaches the server once each although the worker is SIGKILLed twice in the middle of it."""
from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, insert, select

from services.kit.db import utcnow
from services.notifications.deliveries.models import SENT, Delivery
from tests.catchers import MailCatcher
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

BATCH = 1000


def record_batch(service, size: int) -> None:
    now = utcnow()
    rows = [{"id": uuid.uuid4(), "event_id": uuid.uuid4(), "event_type": "receivable.reminder_due",
             "channel": "email", "recipient_kind": "customer", "recipient": f"C-{n}",
             "address": f"cliente{n}@example.test", "template": "payment_reminder", "language": "es",
             "subject": f"Recordatorio de pago — factura F-{n}", "body_text": "Su factura vence pronto.",
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for n in range(size)]
    with service.database.engine.begin() as connection:
        connection.execute(insert(Delivery.__table__), rows)


def sent(service) -> int:
    return service.count(Delivery.__table__, Delivery.__table__.c.status == SENT)


def unsent(service) -> str:
    """The deliveries still not sent, as a failure explains them."""
    with service.database.session() as session:
        rows = session.execute(select(Delivery.id, Delivery.status, Delivery.attempts, Delivery.claimed_until,
                                      Delivery.enqueued_at, Delivery.next_attempt_at, Delivery.last_error)
                               .where(Delivery.status != SENT).limit(20)).all()
    return f"now {utcnow():%H:%M:%S.%f}; not sent: " + "; ".join(
        f"{row.id} {row.status} attempts={row.attempts} claimed_until={row.claimed_until} "
        f"enqueued_at={row.enqueued_at} next_attempt_at={row.next_attempt_at} error={row.last_error!r}"
        for row in rows)


def test_a_worker_killed_twice_mid_batch_sends_each_message_once(make_service, make_processes):
    notifications = make_service("notifications")
    record_batch(notifications, BATCH)
    with MailCatcher() as smtp:
        processes = make_processes(notifications)
        processes.extra_env = {
            "CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port),
            "CAREDESK_NOTIFICATIONS_CLAIM_SECONDS": "3", "CAREDESK_NOTIFICATIONS_RATE_EMAIL": "2000/s"}
        processes.caredesk("beat", "beat")
        kills, started = 0, time.monotonic()
        for threshold in (BATCH // 4, BATCH // 2):
            worker = processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "8")
            wait_until(lambda: sent(notifications) >= threshold, timeout=120, what=f"{threshold} e-mails sent")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            kills += 1
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "8")
        wait_until(lambda: sent(notifications) == BATCH, timeout=180,
                   what="every e-mail sent", explain=lambda: unsent(notifications))
        elapsed = time.monotonic() - started
        ids = smtp.message_ids()

    with notifications.database.session() as session:
        expected = {f"<{delivery_id}@caredesk>" for delivery_id in session.scalars(select(Delivery.id))}
        attempts = session.scalar(select(func.sum(Delivery.attempts)))
    copies = Counter(ids)
    resent = sum(count - 1 for count in copies.values())
    print(f"\n{BATCH} e-mails, {kills} SIGKILLs, {elapsed:.1f} s: {len(copies)} distinct received, "
          f"{resent} resent with the same Message-ID, {BATCH - len(set(ids) & expected)} missing, "
          f"{attempts} attempts")
    assert set(copies) == expected  # none lost, nothing unknown
    # A copy can only come from a send that was under way at a kill: at most one per worker thread.
    assert resent <= kills * 8
