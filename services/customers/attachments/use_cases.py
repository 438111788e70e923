"""Attachment actions: upload a file to the customer account or one of its interactions; administer
the attachment types (level 1).

An upload is checked on its bytes while it is read (size, content type, SHA-256), stored under a key
of the service's making, and recorded with an entry in the card's history in one transaction; if
that transaction fails the stored file is removed again.
"""
from __future__ import annotations

import hashlib
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from services.customers.attachments.errors import (
    AttachmentCatalogueAdministratorsOnly, AttachmentNotFound, AttachmentTypeFixed, AttachmentTypeNotFound,
    AttachmentTypeTaken, FileRefused, FileTooLarge,
)
from services.customers.attachments.models import Attachment, AttachmentType
from services.customers.attachments.sniffing import EXTENSIONS, TextCheck, sniff
from services.customers.attachments.storage import AttachmentStore
from services.customers.errors import ProspectReserved
from services.customers.interactions.errors import InteractionNotFound
from services.customers.interactions.repository import get_interaction
from services.customers.models import Change, Customer, FieldErrors, ensure_may_edit_customers
from services.customers.repository import get_customer
from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.input import text_problem
from services.kit.problems import ensure_version
from services.kit.uow import UnitOfWork

CHUNK = 64 * 1024
ACCEPTED_TEXT = ("Only PDF, PNG, JPEG, TIFF, Word (.docx), Excel (.xlsx) and plain UTF-8 text files are accepted "
                 "(told from the file's bytes, not its name).")


@dataclass
class CheckedFile:
    spool: BinaryIO
    size: int
    sha256: str
    content_type: str


def check_file(stream: BinaryIO, *, max_bytes: int) -> CheckedFile:
    """Read the upload once into a temporary file, counting, hashing and sniffing it. Raises
    FileTooLarge (413), FileRefused (422)."""
    spool = tempfile.TemporaryFile()
    digest, size, head, text = hashlib.sha256(), 0, b"", TextCheck()
    try:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(f"The file is larger than {max_bytes} bytes.",
                                   errors={"file": [f"Larger than {max_bytes} bytes."]})
            if len(head) < 8192:
                head += chunk[:8192 - len(head)]
            digest.update(chunk)
            text.feed(chunk)
            spool.write(chunk)
        text.feed(b"", final=True)
        if size == 0:
            raise FileRefused({"file": ["The file is empty."]})
        content_type = sniff(head, whole=spool, text=text)
        if content_type is None:
            raise FileRefused({"file": [ACCEPTED_TEXT]})
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return CheckedFile(spool=spool, size=size, sha256=digest.hexdigest(), content_type=content_type)


def safe_filename(raw: str | None, content_type: str) -> str:
    """The client's file name without any path, hidden or control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    name = "".join(char for char in name if not text_problem(char, multiline=False))
    name = name.lstrip(".")[:255]
    return name or "attachment" + EXTENSIONS[content_type]


def upload_attachment(uow: UnitOfWork, store: AttachmentStore, *, principal: Principal, customer_id: uuid.UUID,
                      data: dict, stream: BinaryIO, filename: str | None, max_bytes: int) -> Attachment:
    """A file on the customer account, or on one of its interactions (``interaction_id``), of a type
    that may be chosen; papers on the account are master data (the permission edit_customers).
    Emits attachment.added.v1. Raises CustomerNotFound, InvalidFields (type_id, interaction_id),
    EditCustomersPermissionRequired, FileTooLarge, FileRefused."""
    # the bytes first, outside the transaction: nothing is locked while a large file is read
    checked = check_file(stream, max_bytes=max_bytes)
    with checked.spool, uow:
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
        errors = FieldErrors()
        kind = uow.session.get(AttachmentType, data["type_id"])
        if kind is None:
            errors.add(("type_id",), "No such attachment type.")
        elif not kind.is_selectable:
            errors.add(("type_id",), f"\"{kind.name}\" cannot be chosen for a file.")
        elif kind.is_retired:
            errors.add(("type_id",), "This attachment type is retired; choose a current one.")
        interaction = None
        if data.get("interaction_id") is not None:
            try:
                interaction = get_interaction(uow.session, principal=principal, customer=customer,
                                              interaction_id=data["interaction_id"])
            except InteractionNotFound:
                errors.add(("interaction_id",), "The customer has no such interaction.")
        errors.raise_if_any()
        if customer.is_prospect and interaction is None:
            raise ProspectReserved("Papers of an unregistered caller go on the interaction with the prospect \"0\".")
        if interaction is None:
            ensure_may_edit_customers(principal)
        attachment_id = uuid.uuid4()
        key = f"{attachment_id.hex[:2]}/{attachment_id}"
        store.put(key, checked.spool)
        try:
            attachment = Attachment(
                id=attachment_id, customer_id=customer.id, interaction_id=interaction.id if interaction else None,
                type_id=kind.id, filename=safe_filename(filename, checked.content_type),
                description=data.get("description", ""), content_type=checked.content_type, size_bytes=checked.size,
                sha256=checked.sha256, storage_key=key, uploaded_by=principal.user_id, uploaded_at=utcnow())
            uow.session.add(attachment)
            uow.session.add(Change(id=uuid.uuid4(), customer_id=customer.id, entity="attachment",
                                   entity_id=attachment.id, field="filename", old_value=None,
                                   new_value=attachment.filename, actor_id=principal.user_id, changed_at=utcnow()))
            uow.emit("attachment.added.v1", attachment_added(attachment, interaction=interaction, type_name=kind.name))
            uow.commit()
        except BaseException:
            store.delete(key)
            raise
    return attachment


def attachment_added(attachment: Attachment, *, interaction, type_name: str) -> dict:
    """The attachment.added.v1 payload: the file's description and who reaches it, never its bytes."""
    return {"id": attachment.id, "customer_id": attachment.customer_id, "interaction_id": attachment.interaction_id,
            "interaction_branch_id": interaction.branch_id if interaction else None,
            "interaction_department_id": interaction.department_id if interaction else None,
            "interaction_agent_id": interaction.agent_id if interaction else None,
            "filename": attachment.filename, "type": type_name, "content_type": attachment.content_type,
            "size_bytes": attachment.size_bytes, "sha256": attachment.sha256,
            "uploaded_by": attachment.uploaded_by, "uploaded_at": attachment.uploaded_at}


