"""Alembic environment of the customers database."""
import services.customers.attachments.models  # noqa: F401 - their tables are in the same metadata
import services.customers.consents.models  # noqa: F401
import services.customers.finance.models  # noqa: F401
import services.customers.interactions.models  # noqa: F401
import services.customers.notes.models  # noqa: F401
import services.customers.offers.models  # noqa: F401
import services.customers.sales_agents.models  # noqa: F401
from services.customers.models import Base
from services.kit.migrations import run_env

run_env(Base.metadata)
