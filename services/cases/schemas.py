"""Request and response shapes of the cases API."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.cases import clock
from services.cases.models import PRIORITIES, STATUSES
from services.cases.queues.schemas import CODE, QueueRefSchema, QueueSchema
from services.kit.input import MULTILINE
from services.kit import schemas as kit_schemas
from services.kit.schemas import page_of

LINE = validate.Regexp(r"^\+?[0-9]{3,20}$", error="A line number: digits with an optional leading '+'.")
SORTS = ("priority", "-priority", "age", "-age", "number", "-number")
FOLDER_BOXES = ("owned", "created", "returned", "waiting")


class CaseAttachmentSchema(Schema):
    """A file of the customer the case carries by reference; its bytes come from the customers API
    (``download_path``), within the reader's reach there."""

    id = fields.UUID()
    name = fields.String()
    type = fields.String(metadata={"description": "the attachment type's name"})
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    interaction_id = fields.UUID(allow_none=True, metadata={"description": "null: a paper on the customer account"})
    download_path = fields.String(metadata={"description": "GET it through the gateway for the file's bytes"})


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Name each file once.")


ATTACHMENT_IDS = {"validate": [validate.Length(max=100), _distinct], "metadata": {
    "description": "Files (customers API attachment ids) of the customer's account or of the case's interaction: "
                   "the interaction's attachments travel with the case."}}


class CaseCreateSchema(Schema):
    class Meta:
        description = "Give customer_id or customer_code (one of them is required)."
        openapi = {"anyOf": [{"required": ["customer_id"], "properties": {"customer_id": {"type": "string"}}},
                             {"required": ["customer_code"], "properties": {"customer_code": {"type": "string"}}}]}

    customer_id = fields.UUID(load_default=None, allow_none=True)
    customer_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                                  metadata={"description": "Instead of customer_id; \"0\" is the prospect."})
    type = fields.String(load_default=None, allow_none=True, validate=CODE,
                         metadata={"description": "Code of the case type: routes, sets priority and form."})
    queue = fields.String(load_default=None, allow_none=True, validate=CODE,
                          metadata={"description": "Code of a queue chosen by hand (else the type's routing)."})
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000), metadata=MULTILINE)
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    line = fields.String(load_default=None, allow_none=True, validate=LINE)
    interaction_id = fields.UUID(load_default=None, allow_none=True)
    attachment_ids = fields.List(fields.UUID(), load_default=list, **ATTACHMENT_IDS)
    custom_fields = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_schema
    def _who_and_where(self, data, **_kwargs):
        if data.get("customer_id") is None and data.get("customer_code") is None:
            raise ValidationError("Give customer_id or customer_code.", "customer_id")


class CaseSaveSchema(Schema):
    subject = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000), metadata=MULTILINE)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    type = fields.String(allow_none=True, validate=CODE)
    queue = fields.String(allow_none=True, validate=CODE,
                          metadata={"description": "A queue by hand; null routes by the type again."})
    line = fields.String(allow_none=True, validate=LINE)
    interaction_id = fields.UUID(allow_none=True)
    attachment_ids = fields.List(fields.UUID(), **ATTACHMENT_IDS)
    custom_fields = fields.Dict(keys=fields.String(), metadata={"description": "Merged into the saved values."})


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), metadata=MULTILINE)


class CloseSchema(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=4000), metadata=MULTILINE)


class ReopenSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000), metadata=MULTILINE)


class AssignSchema(Schema):
    assignee_id = fields.UUID(required=True)


class PriorityChangeSchema(Schema):
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))


class TakeNextSchema(Schema):
    queue = fields.String(load_default=None, allow_none=True, validate=CODE,
                          metadata={"description": "Only this queue (default: every queue you are a member of)."})


class CaseTypeRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()


def _customer(case) -> dict:
    return {"id": str(case.customer_id), "code": case.customer_code, "name": case.customer_name}


def _iso(value):
    return value.isoformat() if value is not None else None


def _minutes(seconds):
    return None if seconds is None else seconds / 60


def _sla(case) -> dict:
    def target(kind: str) -> dict:
        return {
            "target_minutes": _minutes(getattr(case, f"{kind}_target_seconds")),
            "warning_at": _iso(getattr(case, f"{kind}_warning_at")),
            "due_at": _iso(getattr(case, f"{kind}_due_at")),
            "warned_at": _iso(getattr(case, f"{kind}_warned_at")),
            "breached_at": _iso(getattr(case, f"{kind}_breached_at")),
            "met": getattr(case, f"{kind}_met"),
        }

    return {"started_at": _iso(case.sla_started_at), "paused": case.sla_paused_at is not None,
            "paused_since": _iso(case.sla_paused_at), "paused_business_seconds": case.sla_paused_seconds or 0.0,
            "acceptance": target("acceptance"), "resolution": target("resolution")}


class CaseSummarySchema(Schema):
    """A case in lists (search, folder)."""

    id = fields.UUID()
    number = fields.String()
    subject = fields.String()
    priority = fields.String()
    status = fields.String()
    is_cancelled = fields.Boolean()
    type = fields.Nested(CaseTypeRefSchema, attribute="case_type", allow_none=True)
    queue = fields.Nested(QueueRefSchema)
    customer = fields.Function(_customer, metadata={"description": "Snapshot taken when the case was created."})
    line = fields.String(attribute="line_number", allow_none=True, metadata={"description": "The customer's line."})
    initiator_id = fields.UUID()
    owner_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    dispatched_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    acceptance_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    breached = fields.Function(lambda case: case.acceptance_met is False or case.resolution_met is False,
                               metadata={"type": "boolean", "description": "It missed an SLA target (acceptance or resolution)."})
    age_seconds = fields.Function(lambda case: case.age_seconds(clock.now()))
    queue_age_seconds = fields.Function(lambda case: case.queue_age_seconds(clock.now()),
                                        metadata={"description": "Time spent waiting in queues (seed 004's age)."})
    version = fields.Integer()


