"""outbox: the relay takes its next batch from an index of the unsent rows in position order
(ix_outbox_unsent, partial) instead of the primary key's order filtered by sent_at, which read every
row sent before the batch; ix_outbox_sent_at, which no query used, is dropped

Revision ID: 0015
Revises: 0014

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    unsent = sa.text("sent_at IS NULL")
    op.create_index('ix_outbox_unsent', 'outbox', ['position'], postgresql_where=unsent, sqlite_where=unsent)
    op.drop_index('ix_outbox_sent_at', table_name='outbox')


def downgrade() -> None:
    op.create_index('ix_outbox_sent_at', 'outbox', ['sent_at'])
    op.drop_index('ix_outbox_unsent', table_name='outbox')
