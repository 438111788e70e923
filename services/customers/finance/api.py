"""Billing import and the financial summary under /api/v1/customers.

``POST /billing/imports`` takes a JSON batch of one kind of billing record (level 1, company-wide);
``GET /<customer_id>/financial-summary`` is the card's "Fin. info", in the caller's reach."""
from __future__ import annotations

import uuid

from flask import current_app

from services.customers.finance import queries
from services.customers.finance.schemas import BillingImportResultSchema, BillingImportSchema, FinancialSummarySchema
from services.customers.finance.use_cases import import_billing
from services.customers.repository import get_customer
from services.customers.settings import CustomersSettings
from services.kit.app import current_principal, new_uow, service_context
from services.kit.db import utcnow
from services.kit.http import install_id_converter
from services.kit.input import Blueprint

blp = Blueprint("finance", __name__, url_prefix="/api/v1/customers",
                description="Financial summary: billing import (invoices, payments, deposits, block steps, rates)")
install_id_converter(blp)


def _settings() -> CustomersSettings:
    return current_app.extensions.get("customers", CustomersSettings())


@blp.post("/billing/imports")
@blp.arguments(BillingImportSchema, example={"kind": "invoices", "rows": [
    {"invoice_number": "F-2026-000123", "customer_code": "C-100234", "issue_date": "2026-11-01", "due_date": "2026-11-20",
     "amount": "185000.00", "currency": "COP", "paid_amount": "0"}]})
@blp.response(200, BillingImportResultSchema)
@blp.alt_response(422, description="Invalid rows, each with its line (its position in rows, from 1); nothing "
                                   "imported unless partial")
def import_billing_rows(data):
    """Import a batch of invoices, payments, deposits, financial-block steps or exchange rates (to the
    reporting currency), idempotent on their natural keys (invoice number; payment or deposit
    reference; customer, step and day; currency and day). Invoices created or changed emit
    receivable.recorded.v1, paid-off ones receivable.settled.v1. Level 1 only."""
    settings = _settings()
    rows = data["rows"]
    result = import_billing(new_uow, principal=current_principal(), kind=data["kind"],
                            rows=lambda: enumerate(rows, start=1), partial=data["partial"],
                            reporting_currency=settings.reporting_currency, batch_size=settings.import_batch_size)
    return result.__dict__


@blp.get("/<id:customer_id>/financial-summary")
@blp.response(200, FinancialSummarySchema)
def financial_summary(customer_id: uuid.UUID):
    """Seed 004's "Fin. info": balance, open receivables with due dates, debt, deposits, block steps and
    ARPU (mean of the last three invoices) in the account's currency and the reporting currency."""
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id, card=False)
        return queries.financial_summary(session, customer, reporting_currency=_settings().reporting_currency,
                                         today=utcnow().date())
