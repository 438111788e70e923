"""consents (with the consent-kind catalogue, seeded), offers, attachments (with the attachment-type
catalogue, seeded with "Not in CRM"), a contact's language, and the limit on a line's PIN check

Revision ID: 0008
Revises: 0007

"""
import uuid
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime, utcnow


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# CONTRACTS.md: with no consent recorded, payment reminders and surveys (contractual service
# messages) count as given, marketing as not.
SEEDED_CONSENT_KINDS = (
    ("payment_reminders", {"es": "Recordatorios de pago", "en": "Payment reminders", "ru": "Напоминания об оплате",
                           "vi": "Nhắc thanh toán"}, "Reminders of invoices due and overdue.", True),
    ("surveys", {"es": "Encuestas", "en": "Surveys", "ru": "Опросы", "vi": "Khảo sát"},
     "Satisfaction surveys after a case is closed.", True),
    ("marketing", {"es": "Marketing", "en": "Marketing", "ru": "Маркетинг", "vi": "Tiếp thị"},
     "Offers and campaigns.", False),
)
# seed 004: "Not in CRM" is listed (papers kept elsewhere) but no file may take it
SEEDED_ATTACHMENT_TYPES = (
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0001", "Not in CRM", False, True),
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0002", "Registration papers", True, False),
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0003", "Power of attorney", True, False),
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0004", "Identity document", True, False),
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0005", "Contract", True, False),
    ("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0006", "Correspondence", True, False),
)


def upgrade() -> None:
    """Upgrade schema."""
    attachment_types = op.create_table('attachment_types',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_selectable', sa.Boolean(), nullable=False),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.Column('is_retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_types')),
    sa.UniqueConstraint('name', name=op.f('uq_attachment_types_name'))
    )
    consent_kinds = op.create_table('consent_kinds',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('granted_by_default', sa.Boolean(), nullable=False),
    sa.Column('is_retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_consent_kinds'))
    )
    now = utcnow()
    op.bulk_insert(consent_kinds, [
        {"code": code, "names": names, "description": description, "granted_by_default": default,
         "is_retired": False, "created_at": now} for code, names, description, default in SEEDED_CONSENT_KINDS])
    op.bulk_insert(attachment_types, [
        {"id": uuid.UUID(type_id), "name": name, "is_selectable": selectable, "is_system": system,
         "is_retired": False, "created_at": now} for type_id, name, selectable, system in SEEDED_ATTACHMENT_TYPES])
    op.create_table('consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_consents_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kind'], ['consent_kinds.code'], name=op.f('fk_consents_kind_consent_kinds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_customer_id_recorded_at', ['customer_id', 'recorded_at'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('campaign', sa.String(length=100), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('offered_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('offered_by', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_offers_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_customer_id_offered_on', ['customer_id', 'offered_on'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('type_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=False),
    sa.Column('uploaded_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_attachments_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_attachments_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_id'], ['attachment_types.id'], name=op.f('fk_attachments_type_id_attachment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_customer_id_uploaded_at', ['customer_id', 'uploaded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_interaction_id'), ['interaction_id'], unique=False)

    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))

    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_failed_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pin_locked_until', UtcDateTime(), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.drop_column('pin_locked_until')
        batch_op.drop_column('pin_failed_attempts')

    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_interaction_id'))
        batch_op.drop_index('ix_attachments_customer_id_uploaded_at')

    op.drop_table('attachments')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_customer_id_offered_on')

    op.drop_table('offers')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_customer_id_recorded_at')

    op.drop_table('consents')
    op.drop_table('consent_kinds')
    op.drop_table('attachment_types')
