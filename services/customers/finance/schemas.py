"""Request and response shapes of the billing import and the financial summary.

One row schema per kind of billing record serves the JSON batch and the CSV command alike (a CSV
cell is text; an empty cell is an absent value). Amounts are decimal strings ("1234.50") or whole
numbers, never binary floats.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

KINDS = ("invoices", "payments", "deposits", "block_steps", "exchange_rates")
_AMOUNT = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$")
_RATE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 currency code such as RUB or USD.")


class DecimalText(fields.Field):
    """A decimal amount given as text ("1234.50") or a whole number; floats are refused so that
    nothing passes through binary arithmetic."""

    def __init__(self, *, pattern: re.Pattern = _AMOUNT, minimum: Decimal | None = Decimal(0),
                 message: str = "A decimal amount with at most two places, such as \"1234.50\".",
                 places: Decimal | None = Decimal("0.01"), **kwargs):
        super().__init__(**kwargs)
        self.pattern, self.minimum, self.message, self.places = pattern, minimum, message, places
        self.metadata.setdefault("type", "string")
        self.metadata.setdefault("pattern", pattern.pattern)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(self.message)
        text = str(value).strip()
        if not self.pattern.match(text):
            raise ValidationError(self.message)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.message) from None
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"At least {self.minimum}.")
        return number.quantize(self.places) if self.places is not None else number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value, "f")


def _code(length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=length), **kwargs)


class InvoiceRowSchema(Schema):
    invoice_number = _code(40, required=True)
    customer_code = _code(40, required=True)
    issue_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    amount = DecimalText(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    paid_amount = DecimalText(load_default=Decimal("0"))

    @validates_schema
    def _consistent(self, data: dict, **_kwargs) -> None:
        errors = {}
        if data.get("issue_date") and data.get("due_date") and data["due_date"] < data["issue_date"]:
            errors["due_date"] = ["The due date cannot come before the issue date."]
        if data.get("amount") is not None and data.get("paid_amount") is not None \
                and data["paid_amount"] > data["amount"]:
            errors["paid_amount"] = ["The paid amount cannot exceed the invoice's amount."]
        if errors:
            raise ValidationError(errors)


class PaymentRowSchema(Schema):
    reference = _code(60, required=True)
    customer_code = _code(40, required=True)
    paid_on = fields.Date(required=True)
    amount = DecimalText(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    invoice_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))


class DepositRowSchema(Schema):
    reference = _code(60, required=True)
    customer_code = _code(40, required=True)
    received_on = fields.Date(required=True)
    amount = DecimalText(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    returned_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data: dict, **_kwargs) -> None:
        if data.get("returned_on") and data.get("received_on") and data["returned_on"] < data["received_on"]:
            raise ValidationError({"returned_on": ["A deposit is returned after it was received."]})


class BlockStepRowSchema(Schema):
    customer_code = _code(40, required=True)
    step = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=9))
    action = _code(100, required=True)
    scheduled_on = fields.Date(required=True)
    applied_on = fields.Date(load_default=None, allow_none=True)
    lifted_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data: dict, **_kwargs) -> None:
        if data.get("lifted_on") and not data.get("applied_on"):
            raise ValidationError({"lifted_on": ["Only an applied step is lifted."]})
        if data.get("lifted_on") and data.get("applied_on") and data["lifted_on"] < data["applied_on"]:
            raise ValidationError({"lifted_on": ["A step is lifted after it was applied."]})


class ExchangeRateRowSchema(Schema):
    date = fields.Date(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    rate = DecimalText(required=True, pattern=_RATE, minimum=None, places=None,
                       message="A positive decimal rate, such as \"0.0109\" (reporting currency per unit).")

    @validates_schema
    def _positive(self, data: dict, **_kwargs) -> None:
        if data.get("rate") is not None and data["rate"] <= 0:
            raise ValidationError({"rate": ["A rate is greater than zero."]})


ROW_SCHEMAS: dict[str, type[Schema]] = {
    "invoices": InvoiceRowSchema, "payments": PaymentRowSchema, "deposits": DepositRowSchema,
    "block_steps": BlockStepRowSchema, "exchange_rates": ExchangeRateRowSchema,
}
REQUIRED_COLUMNS = {kind: [name for name, field in schema().fields.items() if field.required]
                    for kind, schema in ROW_SCHEMAS.items()}


def _row_columns(kind: str) -> str:
    optional = [name for name, field in ROW_SCHEMAS[kind]().fields.items() if not field.required]
    return ", ".join(REQUIRED_COLUMNS[kind]) + (f" (optional: {', '.join(optional)})" if optional else "")


ROWS_DOC = ("The records, each an object of the kind's columns: "
            + "; ".join(f"{kind}: {_row_columns(kind)}" for kind in KINDS)
            + ". Dates are YYYY-MM-DD; amounts decimal text with at most two places (\"1234.50\") or whole "
              "numbers, never floats; currencies ISO 4217 (COP, USD). A due date is not before its issue date, "
              "a paid amount not above the invoice's, a deposit returned after it was received, a block step "
              "lifted only once applied and after it; exchange rates are above zero.")


class BillingImportSchema(Schema):
    """A batch of billing records of one kind. The rows are checked one by one against the kind's row
    shape (each bad row reported with its line: its position in ``rows``, from 1)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    partial = fields.Boolean(load_default=False, metadata={
        "description": "Import the good rows and report the bad ones (default: a bad row stops the batch)."})
    rows = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=10_000),
                       metadata={"description": ROWS_DOC})


