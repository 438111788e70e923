"""The notifications service: messages for case events, reminders, surveys, calendars."""
from __future__ import annotations

from pathlib import Path

from services.notifications.handlers import HANDLERS
from services.kit.app import build_service_app
from services.kit.dead_letters_api import dead_letters_blueprint
from services.kit.settings import ServiceSettings
from services.notifications import api
from services.notifications.deliveries.api import deliveries
from services.notifications.calendar.api import calendar
from services.notifications.reminders.api import reminders
from services.notifications.surveys.api import surveys
from services.notifications.templates.api import templates
from services.notifications.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ServiceSettings | None = None):
    return build_service_app("notifications", metadata=Base.metadata, title="Caredesk notifications",
                             blueprints=[api.blp, deliveries, templates, reminders, calendar, surveys,
                                         dead_letters_blueprint("notifications", HANDLERS)],
                             settings=settings,
                             # read by calendar applications and customers with the token in the URL, no login
                             public_endpoints={"calendar.read_feed", "surveys.read_survey", "surveys.answer_survey"})
