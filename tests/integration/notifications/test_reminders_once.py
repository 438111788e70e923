"""Payment reminders on the real PostgreSQL (and RabbitMQ for the Celery worker) to a real SMTP
server: two runs of the job at once claim each (invoice, concept) once; the job run inside a
`caredesk tasks` worker that is SIGKILLed mid-batch, then run again, sends each reminder exactly once."""
from __future__ import annotations

import os
import signal
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from celery import Celery
from sqlalchemy import func, insert, select

from services.kit.db import utcnow
from services.kit.tasks import celery_config, task_queue, task_queues
from services.notifications.deliveries.models import SENT, Delivery
from services.notifications.reminders.job import send_due_reminders
from services.notifications.reminders.models import (
    DEFAULT_AFTER, DEFAULT_BEFORE, CustomerAddresses, Receivable, ReminderSent, ReminderSettings,
)
from services.notifications.runtime import build_runtime
from services.notifications.deliveries.use_cases import LOST_TASK_SECONDS, send_delivery
from tests.catchers import MailCatcher
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def portfolio(service, size: int, *, due_in_days: int = 3) -> None:
    """``size`` customers, each with an open invoice due in a few days and active settings."""
    now, due = utcnow(), utcnow().date() + timedelta(days=due_in_days)
    customers = [uuid.uuid4() for _ in range(size)]
    with service.database.engine.begin() as connection:
        connection.execute(insert(CustomerAddresses.__table__), [
            {"customer_id": c, "customer_code": f"K-{n}", "name": f"Cliente {n}", "language": "es",
             "email": f"k{n}@example.test", "mobile": None, "contacts": [], "version": 1, "updated_at": now}
            for n, c in enumerate(customers)])
        connection.execute(insert(Receivable.__table__), [
            {"id": uuid.uuid4(), "customer_id": c, "customer_code": f"K-{n}", "invoice_number": f"F-{n}",
             "issue_date": None, "due_date": due, "amount": "100.00", "paid_amount": "0", "outstanding": "100.00",
             "currency": "USD", "is_open": True, "collections_agent_id": None, "version": 1, "updated_at": now}
            for n, c in enumerate(customers)])
        connection.execute(insert(ReminderSettings.__table__), [
            {"customer_id": c, "active": True, "subject": "", "send_to_contacts": False, "contact_ids": [],
             "concept_id": DEFAULT_BEFORE, "after_due_active": True, "after_due_concept_id": DEFAULT_AFTER,
             "reminder_body": "", "after_due_body": "", "version": 1, "updated_by": None, "updated_at": now}
            for c in customers])


def test_two_runs_at_once_claim_and_send_each_reminder_once(make_service, tmp_path):
    notifications = make_service("notifications")
    portfolio(notifications, 1000)
    barrier, reports, errors = threading.Barrier(2), [], []

    def run():
        barrier.wait()
        try:
            reports.append(send_due_reminders(notifications.database, batch_size=100))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(report.claimed for report in reports) == 1000
    assert sum(report.deliveries for report in reports) == 1000
    assert notifications.count(ReminderSent.__table__) == 1000 and notifications.count(Delivery.__table__) == 1000

    with MailCatcher() as smtp:
        notifications.settings.extra.update(smtp_host="127.0.0.1", smtp_port=smtp.port)
        runtime = build_runtime(notifications.settings, database=notifications.database)
        with notifications.database.session() as session:
            ids = session.scalars(select(Delivery.id)).all()
        halves = [ids[::2], ids[1::2]]
        senders = [threading.Thread(target=lambda part: [send_delivery(runtime.database, runtime.channels, i,
                                                                       policy=runtime.policy) for i in part],
                                    args=(half,)) for half in halves]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=120)
        received = Counter(message["To"] for message in smtp.messages)
    print(f"\nreminder job run twice at once: claims {[r.claimed for r in reports]}, "
          f"{len(received)} recipients received, {sum(received.values()) - len(received)} twice")
    assert received == Counter(f"k{n}@example.test" for n in range(1000))


@pytest.mark.timeout(LOST_TASK_SECONDS + 300)
def test_the_job_in_a_worker_killed_mid_batch_then_run_again_sends_each_reminder_exactly_once(
        make_service, make_processes):
    notifications = make_service("notifications")
    portfolio(notifications, 1000)
    with MailCatcher() as smtp:
        processes = make_processes(notifications)
        processes.extra_env = {
            "CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port),
            "CAREDESK_NOTIFICATIONS_CLAIM_SECONDS": "3", "CAREDESK_NOTIFICATIONS_RATE_EMAIL": "2000/s"}
        processes.caredesk("beat", "beat")
        worker = processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "4")
        app = Celery("test", set_as_current=False)
        app.conf.update(celery_config(notifications.settings))
        # the queue as the system declares it (a quorum queue with its delivery limit)
        app.conf.task_queues = task_queues(notifications.settings, ["notifications"])
        app.send_task("notifications.send_payment_reminders", queue=task_queue(notifications.settings, "notifications"))
        sent = lambda: notifications.count(Delivery.__table__, Delivery.__table__.c.status == SENT)  # noqa: E731
        wait_until(lambda: notifications.count(ReminderSent.__table__) > 0, timeout=120, what="the job under way")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        claimed_at_kill = notifications.count(ReminderSent.__table__)
        # the next scheduled run (or an administrator's "run now") does what is left
        rerun = send_due_reminders(notifications.database)
        worker = processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "4")
        wait_until(lambda: sent() >= 500, timeout=120, what="half the reminders sent")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "4")
        # a send the killed workers had taken may wait for the lost-task sweep to hand it out again
        wait_until(lambda: sent() == 1000, timeout=LOST_TASK_SECONDS + 60, what="every reminder sent")
        ids = smtp.message_ids()
        to = Counter(message["To"] for message in smtp.messages)
    with notifications.database.session() as session:
        expected = {f"<{delivery_id}@caredesk>" for delivery_id in session.scalars(select(Delivery.id))}
        attempts = session.scalar(select(func.sum(Delivery.attempts)))
    copies = Counter(ids)
    resent = sum(count - 1 for count in copies.values())
    print(f"\n1000 reminders, job killed with {claimed_at_kill} claimed, rerun claimed {rerun.claimed}; "
          f"worker killed again at >=500 sent: {len(copies)} distinct received, {resent} resent with the same "
          f"Message-ID, {1000 - len(set(ids) & expected)} missing, {attempts} attempts")
    assert claimed_at_kill + rerun.claimed == 1000 and len(expected) == 1000
    assert set(copies) == expected and set(to) == {f"k{n}@example.test" for n in range(1000)}
    assert resent <= 4  # only a send under way at the second kill (one per worker thread) may repeat
