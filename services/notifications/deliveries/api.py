"""The delivery log under /api/v1/notifications/deliveries: search, and an administrator's retry."""
from __future__ import annotations

import uuid

from marshmallow import RAISE

from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import install_id_converter
from services.kit.input import Blueprint
from services.kit.problems import NotFound
from services.notifications.deliveries import queries
from services.notifications.deliveries.schemas import DeliveryPageSchema, DeliveryQuerySchema, DeliverySchema
from services.notifications.deliveries.use_cases import retry_failed_delivery

deliveries = Blueprint("deliveries", __name__, url_prefix="/api/v1/notifications/deliveries",
                       description="Messages sent by e-mail, SMS and WhatsApp")
install_id_converter(deliveries)


@deliveries.get("")
@deliveries.arguments(DeliveryQuerySchema, location="query", unknown=RAISE)
@deliveries.response(200, DeliveryPageSchema)
def list_deliveries(args):
    """The delivery log, newest first: each message with its event, recipient, channel, template,
    language, status, attempts, the provider's message id and answer, and its times. Searched by
    status, channel, event (type or id), recipient (user id, customer code or address), template,
    language, the provider's message id and a date range; paged. Level 1 (administrators) see every
    delivery, everyone else the ones sent to them."""
    with service_context().database.session() as session:
        return queries.list_deliveries(session, principal=current_principal(), **args)


@deliveries.get("/<id:delivery_id>")
@deliveries.response(200, DeliverySchema)
def get_delivery(delivery_id: uuid.UUID):
    """One message sent (or being sent) to a customer: channel, template, attempts and outcome."""
    principal = current_principal()
    with service_context().database.session() as session:
        delivery = session.scalar(queries.visible_deliveries(principal).where(queries.Delivery.id == delivery_id))
        if delivery is None:
            raise NotFound("No such delivery.")
        return delivery


@deliveries.post("/<id:delivery_id>/retry")
@deliveries.response(200, DeliverySchema)
def retry_delivery(delivery_id: uuid.UUID):
    """Send a failed delivery again with a fresh set of attempts (administrators, level 1): it is
    pending at once and the next dispatch (every 2 s) hands it to a send task, with the same
    Message-ID / Idempotency-Key as before. Anything but a failed delivery: 409."""
    return retry_failed_delivery(new_uow(), principal=current_principal(), delivery_id=delivery_id)
