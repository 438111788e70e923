"""a queue's open breaches and its targets decided in a window, each from an index of its own: the
queue statistics read the rows a figure is about instead of every case the queue ever had

Revision ID: 0013
Revises: 0012

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    false = "false" if op.get_bind().dialect.name == "postgresql" else "0"
    breached_open = sa.text(f"status != 'closed' AND (acceptance_met IS {false} OR resolution_met IS {false})")
    op.create_index('ix_cases_breached_open', 'cases', ['queue_id'],
                    postgresql_where=breached_open, sqlite_where=breached_open)
    for kind, decided_at in (("acceptance", "coalesce(acceptance_breached_at, first_accepted_at)"),
                             ("resolution", "coalesce(resolution_breached_at, closed_at)")):
        decided = sa.text(f"{kind}_met IS NOT NULL")
        op.create_index(f'ix_cases_{kind}_decided', 'cases', [sa.text('queue_id'), sa.text(decided_at)],
                        postgresql_where=decided, sqlite_where=decided)


def downgrade() -> None:
    for name in ('ix_cases_resolution_decided', 'ix_cases_acceptance_decided', 'ix_cases_breached_open'):
        op.drop_index(name, table_name='cases')
