"""Alembic environment of the notifications database."""
from services.notifications.models import Base
from services.kit.migrations import run_env

run_env(Base.metadata)
