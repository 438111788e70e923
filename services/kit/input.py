"""Hostile input refused once for every service: every view's arguments go through this parser.

Bodies: JSON only (another content type with a body is a 415), no duplicate keys, no nesting
deeper than MAX_DEPTH (400). Text, in bodies and query strings, field by field against the
schema: control characters are refused (tab and newline only in fields marked MULTILINE), as are
the invisible characters that reorder or hide text (bidirectional overrides and isolates,
zero-width space, word joiner, byte-order mark) outside multi-line text; everything is stored in
Unicode NFC, so "é" typed either way is one name and one search key. A string without its own
length rule is capped, and so is a list. A refusal is a 422 naming each field; nothing is changed.
"""
from __future__ import annotations

import json
import unicodedata
from functools import cache
from typing import Any

import flask_smorest
from marshmallow import Schema, ValidationError, fields, missing, validate
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

MULTILINE = {"multiline": True}
MAX_DEPTH = 32
MAX_TEXT = 10_000
MAX_ITEMS = 1_000
LINE_BREAKS = frozenset("\t\n\r")
# Format characters that hide or reorder what a reader sees (Trojan Source); joiners (U+200C/D),
# which some scripts and emoji need, are kept.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key '{key}' appears twice in one object")
        seen[key] = value
    return seen


def _depth(value, limit: int) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def strict_json(raw: bytes) -> Any:
    """The body as JSON, or a 400 saying why not."""
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise BadRequest("The body is not UTF-8.") from None
    except RecursionError:
        raise BadRequest(f"The JSON is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from None
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise BadRequest(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    return value


def text_problem(text: str, *, multiline: bool) -> str | None:
    """Why this text cannot be stored (None: it can)."""
    for char in text:
        if char in LINE_BREAKS:
            if not multiline:
                return "Line breaks and tabs are not allowed here."
        elif unicodedata.category(char) in ("Cc", "Cs"):
            return f"The control character U+{ord(char):04X} is not allowed."
        elif char in INVISIBLE and not multiline:
            return f"The invisible character U+{ord(char):04X} is not allowed here."
    return None


def _has_length_rule(field: fields.Field) -> bool:
    rules = field.validators
    return any(isinstance(rule, (validate.Length, validate.OneOf, validate.Regexp)) or
               isinstance(rule, validate.And) for rule in rules)


def _clean(value, field: fields.Field | None, errors: dict, key) -> Any:
    """``value`` with its text normalised, or the reason recorded in ``errors[key]``."""
    if isinstance(value, str):
        multiline = field is None or bool(field.metadata.get("multiline"))
        problem = text_problem(value, multiline=multiline)
        if problem is None and len(value) > MAX_TEXT and (field is None or not _has_length_rule(field)):
            problem = f"Longer than {MAX_TEXT} characters."
        if problem:
            errors[key] = [problem]
            return value
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        if len(value) > MAX_ITEMS and (field is None or not _has_length_rule(field)):
            errors[key] = [f"More than {MAX_ITEMS} items."]
            return value
        inner = field.inner if isinstance(field, fields.List) else None
        nested: dict = {}
        cleaned = [_clean(item, inner, nested, index) for index, item in enumerate(value)]
        if nested:
            errors[key] = nested
        return cleaned
    if isinstance(value, dict):
        nested = {}
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            cleaned = clean_payload(value, field.schema, nested)
        else:
            value_field = field.value_field if isinstance(field, fields.Dict) else None
            cleaned = {}
            for name, item in value.items():
                if isinstance(name, str) and text_problem(name, multiline=False):
                    nested[name] = ["The key has a character that is not allowed."]
                    continue
                cleaned[name] = _clean(item, value_field, nested, name)
        if nested:
            errors[key] = nested
        return cleaned
    return value


def clean_payload(data: dict, schema: Schema, errors: dict) -> dict:
    """Each member of ``data`` cleaned against the schema field it fills (unknown members as text
    of no field: the schema refuses them afterwards)."""
    by_key = {field.data_key or name: field for name, field in schema.fields.items() if not field.dump_only}
    return {key: _clean(value, by_key.get(key), errors, key) for key, value in data.items()}


@cache
def _schema_instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


class StrictParser(FlaskParser):
    """webargs' Flask parser with the rules of this module in front of the schema."""

    def _get_schema(self, argmap, req) -> Schema:
        """One instance per schema class, made on first use: webargs would build one (a deep copy of
        its declared fields) on every request. A marshmallow schema keeps no state between loads."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _schema_instance(argmap)
        return super()._get_schema(argmap, req)

    def load_json(self, req, schema: Schema):
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise UnsupportedMediaType("Send the body as application/json.")
            return missing
        raw = req.get_data(cache=True)
        if not raw:
            return missing
        data = strict_json(raw)
        if isinstance(data, dict):
            errors: dict = {}
            data = clean_payload(data, schema, errors)
            if errors:
                raise ValidationError(errors)
        return data

    def load_querystring(self, req, schema: Schema):
        errors, cleaned = {}, MultiDict()
        for key, value in req.args.items(multi=True):
            problem = text_problem(value, multiline=False) or text_problem(key, multiline=False)
            if problem:
                errors[key] = [problem]
            cleaned.add(key, unicodedata.normalize("NFC", value))
        if errors:
            raise ValidationError(errors)
        return self._makeproxy(cleaned, schema)


class Blueprint(flask_smorest.Blueprint):
    """The Blueprint every service's API uses: its arguments go through :class:`StrictParser`."""

    ARGUMENTS_PARSER = StrictParser()
