"""customer card: master data, other phones, contacts, lines, flashes, change history, search keys,
sales agent changes

Revision ID: 0002
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.customers.normalisation import code_key, search_name
from services.kit.db import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sales_agent_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=False),
    sa.Column('moves', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('confirmed_at', UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_agent_changes'))
    )
    with op.batch_alter_table('sales_agent_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_agent_changes_requested_by'), ['requested_by'], unique=False)

    op.create_table('customer_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=True),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('changed_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_changes'))
    )
    with op.batch_alter_table('customer_changes', schema=None) as batch_op:
        batch_op.create_index('ix_customer_changes_customer_id_changed_at', ['customer_id', 'changed_at'], unique=False)

    op.create_table('customer_contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('receives_notices', sa.Boolean(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_contacts_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_contacts'))
    )
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_contacts_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_phones',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_phones_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_phones'))
    )
    with op.batch_alter_table('customer_phones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_phones_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_search_terms',
    sa.Column('term', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_search_terms_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term', 'kind', 'customer_id', name=op.f('pk_customer_search_terms'))
    )
    with op.batch_alter_table('customer_search_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_search_terms_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('uq_customer_search_terms_code', ['term'], unique=True, postgresql_where=sa.text("kind = 'code'"), sqlite_where=sa.text("kind = 'code'"))

    op.create_table('lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_changed_at', UtcDateTime(), nullable=False),
    sa.Column('service_type', sa.String(length=10), nullable=False),
    sa.Column('network_standard', sa.String(length=20), nullable=False),
    sa.Column('iccid', sa.String(length=20), nullable=True),
    sa.Column('activated_on', sa.Date(), nullable=False),
    sa.Column('tariff_plan', sa.String(length=80), nullable=False),
    sa.Column('tariff_effective_on', sa.Date(), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('billing_group', sa.String(length=40), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_lines_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lines'))
    )
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lines_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('uq_lines_live_iccid', ['iccid'], unique=True, postgresql_where=sa.text("status <> 'deactivated' AND iccid IS NOT NULL"), sqlite_where=sa.text("status <> 'deactivated' AND iccid IS NOT NULL"))
        batch_op.create_index('uq_lines_live_number', ['number'], unique=True, postgresql_where=sa.text("status <> 'deactivated'"), sqlite_where=sa.text("status <> 'deactivated'"))

    op.create_table('flashes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('ends_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_flashes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_id'], ['lines.id'], name=op.f('fk_flashes_line_id_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flashes'))
    )
    with op.batch_alter_table('flashes', schema=None) as batch_op:
        batch_op.create_index('ix_flashes_customer_id_ends_at', ['customer_id', 'ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_flashes_line_id'), ['line_id'], unique=False)

    op.create_table('line_tariff_plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('tariff_plan', sa.String(length=80), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['lines.id'], name=op.f('fk_line_tariff_plans_line_id_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_tariff_plans'))
    )
    with op.batch_alter_table('line_tariff_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_tariff_plans_line_id'), ['line_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=420), server_default='', nullable=False))
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('tax_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('tax_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('phone2', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('campaigns', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('preferred_sales_agent_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('collections_agent_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_preferred_sales_agent_id'), ['preferred_sales_agent_id'], unique=False)
        batch_op.create_unique_constraint('uq_customers_country_tax_key', ['country', 'tax_key'])

    _backfill_search_keys()
    if op.get_bind().dialect.name == "postgresql":
        # Partial, accent-free name search: pg_trgm answers LIKE '%word%' from a GIN index over the
        # folded name. unaccent with an IMMUTABLE wrapper (unaccent itself is only STABLE, so it cannot
        # be indexed) folds the same way for ad-hoc SQL and reports.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("""
            CREATE OR REPLACE FUNCTION caredesk_unaccent(text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
        """)
        op.create_index("ix_customers_search_name_trgm", "customers", ["search_name"], postgresql_using="gin",
                        postgresql_ops={"search_name": "gin_trgm_ops"})


def _backfill_search_keys() -> None:
    """Customers made before this revision (the prospect "0" at least) get their search keys."""
    bind = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.Uuid()), sa.column("code"), sa.column("name"),
                         sa.column("search_name"))
    terms = sa.table("customer_search_terms", sa.column("term"), sa.column("kind"),
                     sa.column("customer_id", sa.Uuid()))
    rows = bind.execute(sa.select(customers.c.id, customers.c.code, customers.c.name)).all()
    for row in rows:
        bind.execute(customers.update().where(customers.c.id == row.id).values(search_name=search_name(row.name)))
    if rows:
        bind.execute(terms.insert(), [{"term": code_key(row.code), "kind": "code", "customer_id": row.id}
                                      for row in rows])



def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_search_name_trgm", table_name="customers")
        op.execute("DROP FUNCTION IF EXISTS caredesk_unaccent(text)")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_customers_country_tax_key', type_='unique')
        batch_op.drop_index(batch_op.f('ix_customers_preferred_sales_agent_id'))
        batch_op.drop_index(batch_op.f('ix_customers_created_by'))
        batch_op.drop_column('collections_agent_id')
        batch_op.drop_column('preferred_sales_agent_id')
        batch_op.drop_column('campaigns')
        batch_op.drop_column('email')
        batch_op.drop_column('phone2')
        batch_op.drop_column('phone')
        batch_op.drop_column('address')
        batch_op.drop_column('language')
        batch_op.drop_column('region')
        batch_op.drop_column('tax_key')
        batch_op.drop_column('tax_number')
        batch_op.drop_column('country')
        batch_op.drop_column('search_name')

    with op.batch_alter_table('line_tariff_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_tariff_plans_line_id'))

    op.drop_table('line_tariff_plans')
    with op.batch_alter_table('flashes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flashes_line_id'))
        batch_op.drop_index('ix_flashes_customer_id_ends_at')

    op.drop_table('flashes')
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.drop_index('uq_lines_live_number', postgresql_where=sa.text("status <> 'deactivated'"), sqlite_where=sa.text("status <> 'deactivated'"))
        batch_op.drop_index('uq_lines_live_iccid', postgresql_where=sa.text("status <> 'deactivated' AND iccid IS NOT NULL"), sqlite_where=sa.text("status <> 'deactivated' AND iccid IS NOT NULL"))
        batch_op.drop_index(batch_op.f('ix_lines_customer_id'))

    op.drop_table('lines')
    with op.batch_alter_table('customer_search_terms', schema=None) as batch_op:
        batch_op.drop_index('uq_customer_search_terms_code', postgresql_where=sa.text("kind = 'code'"), sqlite_where=sa.text("kind = 'code'"))
        batch_op.drop_index(batch_op.f('ix_customer_search_terms_customer_id'))

    op.drop_table('customer_search_terms')
    with op.batch_alter_table('customer_phones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phones_customer_id'))

    op.drop_table('customer_phones')
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_contacts_customer_id'))

    op.drop_table('customer_contacts')
    with op.batch_alter_table('customer_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_changes_customer_id_changed_at')

    op.drop_table('customer_changes')
    with op.batch_alter_table('sales_agent_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_agent_changes_requested_by'))

    op.drop_table('sales_agent_changes')
