"""Turning posted HTML forms into API bodies: blanks become null, a case type's custom fields get
their types, and a local date and time becomes an instant in the user's time zone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.console.i18n import chosen_time_zone

INPUT_TYPES = {"string": "text", "text": "textarea", "integer": "number", "decimal": "text", "boolean": "checkbox",
               "date": "date", "datetime": "datetime-local", "choice": "select", "email": "email", "phone": "tel"}


def blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def local_instant(value: str | None) -> str | None:
    """``2026-12-01T17:30`` typed in the user's zone, as the aware ISO instant the API wants."""
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(chosen_time_zone())).isoformat()
    except ValueError:
        return value  # the API names the field as not a valid date


def custom_values(definition: list[dict], form) -> dict:
    """Values of a case type's form as the cases API reads them; left-empty fields are not sent, so
    a draft can be saved incomplete and dispatch lists what is missing."""
    values = {}
    for item in definition:
        name, kind = item["name"], item["type"]
        key = f"cf_{name}"
        if kind == "boolean":
            values[name] = key in form
            continue
        raw = blank_to_none(form.get(key))
        if raw is None:
            continue
        if kind == "integer":
            values[name] = int(raw) if raw.lstrip("-").isdigit() else raw
        elif kind == "datetime":
            values[name] = local_instant(raw)
        else:
            values[name] = raw
    return values


def case_errors(answer) -> dict:
    """The API's field errors for a case form, a case type's own fields under their form names."""
    errors = answer.field_errors or {"_": [answer.detail]}
    custom = (answer.body or {}).get("errors", {}).get("custom_fields")
    if isinstance(custom, dict):
        errors.update({f"cf_{name}": messages for name, messages in custom.items()})
    return errors
