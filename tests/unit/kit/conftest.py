"""A throwaway service for testing the kit: one table, its outbox and inbox, the embedded broker."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, String, Table, Uuid, insert, select

from services.kit.contracts import Event, Payload, declare, fields
from services.kit.db import Database, new_metadata
from services.kit.messaging.consumer import ConsumerWorker, EventHandler, PermanentFailure
from services.kit.settings import load_settings

metadata = new_metadata()
effects = Table("effects", metadata, Column("id", Uuid, primary_key=True), Column("event_id", Uuid),
                Column("label", String(50)), Column("n", Integer))


class ProbeHappened(Payload):
    label = fields.String(required=True)
    poison = fields.Boolean()
    malformed = fields.Boolean()


declare("probe", Event("probe.happened.v1", "Something happened to the probe.", ProbeHappened))


@pytest.fixture
def settings(tmp_path):
    # the embedded broker lives in the test's folder; fresh names keep the test honest about topology
    return load_settings("probe", data_dir=tmp_path, broker_url="embedded://",
                         database_url=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
                         exchange=f"test.{uuid.uuid4().hex[:8]}", queue_prefix=f"{uuid.uuid4().hex[:8]}.",
                         consumer_max_attempts=3, consumer_backoff_seconds=0.001)


@pytest.fixture
def database(settings):
    db = Database(settings.database_url, metadata)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


def record_effect(uow, envelope):
    if envelope.data.get("poison"):
        raise RuntimeError("this message always fails")
    if envelope.data.get("malformed"):
        raise PermanentFailure("cannot be handled")
    uow.session.execute(insert(effects).values(id=uuid.uuid4(), event_id=envelope.id,
                                               label=envelope.data["label"], n=1))


RECORD = EventHandler(name="record_effect", events=["probe.happened.v1"], handle=record_effect)


@pytest.fixture
def worker(database, settings):
    return ConsumerWorker(database, settings, [RECORD])


def effect_rows(database):
    with database.session() as session:
        return session.execute(select(effects.c.event_id, effects.c.label)).all()
