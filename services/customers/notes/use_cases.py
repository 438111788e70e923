"""Note actions, one function each: write a note, delete one."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.customers.models import directory_users
from services.customers.notes.errors import NoteNotFound
from services.customers.notes.models import Note
from services.customers.notes.queries import find_note
from services.customers.repository import get_customer
from services.kit.auth import Principal
from services.kit.problems import ensure_version
from services.kit.uow import UnitOfWork


def write_note(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, data: dict) -> Note:
    """Anyone who reaches the card writes notes on it, if the directory gives them a department
    (their current one, else the token's while the replica has not heard of them).
    Raises CustomerNotFound, NoteAuthorWithoutDepartment."""
    with uow:
        get_customer(uow.session, principal=principal, customer_id=customer_id)
        users = directory_users
        known = uow.session.execute(select(users.c.branch_id, users.c.department_id)
                                    .where(users.c.id == principal.user_id)).first()
        branch_id, department_id = known if known else (principal.branch_id, principal.department_id)
        note = Note.write(customer_id=customer_id, author=principal, branch_id=branch_id,
                          department_id=department_id, text=data["text"], location=data["location"],
                          next_treatment=data["next_treatment"])
        uow.session.add(note)
        uow.commit()
    return note


def delete_note(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, note_id: uuid.UUID,
                expected_version: int) -> None:
    """Level 1 with delete_notes only; the note moves to the deletion history (who, when, its text).
    Raises CustomerNotFound, NoteNotFound, NoteDeletionForbidden, StaleVersion."""
    with uow:
        get_customer(uow.session, principal=principal, customer_id=customer_id)
        if find_note(uow.session, principal=principal, customer_id=customer_id, note_id=note_id) is None:
            raise NoteNotFound(f"The customer has no note {note_id} you can see.")
        note = uow.session.scalar(select(Note).where(Note.id == note_id).with_for_update())
        if note is None:
            raise NoteNotFound(f"The customer has no note {note_id} you can see.")
        ensure_version(note.version, expected_version, what="The note")
        uow.session.add(note.deleted_by(principal))
        uow.session.delete(note)
        uow.commit()
