"""A note on a customer and the record a deleted note leaves behind.

A note keeps no branch or department of its own for visibility: seed 001 says that moving a user
moves the visibility of their past notes, so queries take both from the author's current row of the
replicated directory. ``written_branch_id``/``written_department_id`` are what the author's token
said when writing; queries use them only while the directory replica does not know the author yet.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.customers.notes.errors import NoteAuthorWithoutDepartment, NoteDeletionForbidden
from services.kit.auth import COMPANY, Principal
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.text import search_text

DELETE_PERMISSION = "delete_notes"


def note_search_text(text: str, location: str, next_treatment: str) -> str:
    return search_text(text, location, next_treatment)


class Note(Base):
    """Seed 001: the note's text, where it happened (office, customer's home…), the next treatment."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_notes_author_id_created_at", "author_id", "created_at"),
        Index("ix_notes_created_at", "created_at"),
        # partial words anywhere in the folded text (services.kit.text.matches), from trigrams on PostgreSQL
        Index("ix_notes_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")
    next_treatment: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    written_branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    written_department_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # text, location and next treatment folded (services.kit.text): what the notes search looks in
    search_text: Mapped[str] = mapped_column(Text, default=" ")

    @classmethod
    def write(cls, *, customer_id: uuid.UUID, author: Principal, department_id: uuid.UUID | None,
              branch_id: uuid.UUID | None, text: str, location: str, next_treatment: str) -> "Note":
        """Seed 001: a user without a department cannot write notes."""
        if department_id is None:
            raise NoteAuthorWithoutDepartment(
                "You have no department; ask an administrator to give you one before writing notes.")
        return cls(id=uuid.uuid4(), customer_id=customer_id, text=text, location=location,
                   next_treatment=next_treatment, author_id=author.user_id, written_branch_id=branch_id,
                   written_department_id=department_id, created_at=utcnow(), version=1,
                   search_text=note_search_text(text, location, next_treatment))

    def deleted_by(self, principal: Principal) -> "NoteDeletion":
        """Seed 001: only level 1 deletes notes; the deletion keeps who, when and the whole note."""
        if principal.level != COMPANY or DELETE_PERMISSION not in principal.permissions:
            raise NoteDeletionForbidden("Only a level 1 user with the permission delete_notes deletes notes.")
        return NoteDeletion(id=uuid.uuid4(), note_id=self.id, customer_id=self.customer_id, text=self.text,
                            location=self.location, next_treatment=self.next_treatment, author_id=self.author_id,
                            written_at=self.created_at, deleted_by=principal.user_id, deleted_at=utcnow())


class NoteDeletion(Base):
    """A deleted note as it was, with who deleted it and when (read by level 1)."""

    __tablename__ = "note_deletions"
    __table_args__ = (Index("ix_note_deletions_customer_id_deleted_at", "customer_id", "deleted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    note_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200))
    next_treatment: Mapped[str] = mapped_column(String(1000))
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
