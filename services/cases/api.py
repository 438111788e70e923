"""Case endpoints under /api/v1/cases: create and save, the state actions, take next, the personal
folder, search, timeline, comments and tasks. Thin: each view reads the request, calls one use case,
dumps the result with the ETag.

Actions take an optional ``If-Match``: when sent, a case changed since is refused (412); a save
(PATCH) requires it (428 without)."""
from __future__ import annotations

import uuid

from flask import Response, request, stream_with_context

from services.cases import export, queries, use_cases
from services.cases.models import Case, CaseTask
from services.cases.repository import read_case
from services.cases.schemas import (
    AssignSchema, CaseCreateSchema, CaseExportQuerySchema, CasePageSchema, CaseSaveSchema, CaseSchema, CaseSearchQuerySchema, CloseSchema,
    CommentCreateSchema, CommentSchema, FolderPageSchema, FolderQuerySchema, PriorityChangeSchema, RejectSchema, ReopenSchema,
    CommentPageSchema, TakeNextSchema, TaskChangeSchema, TaskCreateSchema, TaskPageSchema, TaskSchema,
    TimelineEntryPageSchema,
)
from services.cases.surveys import survey_answer
from services.kit.app import (
    current_principal, new_uow, service_context, single_statement_read, single_statement_session,
)
from services.kit.http import expected_version, install_id_converter, optional_expected_version, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema
from services.kit.xlsx import XLSX

cases = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                  description="Cases: the four states, take next, folder, search, timeline, comments, tasks")
install_id_converter(cases)


def _present(case: Case):
    """The case with what the caller may do now, and its ETag."""
    case.caller_allowed_actions = case.allowed_actions(use_cases.roles_of(case, current_principal()))
    return with_etag(case, case.version)


@cases.post("")
@cases.arguments(CaseCreateSchema, example={"customer_code": "C-100234", "subject": "Roaming billed while at home",
                                                 "description": "October invoice bills 3 days of roaming.", "priority": "normal"})
@cases.response(201, CaseSchema)
def create_case(data):
    """Save a new case (Open, owner = you); the form may still be incomplete."""
    case = use_cases.create_case(new_uow(), principal=current_principal(), data=data)
    case, _, headers = _present(case)
    return case, 201, headers


@cases.get("")
@cases.arguments(CaseSearchQuerySchema, location="query")
@cases.response(200, CasePageSchema)
def search_cases(args):
    """Search every case you reach, closed ones included."""
    with service_context().database.session() as session:
        return queries.search_cases(session, principal=current_principal(), **args)


@cases.get("/search.xlsx")
@cases.arguments(CaseExportQuerySchema, location="query")
@cases.response(200, description="The whole search as an Excel workbook (header in the Accept-Language)",
                content_type=XLSX)
def export_search(args):
    """The case search (same filters, no paging) as .xlsx, sent while it is written: rows from a
    server-side cursor straight into the sheet, in constant memory; the header row, statuses and
    priorities in your language (Accept-Language: es, en, ru, vi); dates as real date cells in ``tz``."""
    principal = current_principal()
    language = request.accept_languages.best_match(export.LANGUAGES) or "en"
    context = service_context()
    tz = args.pop("tz")

    def chunks():
        with context.database.engine.connect() as connection:
            yield from export.xlsx_chunks(queries.stream_search(connection, principal=principal, **args),
                                          language=language, tz=tz)

    return Response(stream_with_context(chunks()), mimetype=XLSX, headers={
        "Content-Disposition": 'attachment; filename="cases.xlsx"', "Content-Language": language})


@cases.get("/folder")
@cases.arguments(FolderQuerySchema, location="query")
@cases.response(200, FolderPageSchema)
def personal_folder(args):
    """Your folder: cases you own, created, had returned, or that wait in a queue."""
    with service_context().database.session() as session:
        return queries.list_folder(session, principal=current_principal(), **args)


