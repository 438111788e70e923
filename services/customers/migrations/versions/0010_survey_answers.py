"""customers' answers to the satisfaction surveys of their cases (survey.answered.v1), for the card

Revision ID: 0010
Revises: 0009

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('customer_survey_answers',
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('survey_id', name=op.f('pk_customer_survey_answers'))
    )
    with op.batch_alter_table('customer_survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_survey_answers_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('customer_survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_survey_answers_customer_id'))
    op.drop_table('customer_survey_answers')
