"""Customers' own database: the customer (account) and the replicated directory users."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, new_metadata, utcnow
from services.kit.directory_replica import define_users_replica
from services.kit.uow import RecordsEvents

PROSPECT_CODE = "0"
CUSTOMER_KINDS = ("person", "company")


class Base(DeclarativeBase):
    metadata = new_metadata()


directory_users = define_users_replica(Base.metadata)


class Customer(RecordsEvents, Base):
    """The account (BAN). Its branch and department decide who sees it; its salesperson may edit it."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    description: Mapped[str] = mapped_column(Text, default="")
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_prospect(self) -> bool:
        return self.code == PROSPECT_CODE

    def snapshot(self) -> dict:
        """What other services replicate (the cases service's customer read model)."""
        return {
            "id": self.id, "code": self.code, "kind": self.kind, "name": self.name, "status": self.status,
            "branch_id": self.branch_id, "department_id": self.department_id,
            "salesperson_id": self.salesperson_id, "version": self.version,
        }
