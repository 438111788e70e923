"""The customer card composed from every service in one call (GET /api/v1/customer-cards)."""
from __future__ import annotations

from flask import Flask

from gateway.cards import api


def install_cards(app: Flask) -> None:
    """Documents the card's unavailable-part marker in the gateway's OpenAPI document (the blueprint
    itself is registered with the gateway's other API blueprints)."""
    smorest_api = app.extensions["flask-smorest"]["blp_name_to_api"][api.blp.name]
    api.document(smorest_api.spec)
