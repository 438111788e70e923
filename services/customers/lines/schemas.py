"""Request and response shapes of subscriber lines."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.customers.lines.models import LINE_STATUSES, SERVICE_TYPES
from services.customers.normalisation import PHONE_RULE, iccid_error

PHONE_TEXT = validate.Length(min=1, max=40)
ICCID = {"pattern": "^89[0-9]{17,18}$",
         "description": "The SIM serial: 19 or 20 digits starting 89, the last a Luhn check digit."}
PIN = validate.Regexp(r"^[0-9]{4,8}$", error="A PIN has 4 to 8 digits.")


def _text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


class LineCreateSchema(Schema):
    number = fields.String(required=True, validate=PHONE_TEXT, metadata={
        **PHONE_RULE, "description": PHONE_RULE["description"] + " One live line per number."})
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "blocked")))
    service_type = fields.String(load_default="voice", validate=validate.OneOf(SERVICE_TYPES))
    network_standard = _text(20, load_default="")
    iccid = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=22), metadata=ICCID)
    activated_on = fields.Date(load_default=None)
    tariff_plan = _text(80, required=True, min_length=1)
    tariff_effective_on = fields.Date(load_default=None)
    pin = fields.String(load_default=None, validate=PIN)
    billing_group = _text(40, load_default="")

    @validates("iccid")
    def _iccid(self, value: str | None, **_kwargs) -> None:
        if value is not None and (error := iccid_error(value)):
            raise ValidationError(error)


class LineUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(LINE_STATUSES))
    service_type = fields.String(validate=validate.OneOf(SERVICE_TYPES))
    network_standard = _text(20)
    iccid = fields.String(allow_none=True, validate=validate.Length(max=22), metadata=ICCID)
    tariff_plan = _text(80, min_length=1)
    tariff_effective_on = fields.Date()
    billing_group = _text(40)

    @validates("iccid")
    def _iccid(self, value: str | None, **_kwargs) -> None:
        if value is not None and (error := iccid_error(value)):
            raise ValidationError(error)


class PinSchema(Schema):
    pin = fields.String(required=True, validate=PIN)


class TariffPlanSchema(Schema):
    tariff_plan = fields.String()
    effective_on = fields.Date()
    recorded_at = fields.AwareDateTime()


class LineSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    status = fields.String()
    status_changed_at = fields.AwareDateTime()
    service_type = fields.String()
    network_standard = fields.String()
    iccid = fields.String(allow_none=True)
    activated_on = fields.Date()
    tariff_plan = fields.String()
    tariff_effective_on = fields.Date()
    billing_group = fields.String()
    has_pin = fields.Boolean()
    pin_locked_until = fields.AwareDateTime(allow_none=True, metadata={
        "description": "While set, the PIN check is locked after too many wrong PINs."})
    tariff_history = fields.List(fields.Nested(TariffPlanSchema))


class PinVerificationSchema(Schema):
    valid = fields.Boolean()
    attempts_left = fields.Integer(metadata={"description": "Wrong PINs left before the check locks."})
    locked_until = fields.AwareDateTime(allow_none=True)
