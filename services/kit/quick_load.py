"""A marshmallow schema's ``load`` and ``validate``, cheap for the input it accepts.

Bulk work loads or checks the same schema hundreds of thousands of times (billing rows, event
payloads), and marshmallow's per-call machinery costs more than the checks themselves. A
:class:`QuickLoader` checks each field with plain code that accepts no more than the field does and
gives the same value — text as it is, UUIDs by ``uuid.UUID``, ISO dates by ``date.fromisoformat``
(what the fields themselves do), whole numbers as they are, any other field by its own
``deserialize`` — then the field's validators and the schema's ``validates_schema`` methods. Input
that fails any of it, or that it does not know how to take, goes through the schema itself, whose
answer (and every error message) is the one given: the schema stays the one statement of the rules.
"""
from __future__ import annotations

import uuid
from datetime import date

from marshmallow import Schema, ValidationError, fields, missing
from marshmallow.decorators import VALIDATES_SCHEMA

TEXT, UUID, ISO_DATE, WHOLE = "text", "uuid", "iso date", "whole number"


class QuickLoader:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.fields = [(name, field, _converter(field)) for name, field in schema.fields.items()
                       if not field.dump_only]
        self.names = frozenset(name for name, _field, _convert in self.fields)
        hooks = {tag: entries for tag, entries in schema._hooks.items() if entries}
        checks = hooks.pop(VALIDATES_SCHEMA, [])
        self.schema_checks = [getattr(schema, name) for name, _many, _kwargs in checks]
        # anything else that shapes the input (pre/post load hooks, validators given the raw input or the
        # collection, keys renamed by data_key or attribute): always the schema
        self.usable = not hooks and not any(many or kwargs.get("pass_original") for _name, many, kwargs in checks) \
            and all(field.data_key is None and field.attribute is None for _name, field, _convert in self.fields)

    def load(self, values: dict) -> dict:
        """``schema.load(values)``: the loaded data, or ValidationError."""
        if self.usable:
            try:
                return self._load(values)
            except (_Unusual, ValidationError, ValueError, TypeError):
                pass
        return self.schema.load(values)

    def problems(self, values: dict) -> dict:
        """``schema.validate(values)``: marshmallow's errors, empty when ``values`` fit."""
        if self.usable:
            try:
                self._load(values)
                return {}
            except (_Unusual, ValidationError, ValueError, TypeError):
                pass
        return self.schema.validate(values)

    def _load(self, values: dict) -> dict:
        if type(values) is not dict or not self.names.issuperset(values):
            raise _Unusual  # not an object, or an unknown field
        data = {}
        for name, field, convert in self.fields:
            value = values.get(name, missing)
            if value is missing:
                if field.required:
                    raise _Unusual
                if field.load_default is not missing:
                    data[name] = field.load_default() if callable(field.load_default) else field.load_default
                continue
            if value is None:
                if not field.allow_none:
                    raise _Unusual
                data[name] = None
                continue
            if convert is None:
                value = field.deserialize(value, name, values)  # the field's own, its validators included
            else:
                if type(value) is not (int if convert is WHOLE else str):
                    raise _Unusual
                if convert is UUID:
                    value = uuid.UUID(value)
                elif convert is ISO_DATE:
                    value = date.fromisoformat(value)
                for validator in field.validators:
                    validator(value)
            data[name] = value
        for check in self.schema_checks:
            check(data, partial=None, many=False, unknown=self.schema.unknown)
        return data


def _converter(field: fields.Field) -> str | None:
    """How the quick path takes the field's value (None: by the field's own deserialize)."""
    if type(field) is fields.String:
        return TEXT
    if type(field) is fields.UUID:
        return UUID
    if type(field) is fields.Date and field.format in (None, "iso", "iso8601"):
        return ISO_DATE
    if type(field) is fields.Integer:
        return WHOLE
    return None


class _Unusual(Exception):
    """Input the quick checks leave to the schema."""
