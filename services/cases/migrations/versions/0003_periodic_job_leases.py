"""periodic job leases

Revision ID: 0003
Revises: 0002

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('periodic_leases',
    sa.Column('job', sa.String(length=200), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('leased_until', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_periodic_leases'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('periodic_leases')
