"""payment reminders: concept catalogue (seeded 7 days before and 7 days after the due date),
per-customer settings, read models of receivables, addresses and consents, the claims of sent
reminders and users' own mailboxes

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DEFAULT_BEFORE = '7d0c0c0e-0000-4000-8000-000000000007'
DEFAULT_AFTER = '7d0c0c0e-0000-4000-8000-000000000107'


def upgrade() -> None:
    concepts = op.create_table('reminder_concepts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_concepts'))
    )
    import uuid
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    op.bulk_insert(concepts, [
        {'id': uuid.UUID(DEFAULT_BEFORE), 'description': 'Recordatorio 7 días antes del vencimiento', 'days': 7,
         'kind': 'before_due', 'version': 1, 'updated_at': now},
        {'id': uuid.UUID(DEFAULT_AFTER), 'description': 'Aviso 7 días después del vencimiento', 'days': 7,
         'kind': 'after_due', 'version': 1, 'updated_at': now},
    ])
    op.create_table('reminder_settings',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('send_to_contacts', sa.Boolean(), nullable=False),
    sa.Column('contact_ids', sa.JSON(), nullable=False),
    sa.Column('concept_id', sa.Uuid(), nullable=True),
    sa.Column('after_due_active', sa.Boolean(), nullable=False),
    sa.Column('after_due_concept_id', sa.Uuid(), nullable=True),
    sa.Column('reminder_body', sa.Text(), nullable=False),
    sa.Column('after_due_body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_reminder_settings'))
    )
    op.create_table('receivables',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('customer_code', sa.String(length=40), nullable=False),
    sa.Column('invoice_number', sa.String(length=60), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.String(length=32), nullable=False),
    sa.Column('paid_amount', sa.String(length=32), nullable=False),
    sa.Column('outstanding', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('collections_agent_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivables'))
    )
    with op.batch_alter_table('receivables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receivables_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receivables_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_receivables_is_open'), ['is_open'], unique=False)
        batch_op.create_index(batch_op.f('ix_receivables_collections_agent_id'), ['collections_agent_id'], unique=False)
    op.create_table('customer_addresses',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('customer_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('mobile', sa.String(length=32), nullable=True),
    sa.Column('contacts', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_addresses'))
    )
    op.create_table('consents',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', 'subject', 'kind', name=op.f('pk_consents'))
    )
    op.create_table('reminders_sent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('receivable_id', sa.Uuid(), nullable=False),
    sa.Column('concept_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_number', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sender_user_id', sa.Uuid(), nullable=True),
    sa.Column('agent_id', sa.Uuid(), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('receivable_id', 'concept_id', name='uq_reminders_sent_invoice_concept')
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_customer_id'), ['customer_id'], unique=False)
    op.create_table('mail_accounts',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('security', sa.String(length=10), nullable=False),
    sa.Column('username', sa.String(length=254), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('checked_at', UtcDateTime(), nullable=True),
    sa.Column('check_result', sa.Text(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mail_accounts'))
    )


def downgrade() -> None:
    op.drop_table('mail_accounts')
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_customer_id'))
    op.drop_table('reminders_sent')
    op.drop_table('consents')
    op.drop_table('customer_addresses')
    with op.batch_alter_table('receivables', schema=None) as batch_op:
        for column in ('collections_agent_id', 'is_open', 'due_date', 'customer_id'):
            batch_op.drop_index(batch_op.f(f'ix_receivables_{column}'))
    op.drop_table('receivables')
    op.drop_table('reminder_settings')
    op.drop_table('reminder_concepts')
