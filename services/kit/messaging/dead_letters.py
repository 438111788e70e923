"""Inspecting and replaying ``<queue>.dead``: a replayed message goes back to its own queue only."""
from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Exchange

from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, dead_letter_queue
from services.kit.problems import NotFound
from services.kit.settings import ServiceSettings

DEAD_HEADERS = ("x-caredesk-failed-queue", "x-caredesk-reason", "x-caredesk-original-routing-key",
                "x-caredesk-dead-at", "x-caredesk-attempts")


@dataclass
class DeadLetter:
    message_id: str
    headers: dict
    body: bytes
    content_type: str | None
    content_encoding: str | None

    def _event(self) -> dict:
        try:
            event = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return {}
        return event if isinstance(event, dict) else {}

    def summary(self) -> dict:
        event = self._event()
        return {
            "message_id": self.message_id, "event_type": event.get("type"), "event_version": event.get("version"),
            "attempts": self.headers.get("x-caredesk-attempts"), "dead_at": self.headers.get("x-caredesk-dead-at"),
            "reason": self.reason().splitlines()[:1],
        }

    def reason(self) -> str:
        """Why it died: our consumer's reason, or the broker's when the broker dead-lettered it
        (delivery limit reached by a consumer that crashed on it, or a reject)."""
        if self.headers.get("x-caredesk-reason"):
            return str(self.headers["x-caredesk-reason"])
        if self.headers.get("x-first-death-reason"):
            return f"dead-lettered by the broker: {self.headers['x-first-death-reason']}"
        return ""

    def details(self) -> dict:
        body = self._event() or self.body.decode("utf-8", errors="replace")
        return self.summary() | {"headers": self.headers, "body": body}


def _drain(settings: ServiceSettings, queue: str, visit, *, limit: int | None = None) -> None:
    """Take every dead letter in turn; ``visit`` says whether it was dealt with (ack) or stays (requeue).

    Only the letters there when the drain starts are taken: a replayed message that fails again
    comes back to the tail of the queue while we drain, and must wait for the next replay rather
    than go round again (with a fast consumer, for ever).
    """
    with connect(settings) as connection:
        channel = connection.channel()
        dead = dead_letter_queue(settings, queue)(channel)
        dead.declare()
        waiting = dead.queue_declare(passive=True).message_count
        if limit is not None:
            waiting = min(waiting, limit)
        taken = []
        try:
            for _ in range(waiting):
                message = dead.get(no_ack=False, accept=["json", "application/octet-stream"])
                if message is None:
                    break
                taken.append(message)
                letter = DeadLetter(
                    message_id=message.properties.get("message_id") or "", headers=dict(message.headers or {}),
                    body=message.body if isinstance(message.body, bytes) else str(message.body).encode(),
                    content_type=message.content_type, content_encoding=message.content_encoding,
                )
                if visit(letter, connection):
                    message.ack()
                    taken.pop()
        finally:
            for message in taken:
                message.requeue()


def count_dead_letters(settings: ServiceSettings, queues: list[str]) -> dict[str, int]:
    """How many letters wait in each queue's ``<queue>.dead``, over one connection."""
    with connect(settings) as connection:
        channel = connection.channel()
        counts = {}
        for queue in queues:
            dead = dead_letter_queue(settings, queue)(channel)
            dead.declare()
            counts[queue] = dead.queue_declare(passive=True).message_count
        return counts


def list_dead_letters(settings: ServiceSettings, queue: str, *, limit: int | None = None) -> list[DeadLetter]:
    """The letters waiting, oldest first (the first ``limit`` of them); each stays in the queue."""
    letters: list[DeadLetter] = []
    _drain(settings, queue, lambda letter, _conn: letters.append(letter) and False, limit=limit)
    return letters


def find_dead_letter(settings: ServiceSettings, queue: str, message_id: str | None) -> DeadLetter:
    for letter in list_dead_letters(settings, queue):
        if letter.message_id == message_id:
            return letter
    raise NotFound(f"No dead letter {message_id} in {queue}.dead.")


def replay_dead_letters(settings: ServiceSettings, queue: str, *, message_id: str | None = None,
                        limit: int | None = None) -> int:
    """Publish the chosen dead letters (all, or one) to ``queue`` again; each leaves the DLQ once confirmed.
    ``limit``: look at no more than the oldest so many (a request's replay stays short)."""
    replayed = 0
    # One publisher (one channel) for the whole replay: a channel per letter would run out of
    # channel ids (2047 on RabbitMQ) on a large dead-letter queue.
    publishers: dict[int, BatchPublisher] = {}

    def replay(letter: DeadLetter, connection) -> bool:
        nonlocal replayed
        if message_id is not None and letter.message_id != message_id:
            return False
        if id(connection) not in publishers:
            publishers[id(connection)] = BatchPublisher(connection, Exchange(""))
        headers = {k: v for k, v in letter.headers.items() if k not in DEAD_HEADERS}
        headers["x-caredesk-replayed"] = int(letter.headers.get("x-caredesk-replayed", 0)) + 1
        publishers[id(connection)].publish([OutgoingMessage(
            routing_key=queue, body=letter.body, message_id=letter.message_id, headers=headers,
            content_type=letter.content_type or "application/json",
            content_encoding=letter.content_encoding or "utf-8")])
        replayed += 1
        return True

    _drain(settings, queue, replay, limit=limit)
    return replayed
