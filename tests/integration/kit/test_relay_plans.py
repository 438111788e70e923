"""The relay's batch read on a large outbox, when the relay started on an empty one.

psycopg prepares a statement on the server after a few executions, and PostgreSQL then keeps one
generic plan for it. A relay that starts on an outbox analyzed while empty (a fresh install, or a
database loaded and analyzed before any event) plans its batch read for an empty table: a
sequential scan and a sort. Nothing replans it unless the table is analyzed again, so when a bulk
job fills the outbox with a million events, every batch of 500 scans and sorts all of them, and the
relay falls behind by tens of minutes. Each batch must read its own rows from ``ix_outbox_unsent`` in order, and mark them by primary key.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from services.kit.db import Database
from services.kit.messaging.relay import OutboxRelay

pytestmark = pytest.mark.integration

UNSENT_EVENTS = 50_000


def outbox_reads(database: Database) -> tuple[int, int]:
    """(sequential scans of the outbox, entries read from its unsent rows' index) so far.

    A backend sends its counters at most once a second; ``pg_stat_force_next_flush`` makes the only
    pooled connection send them when its statement ends."""
    with database.engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_force_next_flush()"))
        connection.rollback()
    with database.engine.connect() as connection:
        return tuple(connection.execute(text(
            "SELECT seq_scan, (SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'ix_outbox_unsent') "
            "FROM pg_stat_user_tables WHERE relname = 'outbox'")).one())


def fill_outbox(database: Database, events: int) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox (event_id, routing_key, envelope, created_at) "
            "SELECT gen_random_uuid(), 'customer.updated.v1', "
            "json_build_object('correlation_id', 'bulk', 'n', n), now() FROM generate_series(1, :events) AS n"),
            {"events": events})


def test_a_relay_started_on_an_empty_outbox_reads_its_batches_by_index_once_the_outbox_is_large(customers):
    customers.declare_topology()
    # one pooled connection: every batch on the same backend, with the plans it has kept
    database = Database(customers.settings.database_url, customers.component.metadata, pool_size=1, max_overflow=0)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE outbox"))
        relay = OutboxRelay(database, customers.settings)
        for _ in range(20):  # idle polls, as a relay does while nothing happens
            assert relay.relay_once() == 0
        fill_outbox(database, UNSENT_EVENTS)

        batch = customers.settings.relay_batch_size
        scans_before, entries_before = outbox_reads(database)
        for _ in range(3):
            assert relay.relay_once() == batch
        scans_after, entries_after = outbox_reads(database)

        assert scans_after == scans_before, "no batch scans the whole outbox"
        # a batch reads its own rows from the index in order, not every unsent row to sort them
        assert 3 * batch <= entries_after - entries_before <= 6 * batch
    finally:
        database.dispose()
