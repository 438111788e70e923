"""inbox counts the deliveries of each event (redeliveries turned away are visible);
consumer_attempts counts attempts at redelivered events (a consumer that keeps dying on one
event dead-letters that event alone)

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from services.kit.migrations import add_inbox_deliveries_and_attempts, drop_inbox_deliveries_and_attempts


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_inbox_deliveries_and_attempts()


def downgrade() -> None:
    drop_inbox_deliveries_and_attempts()
