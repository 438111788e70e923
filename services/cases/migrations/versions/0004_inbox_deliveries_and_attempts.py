"""inbox counts the deliveries of each event (redeliveries turned away are visible);
consumer_attempts counts attempts at redelivered events (a consumer that keeps dying on one
event dead-letters that event alone)

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('inbox') as batch_op:
        batch_op.add_column(sa.Column('deliveries', sa.Integer(), server_default='1', nullable=False))
    op.create_table('consumer_attempts',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('handler', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'handler', name=op.f('pk_consumer_attempts'))
    )


def downgrade() -> None:
    op.drop_table('consumer_attempts')
    with op.batch_alter_table('inbox') as batch_op:
        batch_op.drop_column('deliveries')
