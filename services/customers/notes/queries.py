"""Read side of notes: a customer's notes, the deletion history and the notes report, as dicts.

Visibility is in the SQL: every query joins the note's author to the replicated directory and
takes the note's branch and department from the author's current row (seed 001), then applies the
caller's level to those (1 company, 2 branch, 3 department, 4 own notes).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, case, func, select
from sqlalchemy.orm import Session

from services.customers.models import Customer, directory_users
from services.customers.notes.models import Note, NoteDeletion
from services.kit.auth import Principal, scope_filter
from services.kit.text import matches

authors = directory_users.alias("authors")

# The author's current branch and department; what they had when writing only while the replica
# has not heard of them yet (a user created moments ago).
note_branch = case((authors.c.id.is_(None), Note.written_branch_id), else_=authors.c.branch_id)
note_department = case((authors.c.id.is_(None), Note.written_department_id), else_=authors.c.department_id)

NOTE_COLUMNS = (
    Note.id, Note.customer_id, Customer.code.label("customer_code"), Customer.name.label("customer_name"),
    Note.created_at, Note.author_id, authors.c.full_name.label("author_name"),
    note_branch.label("branch_id"), note_department.label("department_id"),
    Note.text, Note.location, Note.next_treatment, Note.version,
)


def visible_notes(principal: Principal):
    """The WHERE clause keeping the notes the caller's level reaches."""
    return scope_filter(principal, branch_column=note_branch, department_column=note_department,
                        owner_columns=[Note.author_id])


def _notes() -> Select:
    return (select(*NOTE_COLUMNS).join(Customer, Customer.id == Note.customer_id)
            .outerjoin(authors, authors.c.id == Note.author_id))


def note_dict(row) -> dict:
    return {key: getattr(row, key) for key in ("id", "customer_id", "customer_code", "customer_name", "created_at",
                                               "author_id", "author_name", "branch_id", "department_id", "text",
                                               "location", "next_treatment", "version")}


def find_note(session: Session, *, principal: Principal, customer_id: uuid.UUID, note_id: uuid.UUID):
    return session.execute(_notes().where(Note.id == note_id, Note.customer_id == customer_id,
                                          visible_notes(principal))).first()


def list_customer_notes(session: Session, *, principal: Principal, customer_id: uuid.UUID, page: int,
                        per_page: int, q: str = "") -> dict:
    """The customer's notes the caller may see, newest first; with ``q`` those holding every word
    typed (text, location, next treatment; case and accents ignored, partial words)."""
    query = _notes().where(Note.customer_id == customer_id, visible_notes(principal))
    if q:
        query = query.where(matches(Note.search_text, q))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Note.created_at.desc(), Note.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [note_dict(row) for row in rows], "total": total, "page": page, "per_page": per_page}


def list_note_deletions(session: Session, *, customer_id: uuid.UUID, page: int, per_page: int) -> dict:
    """Deleted notes of the customer, latest deletion first (who deleted, when, the note as it was)."""
    deleters = directory_users.alias("deleters")
    where = NoteDeletion.customer_id == customer_id
    total = session.scalar(select(func.count()).select_from(NoteDeletion).where(where))
    rows = session.execute(
        select(NoteDeletion, authors.c.full_name.label("author_name"), deleters.c.full_name.label("deleted_by_name"))
        .outerjoin(authors, authors.c.id == NoteDeletion.author_id)
        .outerjoin(deleters, deleters.c.id == NoteDeletion.deleted_by)
        .where(where).order_by(NoteDeletion.deleted_at.desc(), NoteDeletion.id)
        .offset((page - 1) * per_page).limit(per_page)).all()
    items = [{"note_id": d.note_id, "text": d.text, "location": d.location, "next_treatment": d.next_treatment,
              "author_id": d.author_id, "author_name": author_name, "written_at": d.written_at,
              "deleted_by": d.deleted_by, "deleted_by_name": deleted_by_name, "deleted_at": d.deleted_at}
             for d, author_name, deleted_by_name in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


# -- the notes report (seed 001: "Notas Específicas por Cliente") --------------------------------
@dataclass(frozen=True)
class ReportFilters:
    """What the report asks for; dates are whole days in ``tz``."""

    customer_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    author_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    tz: str = "UTC"
    last_three: bool = False
    group_by: str | None = None
    q: str = ""


def report_query(principal: Principal, filters: ReportFilters) -> Select:
    """One SELECT of the report's rows in their order: by department first when grouping, newest first.
    "Last three per customer" ranks each customer's visible, filtered notes and keeps the top three."""
    query = _notes().where(visible_notes(principal))
    zone = ZoneInfo(filters.tz)
    if filters.customer_id:
        query = query.where(Note.customer_id == filters.customer_id)
    if filters.branch_id:
        query = query.where(note_branch == filters.branch_id)
    if filters.department_id:
        query = query.where(note_department == filters.department_id)
    if filters.author_id:
        query = query.where(Note.author_id == filters.author_id)
    if filters.q:
        query = query.where(matches(Note.search_text, filters.q))
    if filters.date_from:
        query = query.where(Note.created_at >= datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        query = query.where(Note.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min, zone))
    if filters.last_three:
        rank = func.row_number().over(partition_by=Note.customer_id, order_by=(Note.created_at.desc(), Note.id))
        ranked = query.add_columns(rank.label("rank")).subquery("ranked")
        query = select(*(ranked.c[column.key] for column in query.selected_columns)).where(ranked.c.rank <= 3)
        columns = ranked.c
    else:
        columns = query.selected_columns
    order = [columns.created_at.desc(), columns.id]
    if filters.group_by == "department":
        order.insert(0, columns.department_id)
    return query.order_by(*order)


def notes_report(session: Session, *, principal: Principal, filters: ReportFilters, page: int,
                 per_page: int) -> dict:
    """A page of the report; grouped by department, also every department's count over all pages
    and this page's rows under their department."""
    query = report_query(principal, filters)
    everything = query.order_by(None).subquery("report")
    total = session.scalar(select(func.count()).select_from(everything))
    rows = [note_dict(row) for row in session.execute(query.offset((page - 1) * per_page).limit(per_page))]
    answer = {"items": rows, "total": total, "page": page, "per_page": per_page}
    if filters.group_by == "department":
        counts = session.execute(select(everything.c.department_id, func.count().label("notes"))
                                 .group_by(everything.c.department_id)
                                 .order_by(everything.c.department_id)).all()
        answer["groups"] = [{"department_id": department_id, "notes": notes,
                             "items": [row for row in rows if row["department_id"] == department_id]}
                            for department_id, notes in counts]
    return answer


def stream_report(connection: Connection, *, principal: Principal, filters: ReportFilters,
                  batch: int = 2000) -> Iterator:
    """Every row of the report through a server-side cursor on PostgreSQL (``batch`` rows in memory
    at a time), for the export."""
    result = connection.execution_options(yield_per=batch).execute(report_query(principal, filters))
    try:
        yield from result
    finally:
        result.close()
