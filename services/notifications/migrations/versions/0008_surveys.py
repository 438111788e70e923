"""satisfaction surveys: one per closed case, and the company's survey setting (seeded: by e-mail,
links valid 14 days, a generated signing key)

Revision ID: 0008
Revises: 0007

"""
import secrets
from datetime import datetime, timezone
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
    op.create_table('surveys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('expires_at', UtcDateTime(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('case_id', name=op.f('uq_surveys_case_id'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_customer_id'), ['customer_id'], unique=False)
    settings = op.create_table('survey_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('valid_days', sa.Integer(), nullable=False),
    sa.Column('link_base', sa.String(length=300), nullable=False),
    sa.Column('signing_key', sa.String(length=100), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_settings'))
    )
    op.bulk_insert(settings, [{'id': 1, 'channel': 'email', 'valid_days': 14, 'link_base': 'http://127.0.0.1:8000',
                               'signing_key': secrets.token_urlsafe(48), 'updated_at': datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table('survey_settings')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_customer_id'))
    op.drop_table('surveys')
