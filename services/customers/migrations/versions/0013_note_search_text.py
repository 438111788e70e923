"""notes search: a folded search column (text, location, next treatment; services.kit.text) written
with the note, backfilled here, trigram-indexed on PostgreSQL like customer names and articles

Revision ID: 0013
Revises: 0012

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from services.kit.text import search_text

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default=' ', nullable=False))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_notes_search_text_trgm", "notes", ["search_text"], postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})


def _backfill() -> None:
    """Notes written before this revision get their search text (the same function the model uses)."""
    bind = op.get_bind()
    notes = sa.table("notes", sa.column("id", sa.Uuid()), sa.column("text"), sa.column("location"),
                     sa.column("next_treatment"), sa.column("search_text"))
    update = notes.update().where(notes.c.id == sa.bindparam("note_id")).values(search_text=sa.bindparam("folded"))
    rows = bind.execute(sa.select(notes.c.id, notes.c.text, notes.c.location, notes.c.next_treatment)
                        .order_by(notes.c.id)).all()
    for start in range(0, len(rows), BATCH):
        bind.execute(update, [{"note_id": row.id, "folded": search_text(row.text, row.location, row.next_treatment)}
                              for row in rows[start:start + BATCH]])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_notes_search_text_trgm", table_name="notes")
    # a plain ALTER TABLE (SQLite 3.35+ drops a column in place): batch mode would copy the table,
    # which SQLite's foreign keys refuse once other tables point at its rows
    op.drop_column('notes', 'search_text')
