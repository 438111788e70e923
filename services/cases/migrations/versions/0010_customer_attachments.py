"""customer attachments read model: a case carries the files it names by reference

Cases kept client-declared references ({id, name, type, url}) that nothing checked; they are
dropped: none names a file the customers service announced (the read model starts empty here), so
no download could serve them.

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
    op.create_table('customer_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('interaction_branch_id', sa.Uuid(), nullable=True),
    sa.Column('interaction_department_id', sa.Uuid(), nullable=True),
    sa.Column('interaction_agent_id', sa.Uuid(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('type_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_attachments'))
    )
    with op.batch_alter_table('customer_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_attachments_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_attachments_interaction_id'), ['interaction_id'], unique=False)
    cases = sa.table('cases', sa.column('id', sa.Uuid()), sa.column('attachments', sa.JSON()))
    connection = op.get_bind()
    for case_id, attachments in connection.execute(sa.select(cases.c.id, cases.c.attachments)).all():
        if attachments:
            connection.execute(cases.update().where(cases.c.id == case_id).values(attachments=[]))


def downgrade() -> None:
    with op.batch_alter_table('customer_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_attachments_interaction_id'))
        batch_op.drop_index(batch_op.f('ix_customer_attachments_customer_id'))
    op.drop_table('customer_attachments')