class RejectedRowSchema(Schema):
    line = fields.Integer()
    errors = fields.Dict()


class BillingImportResultSchema(Schema):
    kind = fields.String()
    received = fields.Integer()
    created = fields.Integer()
    changed = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.List(fields.Nested(RejectedRowSchema))
    rejected_count = fields.Integer()


# -- the financial summary ---------------------------------------------------------------------
class MoneySchema(Schema):
    amount = DecimalText(allow_none=True)
    currency = fields.String(allow_none=True)


class ReceivableSchema(Schema):
    id = fields.UUID()
    invoice_number = fields.String()
    issue_date = fields.Date()
    due_date = fields.Date()
    amount = DecimalText()
    paid_amount = DecimalText()
    outstanding = DecimalText()
    currency = fields.String()
    is_overdue = fields.Boolean()
    settled_on = fields.Date(allow_none=True)
    version = fields.Integer()


class PaymentSchema(Schema):
    reference = fields.String()
    paid_on = fields.Date()
    amount = DecimalText()
    currency = fields.String()
    invoice_number = fields.String(allow_none=True)


class DepositSchema(Schema):
    reference = fields.String()
    received_on = fields.Date()
    amount = DecimalText()
    currency = fields.String()
    returned_on = fields.Date(allow_none=True)


class BlockStepSchema(Schema):
    step = fields.Integer()
    action = fields.String()
    scheduled_on = fields.Date()
    applied_on = fields.Date(allow_none=True)
    lifted_on = fields.Date(allow_none=True)
    is_in_force = fields.Boolean()


class ArpuSchema(Schema):
    amount = DecimalText(allow_none=True)
    currency = fields.String(allow_none=True)
    invoices = fields.List(fields.String(), metadata={"description": "The invoices averaged (the last three)."})


class ReportingSchema(Schema):
    currency = fields.String()
    rate = DecimalText(allow_none=True, pattern=_RATE, minimum=None)
    rate_date = fields.Date(allow_none=True)
    balance = DecimalText(allow_none=True, minimum=None)
    debt = DecimalText(allow_none=True)
    deposits = DecimalText(allow_none=True)
    arpu = DecimalText(allow_none=True)


class FinancialSummarySchema(Schema):
    customer_id = fields.UUID()
    customer_code = fields.String()
    currency = fields.String(allow_none=True, metadata={"description": "The account's currency (of its latest invoice)."})
    balance = DecimalText(minimum=None, metadata={"description": "Paid minus invoiced: negative when it owes."})
    debt = DecimalText(metadata={"description": "Outstanding on invoices past their due date."})
    outstanding = DecimalText(metadata={"description": "Outstanding on every open invoice."})
    deposits_held = DecimalText()
    arpu = fields.Nested(ArpuSchema)
    reporting = fields.Nested(ReportingSchema)
    open_receivables = fields.List(fields.Nested(ReceivableSchema))
    latest_invoices = fields.List(fields.Nested(ReceivableSchema))
    latest_payments = fields.List(fields.Nested(PaymentSchema))
    deposits = fields.List(fields.Nested(DepositSchema))
    block_steps = fields.List(fields.Nested(BlockStepSchema))
