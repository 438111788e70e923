"""Alembic environment of the cases database."""
from services.cases.models import Base
from services.kit.migrations import run_env

run_env(Base.metadata)
