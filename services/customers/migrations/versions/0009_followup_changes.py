"""a follow-up can be rescheduled, edited and cancelled: its version (ETag; the invitation's
iCalendar SEQUENCE is version - 1), its status and when and by whom it was cancelled

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
    """Upgrade schema."""
    with op.batch_alter_table('interaction_followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='scheduled', nullable=False))
        batch_op.add_column(sa.Column('updated_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.Uuid(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('interaction_followups', schema=None) as batch_op:
        for column in ('cancelled_by', 'cancelled_at', 'updated_at', 'status', 'version'):
            batch_op.drop_column(column)
