"""Attachment types (administered; "Not in CRM" exists for papers kept outside and cannot be chosen)
and attachments: a file on the customer account or on one of its interactions."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.kit.db import UtcDateTime, new_id, utcnow

NOT_IN_CRM = "Not in CRM"


class AttachmentType(Base):
    __tablename__ = "attachment_types"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # seed 004: "Not in CRM" is listed so records can say the paper exists elsewhere, but no upload takes it
    is_selectable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Attachment(Base):
    """A stored file: its sniffed content type, size, SHA-256 and the key the store knows it by."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_customer_id_uploaded_at", "customer_id", "uploaded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"),
                                                             index=True)
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attachment_types.id"))
    filename: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(500), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
