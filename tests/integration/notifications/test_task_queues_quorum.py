"""Celery's task queues on the real RabbitMQ are quorum queues, and a send that fails for a while
comes back through RabbitMQ's native delayed delivery (Celery's ``celery_delayed_*`` quorum queues)
and is delivered once the mail server takes it again."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from services.kit.tasks import task_queue
from services.notifications.deliveries.models import Delivery
from tests.catchers import MailCatcher
from tests.integration.conftest import wait_until
from tests.integration.notifications.test_celery_sending import record_batch, sent
from tests.servers import _rabbitmqctl

pytestmark = pytest.mark.integration

BATCH = 20


def _queues(vhost: str) -> dict[str, str]:
    rows = _rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "name", "type").splitlines()
    return dict(row.split("\t")[:2] for row in rows if "\t" in row)


def _bindings(vhost: str) -> set[tuple[str, str]]:
    rows = _rabbitmqctl("list_bindings", "-p", vhost, "--no-table-headers", "source_name", "destination_name")
    return {tuple(row.split("\t")[:2]) for row in rows.splitlines() if "\t" in row}


def test_task_queues_are_quorum_and_a_retry_waits_in_the_broker(make_service, make_processes):
    notifications = make_service("notifications")
    vhost = unquote(urlsplit(notifications.settings.broker_url).path.lstrip("/"))
    record_batch(notifications, BATCH)
    with MailCatcher() as smtp:
        smtp.refuse_with = "451 4.3.0 Try again later"
        processes = make_processes(notifications)
        processes.extra_env = {
            "CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port),
            "CAREDESK_NOTIFICATIONS_RATE_EMAIL": "2000/s"}
        processes.caredesk("beat", "beat")
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "4")
        wait_until(lambda: notifications.count(Delivery.__table__, Delivery.__table__.c.attempts >= 1) == BATCH,
                   timeout=120, what="every send tried once and refused")
        assert sent(notifications) == 0
        smtp.refuse_with = None
        wait_until(lambda: sent(notifications) == BATCH, timeout=180, what="every e-mail sent after the refusals")
        received = smtp.message_ids()

    queues = _queues(vhost)
    ours = task_queue(notifications.settings, "notifications")
    delayed = {name: kind for name, kind in queues.items() if name.startswith("celery_delayed_")}
    # the worker's remote-control reply queues are Celery's own, auto-deleted (a quorum queue cannot be)
    classic = sorted(name for name, kind in queues.items() if kind == "classic" and ".pidbox" not in name
                     and not name.startswith("celeryev"))
    print(f"\ntask queues on RabbitMQ: {ours}={queues.get(ours)}, {len(delayed)} delayed-delivery queues "
          f"({set(delayed.values())}), classic ones: {classic}; {BATCH} e-mails refused then sent, "
          f"{len(received)} received")
    assert queues.get(ours) == "quorum"
    assert len(delayed) == 28 and set(delayed.values()) == {"quorum"}
    assert classic == []
    # a countdown goes to celery_delayed_27 and comes back through celery_delayed_delivery to our
    # topic exchange, which routes it to the task queue
    assert ("celery_delayed_delivery", f"{notifications.settings.queue_prefix}tasks") in _bindings(vhost)
    assert len(received) >= BATCH


def test_a_refused_reminder_batch_comes_back_through_the_delayed_queues_and_is_sent_once(
        make_service, make_processes):
    """The reminder job's batches go to ``notifications.send_deliveries``; a batch the server
    refuses is retried as one task with what is left of it, through the same native delayed
    delivery, and each reminder arrives once."""
    from celery import Celery

    from services.kit.tasks import celery_config, task_queues
    from services.notifications.reminders.models import ReminderSent
    from tests.integration.notifications.test_reminders_once import portfolio

    notifications = make_service("notifications")
    portfolio(notifications, BATCH * 5)
    with MailCatcher() as smtp:
        smtp.refuse_with = "451 4.3.0 Try again later"
        processes = make_processes(notifications)
        processes.extra_env = {
            "CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port),
            "CAREDESK_NOTIFICATIONS_RATE_EMAIL": "2000/s"}
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "4")
        app = Celery("test", set_as_current=False)
        app.conf.update(celery_config(notifications.settings))
        app.conf.task_queues = task_queues(notifications.settings, ["notifications"])
        app.send_task("notifications.send_payment_reminders", queue=task_queue(notifications.settings, "notifications"))
        wait_until(lambda: notifications.count(Delivery.__table__, Delivery.__table__.c.attempts >= 1) == BATCH * 5,
                   timeout=120, what="every reminder tried once and refused")
        assert notifications.count(ReminderSent.__table__) == BATCH * 5 and sent(notifications) == 0
        smtp.refuse_with = None
        wait_until(lambda: sent(notifications) == BATCH * 5, timeout=180, what="every reminder sent after the refusals")
        received = smtp.message_ids()
    assert len(received) == len(set(received)) == BATCH * 5
