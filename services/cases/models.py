"""The cases service's own database: queues, cases, the customer read model, directory users."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.cases.errors import TransitionNotAllowed
from services.kit.db import UtcDateTime, new_id, new_metadata, utcnow
from services.kit.directory_replica import define_users_replica
from services.kit.uow import RecordsEvents

OPEN, OPEN_DISPATCH, OPEN_REJECT, CLOSED = "open", "open_dispatch", "open_reject", "closed"
STATUSES = (OPEN, OPEN_DISPATCH, OPEN_REJECT, CLOSED)
PRIORITIES = ("low", "normal", "high", "urgent")


class Base(DeclarativeBase):
    metadata = new_metadata()


directory_users = define_users_replica(Base.metadata)


class CaseNumberCounter(Base):
    """Last case number given out per year; its row lock makes numbers gap-free and unique."""

    __tablename__ = "case_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class CustomerReadModel(Base):
    """The customers service's customers, as its events describe them."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Queue(RecordsEvents, Base):
    """A department queue (Delivery, Billing…); members are the users whose queues name its code."""

    __tablename__ = "queues"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "department_id": self.department_id,
                "supervisor_id": self.supervisor_id}


class Case(RecordsEvents, Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    customer_code: Mapped[str] = mapped_column(String(40))
    customer_name: Mapped[str] = mapped_column(String(200))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"), index=True)
    initiator_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    queue: Mapped[Queue] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def snapshot(self) -> dict:
        return {
            "id": self.id, "number": self.number, "subject": self.subject, "priority": self.priority,
            "status": self.status, "customer": {"id": self.customer_id, "code": self.customer_code,
                                                "name": self.customer_name},
            "queue": {"id": self.queue.id, "code": self.queue.code, "name": self.queue.name},
            "initiator_id": self.initiator_id, "owner_id": self.owner_id,
            "dispatched_at": self.dispatched_at,
        }

    def dispatch(self, *, by: uuid.UUID) -> None:
        """Open or Open-Reject -> Open Dispatch: the case waits in its queue."""
        if self.status not in (OPEN, OPEN_REJECT):
            raise TransitionNotAllowed(f"A case in status '{self.status}' cannot be dispatched.",
                                       allowed_actions=[])
        self.status = OPEN_DISPATCH
        self.owner_id = None
        self.dispatched_at = utcnow()
        self.record_event("case.dispatched.v1", self.snapshot() | {"dispatched_by": by})
