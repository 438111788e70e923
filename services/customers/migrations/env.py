"""Alembic environment of the customers database."""
import services.customers.sales_agents.models  # noqa: F401 - its table is in the same metadata
from services.customers.models import Base
from services.kit.migrations import run_env

run_env(Base.metadata)
