"""Alembic environment of the gateway's database."""
from gateway.models import Base
from services.kit.migrations import run_env

run_env(Base.metadata)
