"""The bulk change of preferred sales agent, as proposed and as confirmed."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.customers.sales_agents.errors import SalesAgentChangeDone
from services.kit.db import UtcDateTime, new_id, utcnow

PENDING, CONFIRMED = "pending", "confirmed"


class SalesAgentChange(Base):
    """Seed 001's bulk change of preferred sales agent: proposed with its counts, then confirmed once."""

    __tablename__ = "sales_agent_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    moves: Mapped[list] = mapped_column(JSON)       # [{from_agent_id, to_agent_id, customers, moved}]
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    moved: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def mapping(self) -> dict[uuid.UUID, uuid.UUID]:
        return {uuid.UUID(m["from_agent_id"]): uuid.UUID(m["to_agent_id"]) for m in self.moves}

    def ensure_pending(self) -> None:
        """A change is confirmed once; after that it is history (SalesAgentChangeDone)."""
        if self.status != PENDING:
            raise SalesAgentChangeDone("This change was confirmed already; propose a new one.")

    def confirmed(self, moved: dict[uuid.UUID, int]) -> None:
        """Record how many customers each move took."""
        self.ensure_pending()
        self.moves = [m | {"moved": moved.get(uuid.UUID(m["from_agent_id"]), 0)} for m in self.moves]
        self.status, self.moved, self.confirmed_at = CONFIRMED, sum(moved.values()), utcnow()
