"""The bulk change of preferred sales agent, as proposed and as confirmed."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.customers.sales_agents.errors import SalesAgentChangeDone
from services.kit.db import UtcDateTime, new_id, utcnow

PENDING, CONFIRMING, CONFIRMED = "pending", "confirming", "confirmed"


class SalesAgentChange(Base):
    """Seed 001's bulk change of preferred sales agent: proposed with its counts, then confirmed once.

    Confirming walks the customers in id order, a chunk per transaction: ``status`` is "confirming"
    and ``moved`` (per move and in all) counts what is done while ``resume_after`` holds the last
    customer id a committed chunk reached; confirming again resumes after it."""

    __tablename__ = "sales_agent_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    moves: Mapped[list] = mapped_column(JSON)       # [{from_agent_id, to_agent_id, customers, moved}]
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    moved: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resume_after: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the last customer a committed chunk reached

    def mapping(self) -> dict[uuid.UUID, uuid.UUID]:
        return {uuid.UUID(m["from_agent_id"]): uuid.UUID(m["to_agent_id"]) for m in self.moves}

    def ensure_pending(self) -> None:
        """A change is confirmed once; after that it is history (SalesAgentChangeDone). One whose
        confirmation was interrupted between chunks is still open: confirming it again resumes."""
        if self.status == CONFIRMED:
            raise SalesAgentChangeDone("This change was confirmed already; propose a new one.")

    def chunk_done(self, moved: dict[uuid.UUID, int], last_id: uuid.UUID | None, *, finished: bool) -> None:
        """Add one chunk's moves (per old agent) to the counts; ``finished``: no customer is left."""
        self.ensure_pending()
        self.moves = [m | {"moved": m.get("moved", 0) + moved.get(uuid.UUID(m["from_agent_id"]), 0)}
                      for m in self.moves]
        self.moved = sum(m["moved"] for m in self.moves)
        if last_id is not None:
            self.resume_after = last_id
        if finished:
            self.status, self.confirmed_at = CONFIRMED, utcnow()
        else:
            self.status = CONFIRMING
