"""Request and response shapes of the bulk change of preferred sales agent."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.kit.schemas import page_of


class SalesAgentMoveSchema(Schema):
    from_agent_id = fields.UUID(required=True)
    to_agent_id = fields.UUID(required=True)


class SalesAgentChangeCreateSchema(Schema):
    class Meta:
        description = "Each old agent (from_agent_id) once; each move's new agent differs from its old one."

    moves = fields.List(fields.Nested(SalesAgentMoveSchema), required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _one_move_per_agent(self, data: dict, **_kwargs) -> None:
        sources = [move["from_agent_id"] for move in data.get("moves", [])]
        if len(set(sources)) != len(sources):
            raise ValidationError({"moves": ["Name each old agent once."]})
        if any(move["from_agent_id"] == move["to_agent_id"] for move in data.get("moves", [])):
            raise ValidationError({"moves": ["The new agent differs from the old one."]})


class SalesAgentSchema(Schema):
    agent_id = fields.UUID()
    name = fields.String(allow_none=True)
    customers = fields.Integer()


class SalesAgentMoveOutSchema(Schema):
    from_agent_id = fields.UUID()
    to_agent_id = fields.UUID()
    customers = fields.Integer(metadata={"description": "Customers the move reached when it was proposed"})
    moved = fields.Integer(metadata={"description": "Customers moved on confirmation"})


class SalesAgentChangeSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    moves = fields.List(fields.Nested(SalesAgentMoveOutSchema))
    moved = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    confirmed_at = fields.AwareDateTime(allow_none=True)


SalesAgentPageSchema = page_of(SalesAgentSchema, "SalesAgentPage")
