"""Interactions and their administered catalogues.

Catalogues (level 1 administers them): the reason tree (any depth; a retired reason stays on the
interactions that chose it), macros (comment templates per reason), the script of a reason (short
guidance), knowledge articles per reason (every version kept) and points of contact ("flows", such
as the office "Mayakovskaya").

An interaction belongs to a customer (or the prospect "0") and optionally one of its lines. It is
saved open (visible at once to anyone who opens the card) and closed once a reason is chosen; every
edit of a saved interaction enters the card's change history. A customer not reached leaves only
the attempt (seed 003): when, the channel and the number dialled.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, object_session

from services.customers.base import Base
from services.customers.interactions.errors import (
    FollowupCancelled, InteractionClosed, NotReachedKeepsOnlyTheAttempt, ReasonRequired,
)
from services.customers.models import Change, as_text
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.uow import RecordsEvents

DIRECTIONS = ("inbound", "outbound")
CHANNELS = ("phone", "office_visit", "email", "whatsapp", "skype_teams", "chat", "letter")
OPEN, CLOSED = "open", "closed"
MACRO_PLACEHOLDERS = ("customer_name", "customer_code", "line_number", "agent_name", "today")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# What an interaction records (seed 002's list, seed 004's card and timing block).
CONTENT_FIELDS = ("line_id", "direction", "channel", "contact_point_id", "contact_person", "reason_id", "topic",
                  "comments", "inputs", "pending_items", "solution", "protocol_applied", "started_at", "ended_at",
                  "dialogue_seconds", "card_opened_at", "dialled_number")
# Seed 003: when the customer was not reached, nothing but the attempt is kept.
ATTEMPT_FIELDS = ("line_id", "direction", "channel", "contact_point_id", "started_at", "ended_at", "dialled_number",
                  "card_opened_at")


class Reason(Base):
    """A node of the reason tree; ``script`` is seed 004's short guidance shown once it is chosen."""

    __tablename__ = "interaction_reasons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction_reasons.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    script: Mapped[str] = mapped_column(Text, default="")
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Macro(Base):
    """A comment template of a reason, with placeholders such as {customer_name}; a retired one is
    no longer offered (comments written from it keep their text)."""

    __tablename__ = "interaction_macros"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reason_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction_reasons.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @staticmethod
    def unknown_placeholders(body: str) -> list[str]:
        return sorted({name for name in _PLACEHOLDER.findall(body) if name not in MACRO_PLACEHOLDERS})

    def render(self, values: dict) -> str:
        return _PLACEHOLDER.sub(lambda match: str(values.get(match[1]) or ""), self.body)


class KnowledgeArticle(Base):
    """Seed 004's "Infocentre": a short article per reason; each edit is a new version."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (
        Index("ix_knowledge_articles_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reason_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction_reasons.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ArticleVersion(Base):
    """Every version an article had, as written."""

    __tablename__ = "knowledge_article_versions"

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"),
                                                  primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    written_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ContactPoint(Base):
    """A flow or point of contact an interaction came through (a hotline, the office "Mayakovskaya")."""

    __tablename__ = "contact_points"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class InteractionCounter(Base):
    """The last interaction number handed out (seed 004: the record number agents search by)."""

    __tablename__ = "interaction_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Interaction(RecordsEvents, Base):
    """One contact with a customer: open while being written, closed with a reason."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_customer_id_started_at", "customer_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    customer_reached: Mapped[bool] = mapped_column(Boolean, default=True)
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    contact_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_points.id"))
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    reason_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction_reasons.id"), index=True)
    topic: Mapped[str] = mapped_column(String(200), default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[str] = mapped_column(Text, default="")
    pending_items: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    protocol_applied: Mapped[str] = mapped_column(String(200), default="")
    dialled_number: Mapped[str] = mapped_column(String(40), default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dialogue_seconds: Mapped[int | None] = mapped_column(Integer)
    card_opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def card_open_seconds(self) -> int | None:
        """Seed 004's timing block: how long the agent had the card open for this interaction."""
        if self.card_opened_at is None:
            return None
        return max(0, int(((self.closed_at or utcnow()) - self.card_opened_at).total_seconds()))

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))

    @staticmethod
    def check_attempt(data: dict) -> None:
        """Seed 003: not reached, nothing but the attempt (time, channel, number dialled) is kept."""
        extra = {key: ["The customer was not reached: only the attempt (time, channel, number dialled) is kept."]
                 for key, value in data.items() if key in CONTENT_FIELDS and key not in ATTEMPT_FIELDS
                 and value not in (None, "")}
        if extra:
            raise NotReachedKeepsOnlyTheAttempt(extra)

    def change(self, data: dict, *, actor: uuid.UUID) -> list[str]:
        """Edit a saved interaction; every changed field enters the card's history."""
        if self.status == CLOSED:
            raise InteractionClosed(f"Interaction {self.number} is closed; record a new one.")
        if not self.customer_reached:
            self.check_attempt(data)
        changed = []
        for key in CONTENT_FIELDS:
            if key in data and data[key] != getattr(self, key):
                self.record_change(key, getattr(self, key), data[key], actor)
                setattr(self, key, data[key])
                changed.append(key)
        return changed

    def close(self, *, actor: uuid.UUID) -> None:
        """The card cannot be closed until a reason is chosen (seed 004); an attempt needs none."""
        if self.status == CLOSED:
            raise InteractionClosed(f"Interaction {self.number} is closed already.")
        if self.customer_reached and self.reason_id is None:
            raise ReasonRequired({"reason_id": ["Choose the reason of the interaction before closing it."]})
        self.record_change("status", self.status, CLOSED, actor)
        self.status, self.closed_at = CLOSED, utcnow()
        if self.ended_at is None:
            self.ended_at = self.closed_at

    def record_change(self, field: str, old, new, actor: uuid.UUID) -> None:
        object_session(self).add(Change(customer_id=self.customer_id, entity="interaction", entity_id=self.id,
                                        field=field, old_value=as_text(old), new_value=as_text(new),
                                        actor_id=actor, changed_at=utcnow()))


