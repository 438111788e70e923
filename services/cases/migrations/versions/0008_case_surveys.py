"""customers' answers to the satisfaction survey of closed cases (survey.answered.v1)

Revision ID: 0008
Revises: 0007

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('case_surveys',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Uuid(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_surveys'))
    )
    with op.batch_alter_table('case_surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_surveys_queue_id'), ['queue_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_surveys_queue_id'))
    op.drop_table('case_surveys')