def get_attachment(session, *, principal: Principal, customer_id: uuid.UUID,
                   attachment_id: uuid.UUID) -> tuple[Customer, Attachment]:
    """An attachment of a card the caller reaches; one on an interaction follows that interaction's
    visibility (on the prospect "0", the caller's level). Raises CustomerNotFound, AttachmentNotFound."""
    customer = get_customer(session, principal=principal, customer_id=customer_id)
    attachment = session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                         Attachment.customer_id == customer.id))
    if attachment is not None and attachment.interaction_id is not None:
        try:
            get_interaction(session, principal=principal, customer=customer, interaction_id=attachment.interaction_id)
        except InteractionNotFound:
            attachment = None
    if attachment is None:
        raise AttachmentNotFound(f"The customer has no attachment {attachment_id} you can see.")
    return customer, attachment


# -- the catalogue (level 1) ------------------------------------------------------------------
def _administrator(principal: Principal) -> None:
    if principal.level != COMPANY:
        raise AttachmentCatalogueAdministratorsOnly("Only a level 1 user administers the attachment types.")


def add_attachment_type(uow: UnitOfWork, *, principal: Principal, data: dict) -> AttachmentType:
    _administrator(principal)
    with uow:
        if uow.session.scalar(select(AttachmentType.id).where(AttachmentType.name == data["name"])):
            raise AttachmentTypeTaken(f"The attachment type \"{data['name']}\" exists.")
        kind = AttachmentType(id=uuid.uuid4(), name=data["name"], is_selectable=True, is_system=False,
                              is_retired=False, created_at=utcnow())
        uow.session.add(kind)
        uow.commit()
    return kind


def change_attachment_type(uow: UnitOfWork, *, principal: Principal, type_id: uuid.UUID, data: dict,
                           expected_version: int | None = None) -> AttachmentType:
    """Rename, retire or bring back a type, from the version the caller read (StaleVersion
    otherwise); the system's "Not in CRM" stays as it is."""
    _administrator(principal)
    with uow:
        kind = uow.session.get(AttachmentType, type_id)
        if kind is None:
            raise AttachmentTypeNotFound(f"No attachment type {type_id}.")
        ensure_version(kind.version, expected_version, what=f"The attachment type \"{kind.name}\"")
        if kind.is_system:
            raise AttachmentTypeFixed(f"\"{kind.name}\" is part of the system and does not change.")
        if "name" in data and data["name"] != kind.name and uow.session.scalar(
                select(AttachmentType.id).where(AttachmentType.name == data["name"])):
            raise AttachmentTypeTaken(f"The attachment type \"{data['name']}\" exists.")
        for key, value in data.items():
            setattr(kind, key, value)
        uow.commit()
    return kind
