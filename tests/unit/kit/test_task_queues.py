"""Celery's task queues: quorum queues with confirms and no global QoS on RabbitMQ; on the embedded
SQLite transport the same queues, without arguments, carry a task end to end (the RabbitMQ side is
tests/integration/notifications/test_task_queues_quorum.py)."""
from __future__ import annotations

from celery import Celery

from services.kit.settings import load_settings
from services.kit.tasks import celery_config, task_queue, task_queues

SERVICES = ("customers", "cases", "notifications")


def test_on_rabbitmq_the_task_queues_are_quorum_queues_with_confirms(tmp_path, monkeypatch):
    monkeypatch.delenv("CAREDESK_TASK_BROKER_URL", raising=False)
    settings = load_settings("notifications", data_dir=tmp_path, broker_url="amqp://guest:guest@127.0.0.1:5672/x")
    config = celery_config(settings)
    assert config["task_default_queue_type"] == config["task_create_missing_queue_type"] == "quorum"
    assert config["worker_detect_quorum_queues"] is True
    assert config["broker_transport_options"] == {"confirm_publish": True}
    queues = task_queues(settings, SERVICES)
    assert {q.queue_arguments["x-queue-type"] for q in queues} == {"quorum"}
    # native delayed delivery (a retry's countdown) needs a topic exchange
    assert {(q.exchange.name, q.exchange.type) for q in queues} == {("tasks", "topic")}
    assert [q.routing_key for q in queues] == [q.name for q in queues] == [f"tasks.{s}" for s in SERVICES]


def test_the_embedded_transport_takes_the_same_queues_and_carries_a_task(tmp_path, monkeypatch):
    monkeypatch.delenv("CAREDESK_TASK_BROKER_URL", raising=False)
    settings = load_settings("notifications", data_dir=tmp_path, broker_url="embedded://")
    config = celery_config(settings)
    assert config["broker_url"].startswith("sqla+sqlite:///") and "task_default_queue_type" not in config
    assert all(not q.queue_arguments for q in task_queues(settings, SERVICES))

    app = Celery("embedded-test", set_as_current=False)
    app.conf.update(config)
    app.conf.task_queues = task_queues(settings, SERVICES)
    app.conf.task_routes = {f"{name}.*": {"queue": task_queue(settings, name)} for name in SERVICES}
    app.send_task("notifications.send_email", args=["d-1"])
    with app.connection_for_read() as connection:
        queue = next(q for q in app.conf.task_queues if q.name == "tasks.notifications")
        message = queue(connection.default_channel).get(no_ack=True)
    assert message is not None and message.headers["task"] == "notifications.send_email"
    assert message.payload[0] == ["d-1"]