FOLLOWUP_SCHEDULED, FOLLOWUP_CANCELLED = "scheduled", "cancelled"
# what a reschedule or an edit may change; each enters the card's history
FOLLOWUP_FIELDS = ("starts_at", "ends_at", "time_zone", "subject", "location", "participant_ids", "copy_ids")


class Followup(Base):
    """A scheduled follow-up of an interaction (seed 002: day and time, copy to colleagues and the
    supervisor); the notifications service turns its events into calendar invitations.

    It can be rescheduled or edited and cancelled while scheduled; each change raises ``version``
    (the ETag), and the invitation's iCalendar SEQUENCE is ``version - 1``: 0 for the first
    invitation, higher with every update or cancel, so calendars replace what they hold."""

    __tablename__ = "interaction_followups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    organiser_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    time_zone: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    participant_ids: Mapped[list] = mapped_column(JSON, default=list)
    copy_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(20), default=FOLLOWUP_SCHEDULED, server_default=FOLLOWUP_SCHEDULED)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __mapper_args__ = {"version_id_col": version}

    @property
    def sequence(self) -> int:
        """The invitation's iCalendar SEQUENCE (RFC 5545): 0 at first, one more for each change."""
        return (self.version or 1) - 1

    def _ensure_scheduled(self) -> None:
        if self.status == FOLLOWUP_CANCELLED:
            raise FollowupCancelled("The follow-up is cancelled; schedule a new one.")

    def reschedule(self, changes: dict, *, customer_id: uuid.UUID, actor: uuid.UUID) -> list[str]:
        """Move or edit it: ``changes`` holds new values of FOLLOWUP_FIELDS; each changed field enters
        the card's history. Returns the changed fields (none: nothing happens, no event).
        Raises FollowupCancelled."""
        self._ensure_scheduled()
        changed = []
        for key in FOLLOWUP_FIELDS:
            if key not in changes:
                continue
            old, new = getattr(self, key), changes[key]
            if key in ("participant_ids", "copy_ids"):
                old, new = [str(u) for u in old or []], [str(u) for u in new]
            if old != new:
                self._record_change(customer_id, key, old, new, actor)
                setattr(self, key, new)
                changed.append(key)
        if changed:
            self.updated_at = utcnow()
        return changed

    def cancel(self, *, customer_id: uuid.UUID, actor: uuid.UUID) -> None:
        """Call it off; it stays on the interaction as cancelled. Raises FollowupCancelled."""
        self._ensure_scheduled()
        self._record_change(customer_id, "status", self.status, FOLLOWUP_CANCELLED, actor)
        self.status, self.cancelled_by = FOLLOWUP_CANCELLED, actor
        self.cancelled_at = self.updated_at = utcnow()

    def _record_change(self, customer_id: uuid.UUID, field: str, old, new, actor: uuid.UUID) -> None:
        object_session(self).add(Change(customer_id=customer_id, entity="followup", entity_id=self.id, field=field,
                                        old_value=as_text(old), new_value=as_text(new), actor_id=actor,
                                        changed_at=utcnow()))
