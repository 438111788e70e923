"""outbox: the relay takes its next batch from an index of the unsent rows in position order
(ix_outbox_unsent, partial) instead of the primary key's order filtered by sent_at, which read every
row sent before the batch; ix_outbox_sent_at, which no query used, is dropped

Revision ID: 0015
Revises: 0014

"""
from typing import Sequence, Union

from services.kit.migrations import index_unsent_outbox, unindex_unsent_outbox


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    index_unsent_outbox()


def downgrade() -> None:
    unindex_unsent_outbox()