@cases.post("/take-next")
@cases.arguments(TakeNextSchema, example={"queue": "billing"})
@cases.response(200, CaseSchema)
@cases.alt_response(204, description="Nothing waits in your queues.")
def take_next(data):
    """Take the highest-priority, then oldest, case waiting in your queues; it is assigned to you."""
    case = use_cases.take_next_case(new_uow(), principal=current_principal(), queue_code=data["queue"])
    if case is None:
        return Response(status=204)
    return _present(case)


@cases.get("/<id:case_id>")
@cases.response(200, CaseSchema)
@single_statement_read
def get_case(case_id: uuid.UUID):
    """One case within your reach with its form, state, queue, owner, SLA and allowed actions; the ETag is its
    version."""
    with single_statement_session() as session:  # one round trip with the token check
        case, survey = read_case(session, principal=current_principal(), case_id=case_id)
    case.survey = survey_answer(survey)
    return _present(case)


@cases.patch("/<id:case_id>")
@cases.arguments(CaseSaveSchema, example={"subject": "Roaming billed while at home", "priority": "high",
                                               "description": "October and November invoices bill 3 days of roaming each."})
@cases.response(200, CaseSchema)
def save_case(data, case_id: uuid.UUID):
    """Save changes (Open or Open-Reject, by the owner; If-Match required)."""
    version = expected_version()
    case = use_cases.save_case(new_uow(), principal=current_principal(), case_id=case_id,
                               expected_version=version, data=data)
    return _present(case)


def _action(use_case, case_id: uuid.UUID, **arguments):
    version = optional_expected_version()
    case = use_case(new_uow(), principal=current_principal(), case_id=case_id, expected_version=version, **arguments)
    return _present(case)


@cases.post("/<id:case_id>/dispatch")
@cases.response(200, CaseSchema)
def dispatch_case(case_id: uuid.UUID):
    """Send to the queue (Open Dispatch); 422 with missing_fields while the form is incomplete."""
    return _action(use_cases.dispatch_case, case_id)


@cases.post("/<id:case_id>/cancel")
@cases.response(200, CaseSchema)
def cancel_case(case_id: uuid.UUID):
    """Cancel a draft that was never dispatched."""
    return _action(use_cases.cancel_case, case_id)


@cases.post("/<id:case_id>/take")
@cases.response(200, CaseSchema)
def take_case(case_id: uuid.UUID):
    """Take this case, waiting in a queue you are a member of; it is assigned to you (409 when
    someone took it first or it no longer waits)."""
    return _action(use_cases.take_case, case_id)


@cases.post("/<id:case_id>/assign")
@cases.arguments(AssignSchema, example={"assignee_id": "2f1c6c2e-6a39-4c8e-9f55-0b7c8a1d2e31"})
@cases.response(200, CaseSchema)
def assign_case(data, case_id: uuid.UUID):
    """The supervisor assigns the case to a member of its queue."""
    return _action(use_cases.assign_case, case_id, assignee_id=data["assignee_id"])


@cases.post("/<id:case_id>/priority")
@cases.arguments(PriorityChangeSchema, example={"priority": "urgent"})
@cases.response(200, CaseSchema)
def change_priority(data, case_id: uuid.UUID):
    """The queue's supervisor changes the priority of a case waiting in the queue or in work (409
    otherwise); take-next orders by it and the new priority's SLA targets apply."""
    return _action(use_cases.change_priority, case_id, priority=data["priority"])


@cases.post("/<id:case_id>/accept")
@cases.response(200, CaseSchema)
def accept_case(case_id: uuid.UUID):
    """Accept a case assigned to you (Open, owner = you)."""
    return _action(use_cases.accept_case, case_id)


@cases.post("/<id:case_id>/reject")
@cases.arguments(RejectSchema, example={"reason": "Belongs to technical support, not billing."})
@cases.response(200, CaseSchema)
def reject_case(data, case_id: uuid.UUID):
    """Return the case to its initiator with a reason (Open-Reject)."""
    return _action(use_cases.reject_case, case_id, reason=data["reason"])


