"""The customers service: accounts, lines, flashes, history, search."""
from __future__ import annotations

from pathlib import Path

from services.customers import api
from services.customers.models import Base
from services.kit.app import build_service_app
from services.kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ServiceSettings | None = None):
    return build_service_app("customers", metadata=Base.metadata, title="Caredesk customers", blueprints=[api.blp],
                             settings=settings)
