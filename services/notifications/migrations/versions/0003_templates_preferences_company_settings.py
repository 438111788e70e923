"""templates, notification preferences, company language (seeded es), read notices

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
    op.create_table('company_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('default_language', sa.String(length=5), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_settings'))
    )
    op.execute(sa.text("INSERT INTO company_settings (id, default_language, updated_at) "
                       "VALUES (1, 'es', CURRENT_TIMESTAMP)"))
    op.create_table('templates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates')),
    sa.UniqueConstraint('template', 'channel', 'language', name='uq_templates_template_channel_language')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', UtcDateTime(), nullable=True))
    op.create_table('user_preferences',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_preferences'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('user_preferences')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('read_at')
    op.drop_table('templates')
    op.drop_table('company_settings')
