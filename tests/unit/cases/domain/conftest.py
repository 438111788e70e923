"""The cases service's models and use cases on an in-memory unit of work: the real UnitOfWork on a
SQLite database that lives in memory (tables made from the models' metadata, no migration, no file,
no network), so domain rules and use cases are tested directly, without HTTP."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.pool import StaticPool

from services.cases.models import Base, CustomerReadModel, directory_users
from services.cases.queues import use_cases as queue_use_cases
from services.kit.auth import Principal
from services.kit.db import Database
from services.kit.uow import UnitOfWork
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID, DELIVERY, INITIATOR_ID, People, make_people


class MemoryCases:
    """One in-memory cases database: ``uow(principal)`` for use cases, ``events()`` for what they announced."""

    def __init__(self) -> None:
        self.database = Database("sqlite://", Base.metadata, poolclass=StaticPool,
                                 connect_args={"check_same_thread": False})
        Base.metadata.create_all(self.database.engine)

    def uow(self, principal: Principal | None = None) -> UnitOfWork:
        return UnitOfWork(self.database, producer="cases", actor=str(principal.user_id) if principal else None)

    def add(self, *rows) -> None:
        with self.database.session() as session:
            session.add_all(rows)
            session.commit()

    def register_users(self, *principals: Principal) -> None:
        """What user.created events would have put into the directory replica."""
        with self.database.session() as session:
            session.execute(insert(directory_users), [{
                "id": p.user_id, "username": p.username, "full_name": p.username.title(), "email": None,
                "level": p.level, "branch_id": p.branch_id, "department_id": p.department_id,
                "permissions": sorted(p.permissions), "queues": sorted(p.queues), "is_active": True,
                "directory_version": 1, "updated_at": datetime.now(timezone.utc)} for p in principals])
            session.commit()

    def events(self, name: str | None = None) -> list[dict]:
        """Envelopes written to the outbox, oldest first (``name``: only events of this routing key)."""
        outbox = self.database.outbox
        with self.database.session() as session:
            rows = session.execute(select(outbox.c.routing_key, outbox.c.envelope).order_by(outbox.c.position)).all()
        return [envelope for key, envelope in rows if name is None or key == name]

    def event_names(self) -> list[str]:
        return [f"{envelope['type']}.v{envelope['version']}" for envelope in self.events()]

    def setup_queue(self, people: People, **extra) -> None:
        """The people's queue with its supervisor, and its members in the directory replica."""
        self.register_users(people.supervisor, people.agent, people.colleague)
        queue_use_cases.create_queue(self.uow(people.admin), principal=people.admin, data={
            "code": people.queue_code, "name": people.queue_code.title(), "department_id": DELIVERY,
            "supervisor_id": people.supervisor.user_id} | extra)

    def close(self) -> None:
        self.database.engine.dispose()


def add_customer(memory: MemoryCases, **overrides) -> CustomerReadModel:
    values = dict(id=CUSTOMER_ID, code="C-7", name="Дмитрий Иванов", branch_id=BRANCH, created_by=INITIATOR_ID,
                  region="Moscow", lines=[{"number": "+79161234567", "status": "active"}], source_version=1)
    customer = CustomerReadModel(**(values | overrides))
    memory.add(customer)
    return customer


@pytest.fixture
def memory() -> MemoryCases:
    memory = MemoryCases()
    add_customer(memory)
    yield memory
    memory.close()


@pytest.fixture
def people(memory) -> People:
    people = make_people()
    memory.setup_queue(people)
    return people


def new_id() -> uuid.UUID:
    return uuid.uuid4()
