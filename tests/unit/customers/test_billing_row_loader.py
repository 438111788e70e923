"""The billing import's cheap row loader gives exactly what the row schema's load gives: the same
values for a good row, the same ValidationError for a bad one."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.customers.finance.schemas import ROW_SCHEMAS, RowLoader

GOOD = {"invoice_number": "F-1", "customer_code": "C-1", "issue_date": "2026-01-02", "due_date": "2026-01-22",
        "amount": "100.5", "currency": "COP"}
ROWS = [
    ("invoices", GOOD),
    ("invoices", GOOD | {"paid_amount": "100.50"}),
    ("invoices", GOOD | {"amount": 7}),
    ("invoices", GOOD | {"paid_amount": "200"}),
    ("invoices", GOOD | {"due_date": "2025-12-31"}),
    ("invoices", GOOD | {"issue_date": "2026-02-30"}),
    ("invoices", GOOD | {"amount": 1.5}),
    ("invoices", GOOD | {"currency": "cop", "invoice_number": "F" * 41}),
    ("invoices", GOOD | {"customer_code": 12}),
    ("invoices", GOOD | {"color": "red"}),
    ("invoices", {key: value for key, value in GOOD.items() if key != "amount"}),
    ("invoices", GOOD | {"invoice_number": None}),
    ("payments", {"reference": "P-1", "customer_code": "C-1", "paid_on": "2026-01-02", "amount": "5",
                  "currency": "USD"}),
    ("payments", {"reference": "P-1", "customer_code": "C-1", "paid_on": "2026-01-02", "amount": "5",
                  "currency": "USD", "invoice_number": None}),
    ("block_steps", {"customer_code": "C-1", "step": "2", "action": "partial block", "scheduled_on": "2026-01-02",
                     "lifted_on": "2026-01-03"}),
    ("block_steps", {"customer_code": "C-1", "step": "12", "action": "x", "scheduled_on": "2026-01-02"}),
    ("exchange_rates", {"date": "2026-01-02", "currency": "COP", "rate": "0.00025"}),
    ("exchange_rates", {"date": "2026-01-02", "currency": "COP", "rate": "0"}),
]


@pytest.mark.parametrize(("kind", "row"), ROWS)
def test_the_loader_answers_as_the_schema_does(kind, row):
    schema = ROW_SCHEMAS[kind]()
    try:
        expected = schema.load(row)
    except ValidationError as error:
        with pytest.raises(ValidationError) as raised:
            RowLoader(schema).load(row)
        assert raised.value.normalized_messages() == error.normalized_messages()
    else:
        assert RowLoader(schema).load(row) == expected
