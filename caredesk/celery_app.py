"""The one Celery app of Caredesk: every service's tasks on its own queue, every periodic job of the
system in the beat schedule. Built once per process. (Each channel's rate limit is kept by the send
tasks themselves, per message: services/notifications/runtime.py, Pace.)"""
from __future__ import annotations

from functools import cache

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler

from caredesk import health as liveness

from caredesk.components import COMPONENTS, Component
from services.kit.db import Database
from services.kit.settings import load_settings
from services.kit.tasks import RUNTIMES, PeriodicJob, celery_config, run_periodic_job, task_queue, task_queues


@cache
def _database(name: str) -> Database:
    component = COMPONENTS[name]
    return Database(component.settings().database_url, component.metadata)


def _register_job(app: Celery, component: Component, job: PeriodicJob) -> None:
    def run() -> bool:
        return run_periodic_job(_database(component.name), job)

    run.__name__ = run.__qualname__ = job.name.replace(".", "_")
    # A periodic run is cheap to repeat and expires at the next tick; no late ack needed.
    app.task(name=job.name, acks_late=False, ignore_result=True)(run)


class HeartbeatStep(bootsteps.StartStopStep):
    """The worker's timer touches the health file: a worker whose timer stops is not alive."""
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        liveness.touch()
        self.timer_ref = worker.timer.call_repeatedly(5.0, liveness.touch, priority=10)

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()


class HeartbeatScheduler(PersistentScheduler):
    """Beat's scheduler; each tick is a heartbeat for `caredesk health`."""

    def tick(self, *args, **kwargs):
        liveness.touch()
        return super().tick(*args, **kwargs)


def create_celery() -> Celery:
    from services.notifications.runtime import build_runtime

    settings = load_settings("notifications")
    app = Celery("caredesk", set_as_current=True)
    app.conf.update(celery_config(settings))
    app.conf.task_queues = task_queues(settings, COMPONENTS)
    app.conf.task_routes = {f"{name}.*": {"queue": task_queue(settings, name)} for name in COMPONENTS}
    schedule = {}
    for component in COMPONENTS.values():
        for job in component.periodic_jobs:
            _register_job(app, component, job)
            schedule[job.name] = {"task": job.name, "schedule": job.every_seconds,
                                  "options": {"expires": job.every_seconds}}
    app.conf.beat_schedule = schedule
    app.conf.beat_max_interval = 30  # beat wakes up at least this often, so its heartbeat stays fresh
    app.steps["worker"].add(HeartbeatStep)
    RUNTIMES.provide("notifications", build_runtime)
    return app
