"""QuickLoader answers exactly as its schema does: for billing rows the same values or the same
ValidationError, for event payloads the same errors (none when the payload fits)."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.customers.finance.schemas import ROW_SCHEMAS
from services.kit.contracts import catalogue
from services.kit.quick_load import QuickLoader

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
def test_a_billing_row_loads_as_the_schema_loads_it(kind, row):
    schema = ROW_SCHEMAS[kind]()
    try:
        expected = schema.load(row)
    except ValidationError as error:
        with pytest.raises(ValidationError) as raised:
            QuickLoader(schema).load(row)
        assert raised.value.normalized_messages() == error.normalized_messages()
    else:
        assert QuickLoader(schema).load(row) == expected


CUSTOMER = {"id": "7f0c2f39-4a51-4a3e-9d4b-2c8d1a8e6b10", "code": "C-1", "kind": "person", "name": "Ana",
            "status": "active", "country": "CO", "language": None, "region": None, "branch_id": None, "department_id": None,
            "salesperson_id": None, "preferred_sales_agent_id": "00000000-0000-0000-0000-00000000a6e2",
            "collections_agent_id": None, "created_by": None, "version": 2, "changed": ["customer.name"],
            "lines": [{"id": "00000000-0000-0000-0000-000000000001", "number": "+5712345678", "status": "active"}]}
RECORDED = {"id": "00000000-0000-0000-0000-000000000002", "customer_id": "00000000-0000-0000-0000-000000000003",
            "customer_code": "C-1", "invoice_number": "F-1", "issue_date": "2026-01-02", "due_date": "2026-01-22",
            "previous_due_date": None, "amount": "10.00", "paid_amount": "0.00", "outstanding": "10.00",
            "currency": "COP", "change": "created", "collections_agent_id": None, "version": 1}
PAYLOADS = [
    ("customer.updated.v1", CUSTOMER),
    ("customer.updated.v1", CUSTOMER | {"kind": "robot"}),
    ("customer.updated.v1", CUSTOMER | {"version": 0}),
    ("customer.updated.v1", CUSTOMER | {"version": True}),
    ("customer.updated.v1", CUSTOMER | {"id": "not-a-uuid"}),
    ("customer.updated.v1", CUSTOMER | {"lines": [{"id": "x", "number": "1", "status": "gone"}]}),
    ("customer.updated.v1", CUSTOMER | {"phone": "+5712345678"}),
    ("customer.updated.v1", {key: value for key, value in CUSTOMER.items() if key != "region"}),
    ("receivable.recorded.v1", RECORDED),
    ("receivable.recorded.v1", RECORDED | {"amount": "10.5"}),
    ("receivable.recorded.v1", RECORDED | {"due_date": "2026-02-30", "version": "1"}),
    ("receivable.recorded.v1", RECORDED | {"previous_due_date": "2026-01-01", "customer_code": 5}),
]


@pytest.mark.parametrize(("name", "payload"), PAYLOADS)
def test_an_event_payload_is_checked_as_the_schema_checks_it(name, payload):
    schema = catalogue()[name].payload()
    assert QuickLoader(schema).problems(payload) == schema.validate(payload)
