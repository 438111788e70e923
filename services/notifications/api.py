"""Notifications endpoints under /api/v1/notifications."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.kit.app import current_principal, service_context
from services.notifications import queries
from services.notifications.schemas import NotificationQuerySchema, NotificationSchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Notifications")


@blp.get("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
def list_notifications(args):
    with service_context().database.session() as session:
        return queries.list_notifications(session, principal=current_principal(), **args)
