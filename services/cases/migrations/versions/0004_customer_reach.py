"""customer read model: salesperson and creator, so a case names only a customer the caller reaches

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('salesperson_id', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('created_by', sa.Uuid(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('created_by')
        batch.drop_column('salesperson_id')
