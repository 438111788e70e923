"""queues with calendars and SLA targets, case types with forms and routing rules, the full case
(states, SLA instants, ages), its timeline, comments and tasks

Revision ID: 0002
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('calendars',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('working_days', sa.JSON(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendars')),
    sa.UniqueConstraint('code', name=op.f('uq_calendars_code'))
    )
    op.create_table('case_types',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('default_priority', sa.String(length=10), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_case_types_queue_id_queues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_types')),
    sa.UniqueConstraint('code', name=op.f('uq_case_types_code'))
    )
    with op.batch_alter_table('case_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_types_queue_id'), ['queue_id'], unique=False)

    op.create_table('sla_policies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('acceptance_minutes', sa.Integer(), nullable=True),
    sa.Column('resolution_minutes', sa.Integer(), nullable=True),
    sa.Column('warning_percent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_sla_policies_queue_id_queues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('queue_id', 'priority', name='uq_sla_policies_queue_id_priority')
    )
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_policies_queue_id'), ['queue_id'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_type_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=True),
    sa.Column('line_status', sa.String(length=20), nullable=True),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_type_id'], ['case_types.id'], name=op.f('fk_routing_rules_case_type_id_case_types')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_routing_rules_queue_id_queues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_case_type_id'), ['case_type_id'], unique=False)

    op.create_table('case_comments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_comments_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comments'))
    )
    with op.batch_alter_table('case_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_comments_case_id'), ['case_id'], unique=False)

    op.create_table('case_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('due_at', UtcDateTime(), nullable=True),
    sa.Column('is_done', sa.Boolean(), nullable=False),
    sa.Column('done_at', UtcDateTime(), nullable=True),
    sa.Column('done_by', sa.Uuid(), nullable=True),
    sa.Column('blocked_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blocked_by_id'], ['case_tasks.id'], name=op.f('fk_case_tasks_blocked_by_id_case_tasks')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_tasks_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_tasks'))
    )
    with op.batch_alter_table('case_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_tasks_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_tasks_case_id'), ['case_id'], unique=False)

    op.create_table('case_timeline',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('status_from', sa.String(length=20), nullable=True),
    sa.Column('status_to', sa.String(length=20), nullable=True),
    sa.Column('queue_id', sa.Uuid(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_timeline_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_timeline'))
    )
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_timeline_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_timeline_queue_id_action_at', ['queue_id', 'action', 'at'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_rank', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('case_type_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('is_queue_chosen', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('line_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('interaction_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('custom_fields', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('reject_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('is_cancelled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('assigned_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_accepted_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('queue_seconds', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_logged_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_started_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_paused_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_paused_seconds', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('sla_warning_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_target_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_warning_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_due_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_warned_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_breached_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_met', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('resolution_target_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_warning_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_due_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_warned_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_breached_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolution_met', sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_acceptance_due_at'), ['acceptance_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_acceptance_warning_at'), ['acceptance_warning_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_case_type_id'), ['case_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_customer_code'), ['customer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_interaction_id'), ['interaction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_line_number'), ['line_number'], unique=False)
        batch_op.create_index('ix_cases_queue_id_status', ['queue_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_resolution_due_at'), ['resolution_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_resolution_warning_at'), ['resolution_warning_at'], unique=False)
        batch_op.create_index('ix_cases_waiting', ['priority_rank', 'dispatched_at', 'id'], unique=False, postgresql_where=sa.text("status = 'open_dispatch' AND owner_id IS NULL"), sqlite_where=sa.text("status = 'open_dispatch' AND owner_id IS NULL"))
        batch_op.create_foreign_key(batch_op.f('fk_cases_case_type_id_case_types'), 'case_types', ['case_type_id'], ['id'])

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))

    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key(batch_op.f('fk_queues_calendar_id_calendars'), 'calendars', ['calendar_id'], ['id'])

    # Cases saved before this revision: rank their priority for take-next; they named their queue by hand.
    op.execute("UPDATE cases SET priority_rank = CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
               "WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 2 END")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_queues_calendar_id_calendars'), type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('calendar_id')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('lines')
        batch_op.drop_column('region')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_case_type_id_case_types'), type_='foreignkey')
        batch_op.drop_index('ix_cases_waiting', postgresql_where=sa.text("status = 'open_dispatch' AND owner_id IS NULL"), sqlite_where=sa.text("status = 'open_dispatch' AND owner_id IS NULL"))
        batch_op.drop_index(batch_op.f('ix_cases_resolution_warning_at'))
        batch_op.drop_index(batch_op.f('ix_cases_resolution_due_at'))
        batch_op.drop_index('ix_cases_queue_id_status')
        batch_op.drop_index(batch_op.f('ix_cases_line_number'))
        batch_op.drop_index(batch_op.f('ix_cases_interaction_id'))
        batch_op.drop_index(batch_op.f('ix_cases_customer_code'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index(batch_op.f('ix_cases_closed_at'))
        batch_op.drop_index(batch_op.f('ix_cases_case_type_id'))
        batch_op.drop_index(batch_op.f('ix_cases_acceptance_warning_at'))
        batch_op.drop_index(batch_op.f('ix_cases_acceptance_due_at'))
        batch_op.drop_column('resolution_met')
        batch_op.drop_column('resolution_breached_at')
        batch_op.drop_column('resolution_warned_at')
        batch_op.drop_column('resolution_due_at')
        batch_op.drop_column('resolution_warning_at')
        batch_op.drop_column('resolution_target_seconds')
        batch_op.drop_column('acceptance_met')
        batch_op.drop_column('acceptance_breached_at')
        batch_op.drop_column('acceptance_warned_at')
        batch_op.drop_column('acceptance_due_at')
        batch_op.drop_column('acceptance_warning_at')
        batch_op.drop_column('acceptance_target_seconds')
        batch_op.drop_column('sla_warning_percent')
        batch_op.drop_column('sla_paused_seconds')
        batch_op.drop_column('sla_paused_at')
        batch_op.drop_column('sla_started_at')
        batch_op.drop_column('last_logged_at')
        batch_op.drop_column('queue_seconds')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('first_accepted_at')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('is_cancelled')
        batch_op.drop_column('resolution')
        batch_op.drop_column('reject_reason')
        batch_op.drop_column('custom_fields')
        batch_op.drop_column('attachments')
        batch_op.drop_column('interaction_id')
        batch_op.drop_column('line_number')
        batch_op.drop_column('is_queue_chosen')
        batch_op.drop_column('case_type_id')
        batch_op.drop_column('priority_rank')

    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_case_timeline_queue_id_action_at')
        batch_op.drop_index(batch_op.f('ix_case_timeline_case_id'))

    op.drop_table('case_timeline')
    with op.batch_alter_table('case_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_tasks_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_tasks_assignee_id'))

    op.drop_table('case_tasks')
    with op.batch_alter_table('case_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_comments_case_id'))

    op.drop_table('case_comments')
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_case_type_id'))

    op.drop_table('routing_rules')
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_policies_queue_id'))

    op.drop_table('sla_policies')
    with op.batch_alter_table('case_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_types_queue_id'))

    op.drop_table('case_types')
    op.drop_table('calendars')
