"""Notes endpoints under /api/v1/customers: a card's notes, their deletion history, the notes report
and its .xlsx export."""
from __future__ import annotations

import uuid

from flask import Response, request, stream_with_context
from marshmallow import RAISE
from sqlalchemy import select

from services.customers.models import Customer
from services.customers.notes import queries, use_cases
from services.customers.notes.errors import NoteNotFound
from services.customers.notes.export import LANGUAGES, xlsx_chunks
from services.customers.notes.schemas import (
    NoteCreateSchema, NoteDeletionPageSchema, NoteListQuerySchema, NotePageSchema, NoteSchema, NotesReportSchema,
    PageQuerySchema, ReportFilterSchema, ReportQuerySchema,
)
from services.customers.repository import get_customer, visible_customers
from services.kit.app import current_principal, new_uow, service_context
from services.kit.auth import COMPANY, Principal
from services.kit.http import expected_version, install_id_converter, with_etag
from services.kit.input import Blueprint
from services.kit.problems import Forbidden, InvalidFields

blp = Blueprint("notes", __name__, url_prefix="/api/v1/customers", description="Notes on customers and the notes report")
install_id_converter(blp)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _session():
    return service_context().database.session()


def _note(customer_id: uuid.UUID, note_id: uuid.UUID) -> dict:
    with _session() as session:
        principal = current_principal()
        get_customer(session, principal=principal, customer_id=customer_id, card=False)
        row = queries.find_note(session, principal=principal, customer_id=customer_id, note_id=note_id)
        if row is None:
            raise NoteNotFound(f"The customer has no note {note_id} you can see.")
        return queries.note_dict(row)


@blp.post("/<id:customer_id>/notes")
@blp.arguments(NoteCreateSchema, example={"text": "Called about roaming charges; explained the plan.", "location": "Call centre",
                                             "next_treatment": "Call back after the next invoice."})
@blp.response(201, NoteSchema)
def write_note(data, customer_id: uuid.UUID):
    """Write a note on a customer you reach; you need a department (seed 001)."""
    note, written = use_cases.write_note(new_uow(), principal=current_principal(), customer_id=customer_id, data=data)
    return with_etag(written, note.version, 201)


@blp.get("/<id:customer_id>/notes")
@blp.arguments(NoteListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, NotePageSchema)
def list_notes(args, customer_id: uuid.UUID):
    """The customer's notes your level shows (by the authors' current branch and department), newest first;
    ``q`` keeps those holding every word typed (case and accents ignored, partial words)."""
    with _session() as session:
        principal = current_principal()
        get_customer(session, principal=principal, customer_id=customer_id)
        return queries.list_customer_notes(session, principal=principal, customer_id=customer_id, **args)


@blp.get("/<id:customer_id>/notes/<id:note_id>")
@blp.response(200, NoteSchema)
def get_note(customer_id: uuid.UUID, note_id: uuid.UUID):
    """One note of the card; the ETag is its version."""
    note = _note(customer_id, note_id)
    return with_etag(note, note["version"])


@blp.delete("/<id:customer_id>/notes/<id:note_id>")
@blp.response(204)
def delete_note(customer_id: uuid.UUID, note_id: uuid.UUID):
    """Level 1 with delete_notes only (If-Match: the note's ETag); the note goes to the deletion history."""
    use_cases.delete_note(new_uow(), principal=current_principal(), customer_id=customer_id, note_id=note_id,
                          expected_version=expected_version())
    return Response(status=204)


@blp.get("/<id:customer_id>/note-deletions")
@blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, NoteDeletionPageSchema)
def list_note_deletions(args, customer_id: uuid.UUID):
    """Deleted notes of the customer (who deleted them, when, their text); level 1 only."""
    principal = current_principal()
    if principal.level != COMPANY:
        raise Forbidden("Only level 1 reads the history of deleted notes.")
    with _session() as session:
        get_customer(session, principal=principal, customer_id=customer_id)
        return queries.list_note_deletions(session, customer_id=customer_id, **args)


def _filters(args: dict, principal: Principal) -> queries.ReportFilters:
    """The report's filters; a customer is resolved in the caller's reach like any reference."""
    if args.get("customer_id"):
        with _session() as session:
            if session.scalar(select(Customer.id).where(Customer.id == args["customer_id"],
                                                        visible_customers(principal))) is None:
                raise InvalidFields({"customer_id": ["No customer you reach has this id."]})
    return queries.ReportFilters(**{key: args[key] for key in queries.ReportFilters.__dataclass_fields__})


@blp.get("/notes-report")
@blp.arguments(ReportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, NotesReportSchema)
def notes_report(args):
    """Seed 001's notes report within your level: filter by customer, branch, department, author and
    date range (``from``/``to``, whole days in ``tz``); ``last_three`` keeps each customer's last
    three notes; ``group_by=department`` orders by department and adds each one's count. Paged."""
    principal = current_principal()
    filters = _filters(args, principal)
    with _session() as session:
        return queries.notes_report(session, principal=principal, filters=filters, page=args["page"],
                                    per_page=args["per_page"])


@blp.get("/notes-report.xlsx")
@blp.arguments(ReportFilterSchema, location="query", unknown=RAISE)
@blp.response(200, description="The whole report as an Excel workbook (header in the Accept-Language)",
              content_type=XLSX)
def export_notes_report(args):
    """The notes report (same filters, no paging) as .xlsx, sent while it is written: rows from a
    server-side cursor straight into the sheet, in constant memory; the header row in your language
    (Accept-Language: es, en, ru, vi); dates as real date cells in ``tz``."""
    principal = current_principal()
    filters = _filters(args, principal)
    language = request.accept_languages.best_match(LANGUAGES) or "en"
    context = service_context()

    def chunks():
        with context.database.engine.connect() as connection:
            rows = queries.stream_report(connection, principal=principal, filters=filters)
            yield from xlsx_chunks(rows, language=language, tz=filters.tz)

    return Response(stream_with_context(chunks()), mimetype=XLSX, headers={
        "Content-Disposition": 'attachment; filename="notes-report.xlsx"', "Content-Language": language})
