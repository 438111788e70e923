"""The cases service: department queues, case types and forms, the four states, SLA, tasks."""
from __future__ import annotations

from pathlib import Path

from services.cases import api
from services.cases.case_types.api import case_types
from services.cases.models import Base
from services.cases.queues.api import queues
from services.cases.handlers import HANDLERS
from services.kit.app import build_service_app
from services.kit.dead_letters_api import dead_letters_blueprint
from services.kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ServiceSettings | None = None):
    return build_service_app("cases", metadata=Base.metadata, title="Caredesk cases",
                             blueprints=[api.cases, queues, case_types,
                                         dead_letters_blueprint("cases", HANDLERS)], settings=settings)
