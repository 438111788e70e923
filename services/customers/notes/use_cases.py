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


def write_note(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, data: dict) -> tuple[Note, dict]:
    """Anyone who reaches the card writes notes on it, if the directory gives them a department
    (their current one, else the token's while the replica has not heard of them). Returns the note
    and the note as its author sees it (queries.note_dict's shape, from what was written: the author
    always sees their own notes, with the branch and department read here).
    Raises CustomerNotFound, NoteAuthorWithoutDepartment."""
    with uow:
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id, card=False)
        users = directory_users
        known = uow.session.execute(select(users.c.branch_id, users.c.department_id, users.c.full_name)
                                    .where(users.c.id == principal.user_id)).first()
        branch_id, department_id, author_name = known if known else (principal.branch_id, principal.department_id,
                                                                     None)
        note = Note.write(customer_id=customer_id, author=principal, branch_id=branch_id,
                          department_id=department_id, text=data["text"], location=data["location"],
                          next_treatment=data["next_treatment"])
        uow.session.add(note)
        uow.commit()
    return note, {"id": note.id, "customer_id": note.customer_id, "customer_code": customer.code,
                  "customer_name": customer.name, "created_at": note.created_at, "author_id": note.author_id,
                  "author_name": author_name, "branch_id": branch_id, "department_id": department_id,
                  "text": note.text, "location": note.location, "next_treatment": note.next_treatment,
                  "version": note.version}


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
