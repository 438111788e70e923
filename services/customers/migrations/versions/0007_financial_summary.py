"""financial summary: receivables (invoices), payments, deposits, financial-block steps and daily
exchange rates to the reporting currency, as billing imports them (amounts in whole hundredths)

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('exchange_rates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reporting_currency', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.String(length=40), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('reporting_currency', 'currency', 'on_date', name='uq_exchange_rates_reporting_currency_day')
    )
    op.create_table('deposits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_deposits_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposits')),
    sa.UniqueConstraint('reference', name=op.f('uq_deposits_reference'))
    )
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposits_customer_id'), ['customer_id'], unique=False)

    op.create_table('financial_block_steps',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_financial_block_steps_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financial_block_steps')),
    sa.UniqueConstraint('customer_id', 'step', 'scheduled_on', name='uq_financial_block_steps_customer_step_day')
    )
    with op.batch_alter_table('financial_block_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financial_block_steps_customer_id'), ['customer_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payments_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('reference', name=op.f('uq_payments_reference'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_customer_id_paid_on', ['customer_id', 'paid_on'], unique=False)

    op.create_table('receivables',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_amount', sa.BigInteger(), nullable=False),
    sa.Column('outstanding', sa.BigInteger(), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_receivables_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivables')),
    sa.UniqueConstraint('invoice_number', name=op.f('uq_receivables_invoice_number'))
    )
    with op.batch_alter_table('receivables', schema=None) as batch_op:
        batch_op.create_index('ix_receivables_customer_id_issue_date', ['customer_id', 'issue_date'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('receivables', schema=None) as batch_op:
        batch_op.drop_index('ix_receivables_customer_id_issue_date')

    op.drop_table('receivables')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_customer_id_paid_on')

    op.drop_table('payments')
    with op.batch_alter_table('financial_block_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financial_block_steps_customer_id'))

    op.drop_table('financial_block_steps')
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposits_customer_id'))

    op.drop_table('deposits')
    op.drop_table('exchange_rates')
