"""periodic queue snapshots: depth per state, ages and open breaches per queue and time slot

Revision ID: 0009
Revises: 0008

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('queue_snapshots',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('slot', UtcDateTime(), nullable=False),
    sa.Column('taken_at', UtcDateTime(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('in_work', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('oldest_age_seconds', sa.Float(), nullable=True),
    sa.Column('median_age_seconds', sa.Float(), nullable=True),
    sa.Column('breached_open', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_snapshots_queue_id_queues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_snapshots')),
    sa.UniqueConstraint('queue_id', 'slot', name='uq_queue_snapshots_queue_id_slot')
    )
    with op.batch_alter_table('queue_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_snapshots_queue_id'), ['queue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_snapshots_slot'), ['slot'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('queue_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_snapshots_slot'))
        batch_op.drop_index(batch_op.f('ix_queue_snapshots_queue_id'))
    op.drop_table('queue_snapshots')
