"""Celery tasks of the notifications service: one send task per channel (each its own rate limit)
and the periodic dispatch of due deliveries. ``caredesk tasks notifications`` runs them."""
from __future__ import annotations

import uuid

from celery import current_app, shared_task

from services.kit.db import Database
from services.kit.tasks import RUNTIMES, PeriodicJob
from services.notifications.deliveries.models import CHANNELS
from services.notifications.deliveries.use_cases import dispatch_due_deliveries, send_delivery
from services.notifications.reminders.job import send_due_reminders

SEND_TASK = {channel: f"notifications.send_{channel}" for channel in CHANNELS}


def _send(task, delivery_id: str) -> str:
    """Send one delivery; a temporary failure or a claim held by another worker comes back later
    as a Celery retry (the row keeps the state, so retries are unbounded here and counted there)."""
    runtime = RUNTIMES.get("notifications")
    outcome = send_delivery(runtime.database, runtime.channels, uuid.UUID(delivery_id), policy=runtime.policy)
    if outcome.retry_in is not None:
        raise task.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(bind=True, name=SEND_TASK["email"], acks_late=True, ignore_result=True)
def send_email(self, delivery_id: str) -> str:
    return _send(self, delivery_id)


@shared_task(bind=True, name=SEND_TASK["sms"], acks_late=True, ignore_result=True)
def send_sms(self, delivery_id: str) -> str:
    return _send(self, delivery_id)


@shared_task(bind=True, name=SEND_TASK["whatsapp"], acks_late=True, ignore_result=True)
def send_whatsapp(self, delivery_id: str) -> str:
    return _send(self, delivery_id)


def _enqueue(channel: str, delivery_id: uuid.UUID) -> None:
    current_app.send_task(SEND_TASK[channel], args=[str(delivery_id)])


def dispatch_deliveries(database: Database) -> int:
    return dispatch_due_deliveries(database, _enqueue)


def send_payment_reminders(database: Database) -> dict:
    """The day's payment reminders (seed 001). Scheduled hourly: what is due today is claimed once
    per invoice and concept, so the later runs of the day only catch up what an earlier one could
    not do (addresses not yet known, a run killed mid-batch), and a day the system was down is
    made up the next."""
    return send_due_reminders(database, enqueue=_enqueue).as_dict()


# Scheduled by `caredesk beat`; each run takes the job's lease in this service's database first.
PERIODIC_JOBS = [PeriodicJob("notifications.dispatch_deliveries", dispatch_deliveries, every_seconds=2.0),
                 PeriodicJob("notifications.send_payment_reminders", send_payment_reminders, every_seconds=3600.0)]
