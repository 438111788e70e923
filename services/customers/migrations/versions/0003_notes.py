"""notes on customers and the history of deleted notes

Revision ID: 0003
Revises: 0002

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('notes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('next_treatment', sa.String(length=1000), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('written_branch_id', sa.Uuid(), nullable=True),
    sa.Column('written_department_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_notes_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_customer_id_created_at', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notes_author_id_created_at', ['author_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notes_created_at', ['created_at'], unique=False)

    op.create_table('note_deletions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('note_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('next_treatment', sa.String(length=1000), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('written_at', UtcDateTime(), nullable=False),
    sa.Column('deleted_by', sa.Uuid(), nullable=False),
    sa.Column('deleted_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_note_deletions_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_deletions')),
    sa.UniqueConstraint('note_id', name=op.f('uq_note_deletions_note_id'))
    )
    with op.batch_alter_table('note_deletions', schema=None) as batch_op:
        batch_op.create_index('ix_note_deletions_customer_id_deleted_at', ['customer_id', 'deleted_at'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('note_deletions')
    op.drop_table('notes')
