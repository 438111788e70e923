"""Read side of attachments and their types."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.attachments.models import Attachment, AttachmentType
from services.customers.interactions.models import Interaction
from services.customers.interactions.repository import visible_interactions
from services.customers.models import Customer
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query


def type_dict(kind: AttachmentType) -> dict:
    return {"id": kind.id, "name": kind.name, "is_selectable": kind.is_selectable, "is_system": kind.is_system,
            "is_retired": kind.is_retired, "version": kind.version}


def list_types(session: Session, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    return page_from_query(session, select(AttachmentType).order_by(AttachmentType.name, AttachmentType.id),
                           page=page, per_page=per_page, item=type_dict)


def attachment_dict(attachment: Attachment, type_name: str | None) -> dict:
    return {"id": attachment.id, "customer_id": attachment.customer_id, "interaction_id": attachment.interaction_id,
            "type_id": attachment.type_id, "type_name": type_name, "filename": attachment.filename,
            "description": attachment.description, "content_type": attachment.content_type,
            "size_bytes": attachment.size_bytes, "sha256": attachment.sha256, "uploaded_by": attachment.uploaded_by,
            "uploaded_at": attachment.uploaded_at}


def list_attachments(session: Session, *, principal, customer: Customer, interaction_id=None,
                     on_account: bool | None = None, page: int = 1, per_page: int = 50) -> dict:
    """The card's files the caller may see (those of an interaction follow its visibility), newest first."""
    visible = select(Interaction.id).where(visible_interactions(principal, customer))
    where = [Attachment.customer_id == customer.id,
             Attachment.interaction_id.is_(None) | Attachment.interaction_id.in_(visible)]
    if interaction_id is not None:
        where.append(Attachment.interaction_id == interaction_id)
    if on_account is not None:
        where.append(Attachment.interaction_id.is_(None) if on_account else Attachment.interaction_id.is_not(None))
    total = session.scalar(select(func.count()).select_from(Attachment).where(*where))
    rows = session.execute(select(Attachment, AttachmentType.name).join(AttachmentType)
                           .where(*where).order_by(Attachment.uploaded_at.desc(), Attachment.id)
                           .limit(per_page).offset((page - 1) * per_page))
    return {"total": total, "page": page, "per_page": per_page,
            "items": [attachment_dict(attachment, name) for attachment, name in rows]}
