"""Events the notifications service emits (routing key = name), each with its payload schema."""
from __future__ import annotations

from services.kit.contracts import Event, Payload, declare, fields, validate


class SurveyAnswered(Payload):
    """A customer's answer to the satisfaction survey of a closed case (seed 004)."""

    survey_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    customer_id = fields.UUID(required=True)
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(required=True, allow_none=True)
    answered_at = fields.AwareDateTime(required=True)


EMITTED = declare(
    "notifications",
    Event("survey.answered.v1", "A customer answered the satisfaction survey of a closed case (score 1-5, a "
          "comment); the cases service keeps it on the case and in queue statistics, the customers service "
          "on the card.", SurveyAnswered),
)
