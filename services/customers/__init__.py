"""The customers service: accounts, lines, flashes, history, search."""
from __future__ import annotations

from pathlib import Path

from services.customers import api
from services.customers.attachments import api as attachments_api
from services.customers.consents import api as consents_api
from services.customers.finance import api as finance_api
from services.customers.interactions import api as interactions_api
from services.customers.lines import api as lines_api
from services.customers.models import Base
from services.customers.notes import api as notes_api
from services.customers.offers import api as offers_api
from services.customers.sales_agents import api as sales_agents_api
from services.customers.settings import CustomersSettings
from services.customers.handlers import HANDLERS
from services.kit.app import build_service_app
from services.kit.dead_letters_api import dead_letters_blueprint
from services.kit.settings import ServiceSettings, load_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ServiceSettings | None = None):
    settings = settings or load_settings("customers")
    app = build_service_app("customers", metadata=Base.metadata, title="Caredesk customers",
                            blueprints=[api.blp, lines_api.blp, sales_agents_api.blp, notes_api.blp,
                                        interactions_api.blp, finance_api.blp, consents_api.blp,
                                        offers_api.blp, attachments_api.blp,
                                        dead_letters_blueprint("customers", HANDLERS)], settings=settings)
    app.extensions["customers"] = CustomersSettings.load(settings)
    return app
