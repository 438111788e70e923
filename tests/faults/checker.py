"""What a fault run did to the events, computed from the databases afterwards (both run modes).

* committed: events in the producer's outbox with a routing key the handler is bound to;
* lost: committed events with no effect in the consumer's database;
* duplicate effects: applications of an event beyond its first (``fault_effects`` rows, written in
  the handler's own transaction, so a second application would leave a second row);
* redeliveries: deliveries the inbox turned away because the event was already applied
  (``inbox.deliveries`` counts every delivery that reached it);
* worst latency: the longest time from an event's commit to its effect, which bounds how long the
  pipeline took to recover from the faults it met.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from services.kit.db import Database
from tests.faults.probe import EFFECTS


REPORTED: list[str] = []  # every line reported in this run, for the terminal summary


@dataclass
class Figures:
    scenario: str
    committed: int
    applied: int
    lost: int
    duplicate_effects: int
    redeliveries: int
    worst_latency_seconds: float
    recovery_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        recovery = "-" if self.recovery_seconds is None else f"{self.recovery_seconds:.2f}s"
        extra = "".join(f" {key}={value}" for key, value in self.extra.items())
        return (f"FAULTS {self.scenario}: committed={self.committed} applied={self.applied} lost={self.lost} "
                f"duplicate_effects={self.duplicate_effects} redeliveries={self.redeliveries} "
                f"recovery={recovery} worst_latency={self.worst_latency_seconds:.2f}s{extra}")

    def report(self) -> "Figures":
        """Print the figures; the run's summary repeats every reported line (tests/faults/conftest.py)."""
        print(self.line(), flush=True)
        REPORTED.append(self.line())
        return self

    def assert_clean(self) -> None:
        assert (self.lost, self.duplicate_effects) == (0, 0), self.line()
        assert self.applied == self.committed, self.line()


def _occurred_at(envelope: dict) -> datetime:
    return datetime.fromisoformat(envelope["occurred_at"])


def check(scenario: str, producer: Database, consumer: Database, handler: str, routing_keys: list[str],
          *, recovery_seconds: float | None = None) -> Figures:
    outbox, inbox = producer.outbox, consumer.inbox
    with producer.session() as session:
        committed = {row.event_id: _occurred_at(row.envelope) for row in session.execute(
            select(outbox.c.event_id, outbox.c.envelope).where(outbox.c.routing_key.in_(routing_keys)))}
    with consumer.session() as session:
        effects = session.execute(select(EFFECTS.c.event_id, EFFECTS.c.applied_at)
                                  .where(EFFECTS.c.handler == handler)).all()
        redeliveries = session.scalar(select(func.coalesce(func.sum(inbox.c.deliveries - 1), 0))
                                      .where(inbox.c.handler == handler))
    applications = Counter(event_id for event_id, _ in effects)
    first_applied = {}
    for event_id, applied_at in effects:
        first_applied[event_id] = min(applied_at, first_applied.get(event_id, applied_at))
    latencies = [(first_applied[event_id] - occurred).total_seconds()
                 for event_id, occurred in committed.items() if event_id in first_applied]
    return Figures(
        scenario=scenario,
        committed=len(committed),
        applied=len(set(applications) & set(committed)),
        lost=len(set(committed) - set(applications)),
        duplicate_effects=sum(count - 1 for count in applications.values()),
        redeliveries=int(redeliveries),
        worst_latency_seconds=max(latencies, default=0.0),
        recovery_seconds=recovery_seconds,
    )
