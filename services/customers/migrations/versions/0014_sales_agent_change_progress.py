"""sales agent changes: confirmed a chunk per transaction, resumable (resume_after: the last
customer id a committed chunk reached; status "confirming" while under way)

Revision ID: 0014
Revises: 0013

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sales_agent_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_after', sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_agent_changes', schema=None) as batch_op:
        batch_op.drop_column('resume_after')
