"""directory replica: token version and revoked tokens, so a service refuses a stale or logged-out token

Revision ID: 0005
Revises: 0004

"""
from typing import Sequence, Union

from alembic import op

from services.kit.directory_replica import downgrade_token_checks, upgrade_token_checks


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    upgrade_token_checks(op)


def downgrade() -> None:
    """Downgrade schema."""
    downgrade_token_checks(op)
