"""Request and response shapes of offers."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.customers.offers.models import CHANNELS, OUTCOMES
from services.kit.input import MULTILINE
from services.kit.schemas import PageQuerySchema, page_of


class OfferCreateSchema(Schema):
    campaign = fields.String(required=True, validate=validate.Length(min=1, max=100))
    product = fields.String(load_default="", validate=validate.Length(max=200))
    offered_on = fields.Date(load_default=None, metadata={"description": "Default: today."})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    outcome = fields.String(load_default="pending", validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=1000), metadata=MULTILINE)


class OfferUpdateSchema(Schema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    note = fields.String(validate=validate.Length(max=1000), metadata=MULTILINE)


class OfferSchema(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    campaign = fields.String()
    product = fields.String()
    offered_on = fields.Date()
    channel = fields.String()
    outcome = fields.String()
    note = fields.String()
    offered_by = fields.UUID()
    offered_by_name = fields.String(allow_none=True)
    campaign_role = fields.String(allow_none=True, metadata={
        "description": "The customer's flag for this campaign on the card (participant, candidate), if any."})
    version = fields.Integer()
    created_at = fields.AwareDateTime()


OfferPageSchema = page_of(OfferSchema, "OfferPage")


class OfferQuerySchema(PageQuerySchema):
    campaign = fields.String(validate=validate.Length(min=1, max=100))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
