"""Request and response shapes of case types, their forms and routing rules."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.cases.case_types.forms import FormFieldSchema, validate_definition
from services.cases.queues.models import PRIORITIES
from services.cases.queues.schemas import CODE, QueueRefSchema
from services.kit.schemas import page_of


class FormField(fields.List):
    """A form definition: validated as a whole (types, labels, unique names)."""

    def __init__(self, **kwargs):
        super().__init__(fields.Dict(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_definition(items)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class CaseTypeCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    queue = fields.String(required=True, validate=CODE, metadata={"description": "Code of the target queue."})
    default_priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    form = FormField(load_default=list, metadata={"description": "Custom fields: name, label, type "
                     "(string, text, integer, decimal, boolean, date, datetime, choice, email, phone), "
                     "required, choices (choice only), max_length."})
    is_active = fields.Boolean(load_default=True)


class CaseTypeChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    queue = fields.String(validate=CODE)
    default_priority = fields.String(validate=validate.OneOf(PRIORITIES))
    form = FormField()
    is_active = fields.Boolean()


class RoutingRuleCreateSchema(Schema):
    class Meta:
        description = "A rule names at least one condition: region, priority or line_status."
        openapi = {"anyOf": [{"required": [name], "properties": {name: {"type": "string"}}}
                             for name in ("region", "priority", "line_status")]}

    position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000))
    region = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    line_status = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    queue = fields.String(required=True, validate=CODE, metadata={"description": "Code of the queue to route to."})

    @validates_schema
    def _some_condition(self, data, **_kwargs):
        if not any(data.get(name) for name in ("region", "priority", "line_status")):
            raise ValidationError("Give at least one of region, priority or line_status.", "_schema")


class RoutingRuleSchema(Schema):
    id = fields.UUID()
    position = fields.Integer()
    region = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    line_status = fields.String(allow_none=True)
    queue = fields.Nested(QueueRefSchema)


class CaseTypeSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    queue = fields.Nested(QueueRefSchema)
    default_priority = fields.String()
    form = fields.List(fields.Nested(FormFieldSchema))
    is_active = fields.Boolean()
    routing_rules = fields.List(fields.Nested(RoutingRuleSchema))
    version = fields.Integer()


CaseTypePageSchema = page_of(CaseTypeSchema, "CaseTypePage")
RoutingRulePageSchema = page_of(RoutingRuleSchema, "RoutingRulePage")
