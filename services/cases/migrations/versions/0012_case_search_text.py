"""case search folds case and accents and takes partial words like the customer search: a folded
search column (subject, customer's name, form values) kept on write, backfilled here, trigram-indexed
on PostgreSQL

Revision ID: 0012
Revises: 0011

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.text import search_text

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default=' ', nullable=False))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_cases_search_text_trgm", "cases", ["search_text"], postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})


def _backfill() -> None:
    """Cases written before this revision get their search text (the same function the model uses)."""
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Uuid()), sa.column("subject"), sa.column("customer_name"),
                     sa.column("custom_fields", sa.JSON()), sa.column("search_text"))
    update = cases.update().where(cases.c.id == sa.bindparam("case_id")).values(
        search_text=sa.bindparam("text"))
    rows = bind.execute(sa.select(cases.c.id, cases.c.subject, cases.c.customer_name, cases.c.custom_fields)
                        .order_by(cases.c.id)).all()
    for start in range(0, len(rows), BATCH):
        bind.execute(update, [{"case_id": row.id, "text": search_text(row.subject, row.customer_name,
                                                                     *(row.custom_fields or {}).values())}
                              for row in rows[start:start + BATCH]])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_cases_search_text_trgm", table_name="cases")
    # a plain ALTER TABLE (SQLite 3.35+ drops a column in place): batch mode would copy the table,
    # which SQLite's foreign keys refuse once other tables point at its rows
    op.drop_column('cases', 'search_text')
