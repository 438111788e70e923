"""interactions: reason tree, macros, knowledge articles with their versions, points of contact,
interactions with their numbers and follow-ups

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('contact_points',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('is_retired', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_points')),
    sa.UniqueConstraint('name', name=op.f('uq_contact_points_name'))
    )
    counters = op.create_table('interaction_counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_interaction_counters'))
    )
    # the row writers lock to take the next number: it must exist before the first two race for it
    op.bulk_insert(counters, [{"name": "interactions", "last": 0}])
    op.create_table('interaction_reasons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('script', sa.Text(), nullable=False),
    sa.Column('is_retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['interaction_reasons.id'], name=op.f('fk_interaction_reasons_parent_id_interaction_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_reasons'))
    )
    with op.batch_alter_table('interaction_reasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_reasons_parent_id'), ['parent_id'], unique=False)

    op.create_table('interaction_macros',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reason_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reason_id'], ['interaction_reasons.id'], name=op.f('fk_interaction_macros_reason_id_interaction_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_macros'))
    )
    with op.batch_alter_table('interaction_macros', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_macros_reason_id'), ['reason_id'], unique=False)

    op.create_table('knowledge_articles',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reason_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['reason_id'], ['interaction_reasons.id'], name=op.f('fk_knowledge_articles_reason_id_interaction_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_articles'))
    )
    with op.batch_alter_table('knowledge_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_articles_reason_id'), ['reason_id'], unique=False)

    op.create_table('interactions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=True),
    sa.Column('customer_reached', sa.Boolean(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('contact_point_id', sa.Uuid(), nullable=True),
    sa.Column('contact_person', sa.String(length=200), nullable=False),
    sa.Column('reason_id', sa.Uuid(), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('inputs', sa.Text(), nullable=False),
    sa.Column('pending_items', sa.Text(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('protocol_applied', sa.String(length=200), nullable=False),
    sa.Column('dialled_number', sa.String(length=40), nullable=False),
    sa.Column('started_at', UtcDateTime(), nullable=False),
    sa.Column('ended_at', UtcDateTime(), nullable=True),
    sa.Column('dialogue_seconds', sa.Integer(), nullable=True),
    sa.Column('card_opened_at', UtcDateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('agent_id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Uuid(), nullable=True),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('closed_at', UtcDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_interactions_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_interactions_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_id'], ['lines.id'], name=op.f('fk_interactions_line_id_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reason_id'], ['interaction_reasons.id'], name=op.f('fk_interactions_reason_id_interaction_reasons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('number', name=op.f('uq_interactions_number'))
    )
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interactions_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_interactions_customer_id_started_at', ['customer_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interactions_reason_id'), ['reason_id'], unique=False)

    op.create_table('knowledge_article_versions',
    sa.Column('article_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reason_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_by', sa.Uuid(), nullable=True),
    sa.Column('written_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_knowledge_article_versions_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'version', name=op.f('pk_knowledge_article_versions'))
    )
    op.create_table('interaction_followups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=False),
    sa.Column('organiser_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', UtcDateTime(), nullable=False),
    sa.Column('ends_at', UtcDateTime(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('participant_ids', sa.JSON(), nullable=False),
    sa.Column('copy_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_interaction_followups_interaction_id_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_followups'))
    )
    with op.batch_alter_table('interaction_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_followups_interaction_id'), ['interaction_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # accent-free article search answered like customer names: LIKE '%word%' on a trigram index
        op.create_index("ix_knowledge_articles_search_text_trgm", "knowledge_articles", ["search_text"],
                        postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('interaction_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_followups_interaction_id'))

    op.drop_table('interaction_followups')
    op.drop_table('knowledge_article_versions')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interactions_reason_id'))
        batch_op.drop_index('ix_interactions_customer_id_started_at')
        batch_op.drop_index(batch_op.f('ix_interactions_agent_id'))

    op.drop_table('interactions')
    with op.batch_alter_table('knowledge_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_articles_reason_id'))

    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_knowledge_articles_search_text_trgm", table_name="knowledge_articles")
    op.drop_table('knowledge_articles')
    with op.batch_alter_table('interaction_macros', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_macros_reason_id'))

    op.drop_table('interaction_macros')
    with op.batch_alter_table('interaction_reasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_reasons_parent_id'))

    op.drop_table('interaction_reasons')
    op.drop_table('interaction_counters')
    op.drop_table('contact_points')
