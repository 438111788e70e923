"""A case type's form: custom fields defined by administrators, validated by marshmallow schemas
built from the definition.

A definition is a list of ``{name, label, type, required, choices?, max_length?}``. Saving a case
checks each value's type (a draft may be incomplete); dispatching needs every required field
filled (seed 004: the fields in red must be filled before the case can be sent to the queue).
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

FIELD_NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$",
                             error="Use 1-40 lower-case letters, digits or '_', starting with a letter.")
FIELD_TYPES = ("string", "text", "integer", "decimal", "boolean", "date", "datetime", "choice", "email", "phone")
TEXT_LIMITS = {"string": 200, "text": 4000, "email": 254, "phone": 32}


class FormFieldSchema(Schema):
    """One field of a form definition."""

    name = fields.String(required=True, validate=FIELD_NAME)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=None,
                          validate=validate.Length(min=1, max=200))
    max_length = fields.Integer(load_default=None, validate=validate.Range(min=1, max=4000))

    @validates_schema
    def _choices_for_choice_fields(self, data, **_kwargs):
        if data["type"] == "choice" and not data.get("choices"):
            raise ValidationError("A choice field lists its choices.", "choices")
        if data["type"] != "choice" and data.get("choices"):
            raise ValidationError("Only a choice field has choices.", "choices")


def validate_definition(form: list[dict]) -> list[dict]:
    """A loaded definition, with unique field names; raises ValidationError field by field."""
    loaded = FormFieldSchema(many=True).load(form)
    names = [item["name"] for item in loaded]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationError({"form": [f"Field names repeat: {', '.join(duplicates)}."]})
    return [{key: value for key, value in item.items() if value is not None} for item in loaded]


def _value_field(definition: dict) -> fields.Field:
    kind = definition["type"]
    options = {"required": False, "allow_none": True}
    if kind in TEXT_LIMITS:
        limit = definition.get("max_length") or TEXT_LIMITS[kind]
        length = validate.Length(max=limit)
        if kind == "email":
            return fields.Email(validate=length, **options)
        if kind == "phone":
            return fields.String(validate=[length, validate.Regexp(
                r"^\+?[0-9 ()-]{3,}$", error="Digits only, with an optional leading '+'.")], **options)
        return fields.String(validate=length, **options)
    return {
        "integer": lambda: fields.Integer(strict=True, **options),
        "decimal": lambda: fields.Decimal(as_string=True, allow_nan=False, **options),
        "boolean": lambda: fields.Boolean(**options),
        "date": lambda: fields.Date(**options),
        "datetime": lambda: fields.AwareDateTime(**options),
        "choice": lambda: fields.String(validate=validate.OneOf(definition["choices"]), **options),
    }[kind]()


def values_schema(form: list[dict]) -> Schema:
    """The marshmallow schema of a form's values (unknown names refused)."""
    schema_class = Schema.from_dict({item["name"]: _value_field(item) for item in form}, name="CaseFormValues")
    return schema_class(unknown=RAISE)


def clean_values(form: list[dict], values: dict) -> dict:
    """Validated values as JSON-ready data (dates as ISO strings, decimals as strings).

    Raises ValidationError keyed by field name for wrong types or names the form does not have.
    """
    schema = values_schema(form)
    return schema.dump(schema.load(values))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(form: list[dict], values: dict) -> list[dict]:
    """The required fields without a value, in form order, as ``{name, label}``."""
    return [{"name": item["name"], "label": item["label"]}
            for item in form if item.get("required") and is_blank(values.get(item["name"]))]
