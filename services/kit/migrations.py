"""Alembic per service: each service migrates its own database from its own versions folder."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


def pending_heads(migrations_dir: Path, database_url: str) -> list[str]:
    """This code's migration heads that the database has not reached; empty when it is at them or
    past them (a revision this code does not know came from a newer release)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from services.kit.db import make_engine

    script = ScriptDirectory.from_config(alembic_config(migrations_dir, database_url))
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        return []
    reached = set()
    for revision in current:
        reached.update(r.revision for r in script.iterate_revisions(revision, "base"))
    return sorted(set(script.get_heads()) - reached)


def run_env(target_metadata) -> None:
    """Body of every service's migrations/env.py (online mode only: we always have a database)."""
    from alembic import context

    from services.kit.db import make_engine

    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def add_inbox_deliveries_and_attempts() -> None:
    """Every service's migration to the kit's ``inbox.deliveries`` and ``consumer_attempts``."""
    import sqlalchemy as sa
    from alembic import op

    from services.kit.db import UtcDateTime

    with op.batch_alter_table("inbox") as batch_op:
        batch_op.add_column(sa.Column("deliveries", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "consumer_attempts",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_consumer_attempts")),
    )


def drop_inbox_deliveries_and_attempts() -> None:
    from alembic import op

    op.drop_table("consumer_attempts")
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.drop_column("deliveries")


def index_unsent_outbox() -> None:
    """Every service's migration to the kit's ``ix_outbox_unsent``: the relay takes its next batch
    from an index of the unsent rows in position order; ``ix_outbox_sent_at``, used by no query, goes."""
    import sqlalchemy as sa
    from alembic import op

    unsent = sa.text("sent_at IS NULL")
    op.create_index("ix_outbox_unsent", "outbox", ["position"], postgresql_where=unsent, sqlite_where=unsent)
    op.drop_index("ix_outbox_sent_at", table_name="outbox")


def unindex_unsent_outbox() -> None:
    from alembic import op

    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.drop_index("ix_outbox_unsent", table_name="outbox")
