"""Celery tasks of the notifications service: the send tasks (one delivery per channel, or a batch
of deliveries, each message paced by its channel's rate limit) and the periodic jobs (the dispatch
of due deliveries, the payment reminders). ``caredesk tasks notifications`` runs them."""
from __future__ import annotations

import uuid

from celery import current_app, shared_task

from services.kit.db import Database
from services.kit.tasks import RUNTIMES, PeriodicJob
from services.notifications.deliveries.models import CHANNELS
from services.notifications.deliveries.use_cases import dispatch_due_deliveries, send_deliveries
from services.notifications.reminders.job import send_due_reminders

SEND_TASK = {channel: f"notifications.send_{channel}" for channel in CHANNELS}
SEND_BATCH_TASK = "notifications.send_deliveries"
MIN_COUNTDOWN = 1.0


def _send(task, delivery_ids: list[str]) -> dict[str, int]:
    """Send deliveries; those a temporary failure, a claim held by another worker or the end of
    this task's claim left over come back together as one Celery retry at the earliest time one of
    them is due (the rows keep the state, so retries are unbounded here and counted there)."""
    runtime = RUNTIMES.get("notifications")
    outcomes = send_deliveries(runtime.database, runtime.channels, [uuid.UUID(i) for i in delivery_ids],
                               policy=runtime.policy, pace=runtime.pace)
    later = {str(delivery_id): outcome.retry_in for delivery_id, outcome in outcomes.items()
             if outcome.retry_in is not None}
    if later:
        # a batch comes back with what is left of it; a single send with its own argument
        args = [sorted(later)] if task.name == SEND_BATCH_TASK else None
        # RabbitMQ's native delayed delivery takes whole seconds from 1 on; a countdown under 1 s is
        # refused and the task dropped (its rows would wait for the dispatch's lost-task sweep)
        raise task.retry(args=args, countdown=max(min(later.values()), MIN_COUNTDOWN), max_retries=None)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


@shared_task(bind=True, name=SEND_BATCH_TASK, acks_late=True, ignore_result=True)
def send_batch(self, delivery_ids: list[str]) -> dict[str, int]:
    return _send(self, delivery_ids)


@shared_task(bind=True, name=SEND_TASK["email"], acks_late=True, ignore_result=True)
def send_email(self, delivery_id: str) -> dict[str, int]:
    return _send(self, [delivery_id])


@shared_task(bind=True, name=SEND_TASK["sms"], acks_late=True, ignore_result=True)
def send_sms(self, delivery_id: str) -> dict[str, int]:
    return _send(self, [delivery_id])


@shared_task(bind=True, name=SEND_TASK["whatsapp"], acks_late=True, ignore_result=True)
def send_whatsapp(self, delivery_id: str) -> dict[str, int]:
    return _send(self, [delivery_id])


def _enqueue(channel: str, delivery_id: uuid.UUID) -> None:
    current_app.send_task(SEND_TASK[channel], args=[str(delivery_id)])


def _enqueue_batch(delivery_ids: list[uuid.UUID]) -> None:
    current_app.send_task(SEND_BATCH_TASK, args=[[str(delivery_id) for delivery_id in delivery_ids]])


def dispatch_deliveries(database: Database) -> int:
    return dispatch_due_deliveries(database, _enqueue)


def send_payment_reminders(database: Database) -> dict:
    """The day's payment reminders (seed 001). Scheduled hourly: what is due today is claimed once
    per invoice and concept, so the later runs of the day only catch up what an earlier one could
    not do (addresses not yet known, a run killed mid-batch), and a day the system was down is
    made up the next. Each batch of the job goes to one send task."""
    return send_due_reminders(database, enqueue=_enqueue_batch).as_dict()


# Scheduled by `caredesk beat`; each run takes the job's lease in this service's database first.
PERIODIC_JOBS = [PeriodicJob("notifications.dispatch_deliveries", dispatch_deliveries, every_seconds=2.0),
                 PeriodicJob("notifications.send_payment_reminders", send_payment_reminders, every_seconds=3600.0)]
