"""Attachment endpoints under /api/v1/customers: upload (multipart) to the customer account or one of
its interactions, list, metadata, streamed download; and the attachment-type catalogue."""
from __future__ import annotations

import uuid
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context
from marshmallow import RAISE

from services.customers.api import install_id_converter
from services.customers.attachments import queries, use_cases
from services.customers.attachments.models import AttachmentType
from services.customers.attachments.schemas import (
    AttachmentFileSchema, AttachmentFormSchema, AttachmentPageSchema, AttachmentQuerySchema, AttachmentSchema,
    AttachmentTypeCreateSchema, AttachmentTypeListSchema, AttachmentTypeSchema, AttachmentTypeUpdateSchema,
)
from services.customers.attachments.storage import AttachmentStore, LocalDirectoryStore
from services.customers.repository import get_customer
from services.customers.settings import CustomersSettings
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/customers",
                description="Attachments on a customer account or an interaction, and the attachment types")
install_id_converter(blp)

STORE = "customers.attachment_store"
FORM_ALLOWANCE = 64 * 1024  # the multipart framing and form fields around the file


def _settings() -> CustomersSettings:
    return current_app.extensions.get("customers", CustomersSettings())


def store() -> AttachmentStore:
    """The app's attachment store (tests and deployments may put another in app.extensions)."""
    if STORE not in current_app.extensions:
        current_app.extensions[STORE] = LocalDirectoryStore(_settings().attachments_dir)
    return current_app.extensions[STORE]


@blp.before_request
def _allow_files() -> None:
    # the app's 2 MiB body cap is for JSON; an upload may carry a file up to the attachment limit
    if request.endpoint == "attachments.upload_attachment":
        request.max_content_length = _settings().attachment_max_bytes + FORM_ALLOWANCE


def _dump(session, attachment) -> dict:
    return queries.attachment_dict(attachment, session.get(AttachmentType, attachment.type_id).name)


@blp.post("/<id:customer_id>/attachments")
@blp.arguments(AttachmentFormSchema, location="form")
@blp.arguments(AttachmentFileSchema, location="files", example={
    "file": "(the bytes of contract.pdf)", "type_id": "7c4d2e9a-1b3f-4a5c-8e6d-2f0a9b8c7d6e",
    "description": "Contract signed at the Medellín office"})
@blp.response(201, AttachmentSchema)
@blp.alt_response(413, description="The file is larger than CAREDESK_CUSTOMERS_ATTACHMENT_MAX_BYTES")
def upload_attachment(form, files, customer_id: uuid.UUID):
    """Upload a file (multipart/form-data: ``file``, ``type_id``, optional ``interaction_id`` and
    ``description``) to the customer account or one of its interactions. Size and type are checked on
    the bytes (PDF, PNG, JPEG, TIFF, .docx, .xlsx, UTF-8 text); its SHA-256 is kept."""
    upload = files["file"]
    attachment = use_cases.upload_attachment(
        new_uow(), store(), principal=current_principal(), customer_id=customer_id, data=form, stream=upload.stream,
        filename=upload.filename, max_bytes=_settings().attachment_max_bytes)
    with service_context().database.session() as session:
        return _dump(session, attachment), 201


@blp.get("/<id:customer_id>/attachments")
@blp.arguments(AttachmentQuerySchema, location="query", unknown=RAISE)
@blp.response(200, AttachmentPageSchema)
def list_attachments(args, customer_id: uuid.UUID):
    """The card's files you may see, newest first; by interaction, or only those on the account."""
    with service_context().database.session() as session:
        principal = current_principal()
        customer = get_customer(session, principal=principal, customer_id=customer_id, card=False)
        return queries.list_attachments(session, principal=principal, customer=customer, **args)


@blp.get("/<id:customer_id>/attachments/<id:attachment_id>")
@blp.response(200, AttachmentSchema)
def get_attachment(customer_id: uuid.UUID, attachment_id: uuid.UUID):
    """One file's description: name, type, size, SHA-256, who uploaded it and when (the bytes are at
    /content)."""
    with service_context().database.session() as session:
        _customer, attachment = use_cases.get_attachment(session, principal=current_principal(),
                                                         customer_id=customer_id, attachment_id=attachment_id)
        return _dump(session, attachment)


@blp.get("/<id:customer_id>/attachments/<id:attachment_id>/content")
@blp.response(200, description="The file's bytes, streamed, with its sniffed content type")
def download_attachment(customer_id: uuid.UUID, attachment_id: uuid.UUID):
    """The file itself, streamed in chunks as stored (``ETag`` = its SHA-256)."""
    with service_context().database.session() as session:
        _customer, attachment = use_cases.get_attachment(session, principal=current_principal(),
                                                         customer_id=customer_id, attachment_id=attachment_id)
    stream = store().open(attachment.storage_key)

    def chunks():
        with stream:
            while chunk := stream.read(use_cases.CHUNK):
                yield chunk

    fallback = attachment.filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return Response(stream_with_context(chunks()), mimetype=attachment.content_type, direct_passthrough=True, headers={
        "Content-Length": str(attachment.size_bytes), "ETag": f'"{attachment.sha256}"',
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


# -- the catalogue ----------------------------------------------------------------------------
@blp.get("/attachment-types")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, AttachmentTypeListSchema)
def list_attachment_types(args):
    """Every attachment type, by name; "Not in CRM" is listed but cannot be chosen (``is_selectable: false``)."""
    with service_context().database.session() as session:
        return queries.list_types(session, **args)


@blp.post("/attachment-types")
@blp.arguments(AttachmentTypeCreateSchema, example={"name": "Signed contract"})
@blp.response(201, AttachmentTypeSchema)
def add_attachment_type(data):
    """A new attachment type (level 1)."""
    return queries.type_dict(use_cases.add_attachment_type(new_uow(), principal=current_principal(), data=data))


@blp.patch("/attachment-types/<id:type_id>")
@blp.arguments(AttachmentTypeUpdateSchema, example={"name": "Contract (signed)"})
@blp.response(200, AttachmentTypeSchema)
def change_attachment_type(data, type_id: uuid.UUID):
    """Rename, retire or bring back an attachment type (If-Match: its version; level 1); "Not in
    CRM" does not change."""
    kind = use_cases.change_attachment_type(new_uow(), principal=current_principal(), type_id=type_id, data=data,
                                            expected_version=expected_version())
    return with_etag(queries.type_dict(kind), kind.version)
