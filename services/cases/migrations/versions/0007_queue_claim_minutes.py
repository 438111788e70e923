"""queues: claim_minutes, after which a taken case not accepted goes back to the queue

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('queues') as batch_op:
        batch_op.add_column(sa.Column('claim_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queues') as batch_op:
        batch_op.drop_column('claim_minutes')
