"""Request and response shapes of attachments and the attachment-type catalogue."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates

from services.kit.input import text_problem
from services.kit.schemas import PageQuerySchema, page_of


class AttachmentFormSchema(Schema):
    """The form fields beside the file (multipart/form-data)."""

    type_id = fields.UUID(required=True, metadata={"description": "A type of the catalogue that may be chosen."})
    interaction_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "One of the customer's interactions; absent: the file goes on the customer account."})
    description = fields.String(load_default="", validate=validate.Length(max=500))

    @validates("description")
    def _plain(self, value: str, **_kwargs) -> None:
        if problem := text_problem(value, multiline=False):
            raise ValidationError(problem)


class AttachmentFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, PNG, JPEG, TIFF, .docx, .xlsx or UTF-8 text."})


class AttachmentSchema(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    interaction_id = fields.UUID(allow_none=True)
    type_id = fields.UUID()
    type_name = fields.String()
    filename = fields.String()
    description = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.UUID()
    uploaded_at = fields.AwareDateTime()


AttachmentPageSchema = page_of(AttachmentSchema, "AttachmentPage")


class AttachmentQuerySchema(PageQuerySchema):
    interaction_id = fields.UUID(metadata={"description": "Only the files of this interaction."})
    on_account = fields.Boolean(metadata={"description": "true: only the files kept on the customer account."})


class AttachmentTypeCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class AttachmentTypeUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    is_retired = fields.Boolean()


class AttachmentTypeSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    is_selectable = fields.Boolean()
    is_system = fields.Boolean()
    is_retired = fields.Boolean()
    version = fields.Integer(dump_only=True, metadata={"description": "Send it as If-Match to change the type"})


AttachmentTypeListSchema = page_of(AttachmentTypeSchema, "AttachmentTypeListSchema")
