"""Request and response shapes of notes and the notes report."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.kit.input import MULTILINE
from services.kit.schemas import PageQuerySchema, page_of


class NoteCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                         metadata={"description": "Seed 001's \"nota específica\": the call or action", **MULTILINE})
    location = fields.String(load_default="", validate=validate.Length(max=200),
                             metadata={"description": "Physical location: office, customer's home…"})
    next_treatment = fields.String(load_default="", validate=validate.Length(max=1000),
                                   metadata={"description": "What to do next (informative)", **MULTILINE})

    @validates("text")
    def _not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Write the note.")


class ReportFilterSchema(Schema):
    """Seed 001's filters: customer, branch, department, author ("recurso humano"), date range."""

    customer_id = fields.UUID(load_default=None)
    branch_id = fields.UUID(load_default=None)
    department_id = fields.UUID(load_default=None)
    author_id = fields.UUID(load_default=None)
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)
    tz = fields.String(load_default="UTC", validate=validate.Length(max=64),
                       metadata={"description": "IANA zone of the dates (filter and export cells)"})
    last_three = fields.Boolean(load_default=False, metadata={"description": "Only each customer's last three notes"})
    group_by = fields.String(load_default=None, validate=validate.OneOf(("department",)))
    q = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "Words in the note's text, location or next treatment: case and accents ignored, every word "
                       "must occur, partial words match (\"jose pere\" finds José Pérez).", "example": "roaming"})

    @validates("tz")
    def _zone(self, value: str, **_kwargs) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("Use an IANA time zone such as America/Bogota or Asia/Ho_Chi_Minh.") from None

    @validates_schema
    def _range(self, data: dict, **_kwargs) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError({"to": ["The range ends before it starts."]})


class ReportQuerySchema(ReportFilterSchema, PageQuerySchema):
    pass


class NoteSchema(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    customer_code = fields.String()
    customer_name = fields.String()
    created_at = fields.AwareDateTime()
    author_id = fields.UUID()
    author_name = fields.String(allow_none=True)
    branch_id = fields.UUID(allow_none=True, metadata={"description": "The author's current branch"})
    department_id = fields.UUID(allow_none=True, metadata={"description": "The author's current department"})
    text = fields.String()
    location = fields.String()
    next_treatment = fields.String()
    version = fields.Integer(metadata={"description": "Send it as If-Match to delete the note"})


NotePageSchema = page_of(NoteSchema, "NotePage")


class DepartmentGroupSchema(Schema):
    department_id = fields.UUID(allow_none=True)
    notes = fields.Integer(metadata={"description": "Notes of this department over the whole report"})
    items = fields.List(fields.Nested(NoteSchema), metadata={"description": "This page's notes of the department"})


class NotesReportSchema(NotePageSchema):
    groups = fields.List(fields.Nested(DepartmentGroupSchema),
                         metadata={"description": "Only with group_by=department"})


class NoteDeletionSchema(Schema):
    note_id = fields.UUID()
    text = fields.String()
    location = fields.String()
    next_treatment = fields.String()
    author_id = fields.UUID()
    author_name = fields.String(allow_none=True)
    written_at = fields.AwareDateTime()
    deleted_by = fields.UUID()
    deleted_by_name = fields.String(allow_none=True)
    deleted_at = fields.AwareDateTime()


NoteDeletionPageSchema = page_of(NoteDeletionSchema, "NoteDeletionPage")


class NoteListQuerySchema(PageQuerySchema):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata=ReportFilterSchema().fields["q"].metadata)