class CaseSurveySchema(Schema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime()


class CaseSchema(CaseSummarySchema):
    """A case in full, with what the caller may do with it now."""

    description = fields.String()
    queue = fields.Nested(QueueSchema)
    is_queue_chosen = fields.Boolean()
    survey = fields.Nested(CaseSurveySchema, allow_none=True, metadata={
        "description": "the customer's answer to the satisfaction survey (on reading one case; null: none yet)"})
    interaction_id = fields.UUID(allow_none=True)
    attachments = fields.List(fields.Nested(CaseAttachmentSchema))
    custom_fields = fields.Dict()
    missing_fields = fields.Function(lambda case: case.missing_fields(),
                                     metadata={"description": "Required form fields still empty (red in a UI)."})
    reject_reason = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    assigned_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    returned_at = fields.AwareDateTime(allow_none=True)
    sla = fields.Function(_sla)
    allowed_actions = fields.List(fields.String(), attribute="caller_allowed_actions",
                                  metadata={"description": "Actions the caller may take now."})


class PageQuerySchema(kit_schemas.PageQuerySchema):
    sort = fields.String(load_default="-age", validate=validate.OneOf(SORTS),
                         metadata={"description": "priority (highest first), age (oldest first), number; "
                                                  "'-' reverses."})


class CaseFilterSchema(Schema):
    """The case search's filters; every one given must hold."""

    sort = fields.String(load_default="-age", validate=validate.OneOf(SORTS),
                         metadata={"description": "priority (highest first), age (oldest first), number; "
                                                  "'-' reverses."})
    number = fields.String(validate=validate.Length(min=1, max=20))
    customer_id = fields.UUID()
    customer_code = fields.String(validate=validate.Length(min=1, max=40))
    line = fields.String(validate=LINE)
    type = fields.String(validate=CODE)
    queue = fields.String(validate=CODE)
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    owner_id = fields.UUID()
    initiator_id = fields.UUID()
    priority = fields.List(fields.String(validate=validate.OneOf(PRIORITIES)))
    breached = fields.Boolean(metadata={"description": "true: only cases that missed an SLA target (acceptance or "
                                                       "resolution); false: only cases that missed none."})
    q = fields.String(validate=validate.Length(min=1, max=200),
                      metadata={"description": "Words in the subject, the customer's name or the form's values: "
                                                 "case and accents ignored, every word must occur, "
                                                 "partial words match (\"jose pere\" finds José Pérez)."})
    created_from = fields.AwareDateTime()
    created_to = fields.AwareDateTime()
    dispatched_from = fields.AwareDateTime()
    dispatched_to = fields.AwareDateTime()
    closed_from = fields.AwareDateTime()
    closed_to = fields.AwareDateTime()


class CaseSearchQuerySchema(CaseFilterSchema, PageQuerySchema):
    pass


class CaseExportQuerySchema(CaseFilterSchema):
    tz = fields.String(load_default="UTC", validate=validate.Length(max=64),
                       metadata={"description": "IANA zone of the date cells"})

    @validates("tz")
    def _zone(self, value: str, **_kwargs) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("Use an IANA time zone such as America/Bogota or Asia/Ho_Chi_Minh.") from None


class FolderQuerySchema(PageQuerySchema):
    box = fields.String(load_default="owned", validate=validate.OneOf(FOLDER_BOXES),
                        metadata={"description": "owned: held by me; created: initiated by me; returned: "
                                                 "returned to me (Open-Reject); waiting: mine, waiting in a queue."})


CasePageSchema = page_of(CaseSummarySchema, "CasePageSchema")


class FolderCountsSchema(Schema):
    owned = fields.Integer()
    created = fields.Integer()
    returned = fields.Integer()
    waiting = fields.Integer()


class FolderPageSchema(CasePageSchema):
    box = fields.String()
    counts = fields.Nested(FolderCountsSchema)


class TimelineEntrySchema(Schema):
    at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True, metadata={"description": "null: the system (SLA check)."})
    action = fields.String()
    status_from = fields.String(allow_none=True)
    status_to = fields.String(allow_none=True)
    detail = fields.Dict()


class CommentCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000), metadata=MULTILINE)


class CommentSchema(Schema):
    id = fields.UUID()
    author_id = fields.UUID()
    body = fields.String()
    created_at = fields.AwareDateTime()


class TaskCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    assignee_id = fields.UUID(load_default=None, allow_none=True)
    due_at = fields.AwareDateTime(load_default=None, allow_none=True)
    blocked_by_id = fields.UUID(load_default=None, allow_none=True)


class TaskChangeSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    assignee_id = fields.UUID(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    blocked_by_id = fields.UUID(allow_none=True)


class TaskSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    assignee_id = fields.UUID(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    is_done = fields.Boolean()
    done_at = fields.AwareDateTime(allow_none=True)
    done_by = fields.UUID(allow_none=True)
    blocked_by_id = fields.UUID(allow_none=True)
    is_blocked = fields.Function(lambda task: bool(task.blocked_by and not task.blocked_by.is_done))
    created_by = fields.UUID()
    created_at = fields.AwareDateTime()
    version = fields.Integer()


TimelineEntryPageSchema = page_of(TimelineEntrySchema, "TimelineEntryPage")
CommentPageSchema = page_of(CommentSchema, "CommentPage")
TaskPageSchema = page_of(TaskSchema, "TaskPage")
