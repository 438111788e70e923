"""the waiting cases of one queue in dispatch order: a queue's oldest and median wait are read from
this index instead of from every row of the queue

Revision ID: 0011
Revises: 0010

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WAITING = sa.text("status = 'open_dispatch' AND owner_id IS NULL")


def upgrade() -> None:
    op.create_index('ix_cases_waiting_by_queue', 'cases', ['queue_id', 'dispatched_at'],
                    postgresql_where=WAITING, sqlite_where=WAITING)


def downgrade() -> None:
    op.drop_index('ix_cases_waiting_by_queue', table_name='cases')