@cases.post("/<id:case_id>/close")
@cases.arguments(CloseSchema, example={"resolution": "Roaming charges credited on the next invoice."})
@cases.response(200, CaseSchema)
def close_case(data, case_id: uuid.UUID):
    """Close with a resolution."""
    return _action(use_cases.close_case, case_id, resolution=data["resolution"])


@cases.post("/<id:case_id>/reopen")
@cases.arguments(ReopenSchema, example={"reason": "The credit did not appear on the invoice."})
@cases.response(200, CaseSchema)
def reopen_case(data, case_id: uuid.UUID):
    """Reopen a closed case."""
    return _action(use_cases.reopen_case, case_id, reason=data["reason"])


@cases.get("/<id:case_id>/timeline")
@cases.arguments(PageQuerySchema, location="query")
@cases.response(200, TimelineEntryPageSchema)
def case_timeline(args, case_id: uuid.UUID):
    """Every action on the case, with its actor and time, oldest first."""
    with service_context().database.session() as session:
        return queries.case_timeline(session, principal=current_principal(), case_id=case_id, **args)


@cases.get("/<id:case_id>/comments")
@cases.arguments(PageQuerySchema, location="query")
@cases.response(200, CommentPageSchema)
def list_comments(args, case_id: uuid.UUID):
    """The case's comments, oldest first."""
    with service_context().database.session() as session:
        return queries.case_comments(session, principal=current_principal(), case_id=case_id, **args)


@cases.post("/<id:case_id>/comments")
@cases.arguments(CommentCreateSchema, example={"body": "Customer confirmed by phone that the credit is fine."})
@cases.response(201, CommentSchema)
def add_comment(data, case_id: uuid.UUID):
    """Comment on a case (recorded on its timeline)."""
    return use_cases.comment_case(new_uow(), principal=current_principal(), case_id=case_id, body=data["body"])


@cases.get("/<id:case_id>/tasks")
@cases.arguments(PageQuerySchema, location="query")
@cases.response(200, TaskPageSchema)
def list_tasks(args, case_id: uuid.UUID):
    """The case's tasks with their assignee, due date and state."""
    with service_context().database.session() as session:
        return queries.case_tasks(session, principal=current_principal(), case_id=case_id, **args)


def _task_response(task: CaseTask, status: int = 200):
    return with_etag(task, task.version, status)


@cases.post("/<id:case_id>/tasks")
@cases.arguments(TaskCreateSchema, example={"title": "Issue the credit note", "due_at": "2026-12-05T17:00:00Z"})
@cases.response(201, TaskSchema)
def add_task(data, case_id: uuid.UUID):
    """A task inside the case, optionally blocked by another task of the case."""
    task = use_cases.add_task(new_uow(), principal=current_principal(), case_id=case_id, data=data)
    return _task_response(task, 201)


@cases.patch("/<id:case_id>/tasks/<id:task_id>")
@cases.arguments(TaskChangeSchema, example={"assignee_id": "2f1c6c2e-6a39-4c8e-9f55-0b7c8a1d2e31", "due_at": "2026-12-08T17:00:00Z"})
@cases.response(200, TaskSchema)
def change_task(data, case_id: uuid.UUID, task_id: uuid.UUID):
    """Change a task of the case: title, assignee, due date (If-Match optional; a stale one is refused)."""
    version = optional_expected_version()
    task = use_cases.change_task(new_uow(), principal=current_principal(), case_id=case_id, task_id=task_id,
                                 data=data, expected_version=version)
    return _task_response(task)


@cases.post("/<id:case_id>/tasks/<id:task_id>/complete")
@cases.response(200, TaskSchema)
def complete_task(case_id: uuid.UUID, task_id: uuid.UUID):
    """Mark the task done; 409 while the task blocking it is not done."""
    task = use_cases.complete_task(new_uow(), principal=current_principal(), case_id=case_id, task_id=task_id)
    return _task_response(task)
