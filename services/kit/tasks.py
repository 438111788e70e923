"""Background work on Celery: the broker a service's tasks go through, periodic jobs and their leases.

Every service's Celery tasks go to its own queue ``<prefix>tasks.<service>`` (``caredesk tasks
<service>`` consumes it). Periodic jobs are declared by each service's ``tasks.PERIODIC_JOBS`` and
scheduled by the one ``caredesk beat``. Several beats may run (a second one for availability, or
by mistake): a job run first takes the job's lease in the service's own database
(``periodic_leases``), and a run whose lease is held is skipped, so a job runs at most once per
lease however many beats send it.

Broker: ``CAREDESK_TASK_BROKER_URL``; otherwise RabbitMQ when ``CAREDESK_BROKER_URL`` is one
(production), else kombu's SQLite transport in the data directory (embedded mode, no server).

On RabbitMQ the task queues are quorum queues (replicated on a cluster, as the event queues are),
bound to the topic exchange ``<prefix>tasks``. What Celery's "Using quorum queues" asks for:
publisher confirms (``confirm_publish``), no global QoS (Celery turns it off when it detects a
quorum queue, ``worker_detect_quorum_queues``), and a retry's countdown through RabbitMQ's native
delayed delivery (Celery's ``celery_delayed_*`` quorum queues, declared by the worker; it needs a
topic exchange, hence ours) instead of a message held in the worker until its ETA. The embedded
transport takes the same queues without the arguments.
"""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from kombu import Exchange, Queue
from sqlalchemy import Column, MetaData, String, Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.kit.db import Database, UtcDateTime, utcnow
from services.kit.settings import ServiceSettings


@dataclass(frozen=True)
class PeriodicJob:
    """``run(database)`` every ``every_seconds``; ``name`` is the Celery task's name
    (``<service>.<job>``)."""

    name: str
    run: Callable[[Database], object]
    every_seconds: float


def task_queue(settings: ServiceSettings, service: str) -> str:
    return f"{settings.queue_prefix}tasks.{service}"


def is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def task_broker_url(settings: ServiceSettings) -> str:
    explicit = os.environ.get("CAREDESK_TASK_BROKER_URL")
    if explicit:
        return explicit
    if is_rabbitmq(settings.broker_url):
        return settings.broker_url
    return f"sqla+sqlite:///{settings.data_dir / 'tasks.sqlite3'}"


# Only a backstop against a message that crashes its worker forever (a quorum queue counts every
# return); late acks and lost workers return a task far fewer times than this.
TASK_DELIVERY_LIMIT = 500


def task_queues(settings: ServiceSettings, services) -> list[Queue]:
    """The task queue of each service, bound to the topic exchange ``<prefix>tasks`` by its own
    name; quorum queues on RabbitMQ."""
    exchange = Exchange(f"{settings.queue_prefix}tasks", type="topic", durable=True)
    arguments = {"x-queue-type": "quorum", "x-delivery-limit": TASK_DELIVERY_LIMIT} \
        if is_rabbitmq(task_broker_url(settings)) else {}
    return [Queue(task_queue(settings, service), exchange, routing_key=task_queue(settings, service), durable=True,
                  queue_arguments=arguments) for service in services]


def celery_config(settings: ServiceSettings) -> dict:
    """What every Caredesk Celery process shares: late acks (a task whose worker dies is delivered
    again), one message prefetched per process, no results kept (the database holds the outcome);
    on RabbitMQ, quorum queues and publisher confirms (see the module's docstring)."""
    quorum = dict(task_default_queue_type="quorum", task_create_missing_queue_type="quorum",
                  worker_detect_quorum_queues=True, broker_transport_options={"confirm_publish": True}) \
        if is_rabbitmq(task_broker_url(settings)) else {}
    return quorum | dict(
        broker_url=task_broker_url(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
    )


def define_periodic_leases(metadata: MetaData) -> Table:
    return Table(
        "periodic_leases", metadata,
        Column("job", String(200), primary_key=True),
        Column("holder", String(64), nullable=True),
        Column("leased_until", UtcDateTime(), nullable=False),
    )


def take_lease(database: Database, job: str, *, seconds: float) -> str | None:
    """The job's lease for ``seconds`` when nobody holds it (its holder id), else None. One
    conditional UPDATE: of two beats' runs racing for it, exactly one changes the row."""
    table = database.metadata.tables["periodic_leases"]
    now = utcnow()
    holder = uuid.uuid4().hex
    insert = pg_insert if database.is_postgresql else sqlite_insert
    with database.engine.begin() as connection:
        connection.execute(insert(table).values(job=job, holder=None, leased_until=now - timedelta(seconds=1))
                           .on_conflict_do_nothing(index_elements=[table.c.job]))
    with database.engine.begin() as connection:
        taken = connection.execute(update(table).where(table.c.job == job, table.c.leased_until <= now)
                                   .values(holder=holder, leased_until=now + timedelta(seconds=seconds)))
    return holder if taken.rowcount == 1 else None


def run_periodic_job(database: Database, job: PeriodicJob) -> bool:
    """Run ``job`` once unless another run holds its lease; the lease lasts slightly less than the
    interval, so the next tick of any beat finds it free. Returns whether it ran."""
    if take_lease(database, job.name, seconds=job.every_seconds * 0.9) is None:
        return False
    job.run(database)
    return True


class Runtimes:
    """Per worker process, what each service's tasks work with (database, channels), built on first
    use from the service's settings by the factory the composition root registered."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], object]] = {}
        self._built: dict[str, object] = {}
        self._lock = threading.Lock()

    def provide(self, service: str, factory: Callable[[], object]) -> None:
        with self._lock:
            self._factories[service] = factory
            self._built.pop(service, None)

    def get(self, service: str):
        with self._lock:
            if service not in self._built:
                self._built[service] = self._factories[service]()
            return self._built[service]


RUNTIMES = Runtimes()
