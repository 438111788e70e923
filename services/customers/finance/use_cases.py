"""Billing import: invoices, payments, deposits, financial-block steps and exchange rates.

Idempotent on natural keys (an invoice's number, a payment's or a deposit's reference, a block
step's customer, step and day, a rate's currency and day): a row already known as it is changes
nothing and emits nothing. Rows are read as a stream and written in batches, one transaction each.
Without ``partial`` every row is checked first (a streaming pass that writes nothing) and one bad
row refuses the whole import (BillingRowsInvalid, each bad row with its line); with ``partial`` the
good rows are imported and the bad ones reported.

Every invoice created or changed emits receivable.recorded.v1, and one paid off emits
receivable.settled.v1, in the transaction that writes it.
"""
from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Callable, Iterable, Iterator

from marshmallow import ValidationError
from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from services.customers.finance.errors import BillingImportersOnly, BillingRowsInvalid
from services.customers.finance.models import (
    CHANGE_CREATED, BlockStep, Deposit, ExchangeRate, Payment, Receivable,
)
from services.customers.finance.schemas import ROW_SCHEMAS
from services.customers.models import PROSPECT_CODE, Customer, SearchTerm
from services.customers.normalisation import code_key
from services.customers.repository import visible_customers
from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.input import text_problem
from services.kit.problems import Conflict
from services.kit.quick_load import QuickLoader
from services.kit.uow import UnitOfWork

CENTS = Decimal("0.01")
# what the events of an invoice carry of it
ANNOUNCED = ("id", "invoice_number", "issue_date", "due_date", "amount", "paid_amount", "outstanding", "currency",
             "settled_on", "version")
MAX_REPORTED = 1_000  # bad rows listed in one answer; the count covers the rest
Row = tuple[int, dict]  # (line number, the row's values as sent)


@dataclass
class ImportResult:
    kind: str
    received: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, line: int, errors: dict) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append({"line": line, "errors": errors})


@dataclass
class Account:
    id: uuid.UUID
    code: str
    collections_agent_id: uuid.UUID | None


class ConcurrentImport(Conflict):
    type, title = "concurrent-billing-import", "Another import wrote the same records at the same time"


def import_billing(new_uow: Callable[[], UnitOfWork], *, principal: Principal, kind: str,
                   rows: Callable[[], Iterable[Row]], partial: bool, reporting_currency: str,
                   batch_size: int = 500, today: date | None = None) -> ImportResult:
    """Import billing rows of one ``kind``; ``rows()`` gives a fresh stream of (line, values) each time it
    is called (twice without ``partial``). Raises BillingImportersOnly, BillingRowsInvalid."""
    if principal.level != COMPANY:
        raise BillingImportersOnly("Billing data is company-wide: a level 1 user or billing's API token imports it.")
    today = today or utcnow().date()
    importer = _Importer(kind, principal, reporting_currency, today)
    if not partial:
        checked = ImportResult(kind)
        for batch in _batches(rows(), batch_size):
            with new_uow() as uow:
                _good, bad, _known = importer.prepare(uow, batch)
            checked.received += len(batch)
            for line, errors in bad:
                checked.reject(line, errors)
        if checked.rejected_count:
            raise BillingRowsInvalid(
                {"rows": {str(item["line"]): item["errors"] for item in checked.rejected}},
                detail=f"{checked.rejected_count} of {checked.received} rows are invalid; nothing was imported. "
                       "Correct them, or import the good rows alone with partial.",
                rows=checked.rejected, rejected_count=checked.rejected_count)
    result = ImportResult(kind)
    for batch in _batches(rows(), batch_size):
        with new_uow() as uow:
            good, bad, known = importer.prepare(uow, batch, lock=True)
            if bad and not partial:  # changed since the check: stop here rather than import a part
                raise BillingRowsInvalid({"rows": {str(line): errors for line, errors in bad}},
                                         detail="Rows changed meaning while importing; the batch was not written.")
            for line, errors in bad:
                result.reject(line, errors)
            for outcome in importer.apply(uow, good, known):
                setattr(result, outcome, getattr(result, outcome) + 1)
            try:
                uow.commit()
            except IntegrityError:
                raise ConcurrentImport("Another import wrote some of these records meanwhile; run it again "
                                       "(rows already imported will be unchanged).") from None
        result.received += len(batch)
    return result


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def clean_values(values: dict) -> tuple[dict, dict]:
    """A row's text as the API takes any text: no control or invisible characters, NFC; an empty
    cell is an absent value."""
    cleaned, errors = {}, {}
    for key, value in values.items():
        if isinstance(value, str):
            if value.isascii() and value.isprintable():  # nearly every cell: nothing to refuse or normalise
                value = value.strip()
            else:
                problem = text_problem(value, multiline=False)
                if problem:
                    errors[key] = [problem]
                    continue
                value = unicodedata.normalize("NFC", value.strip())
            if value == "":
                continue
        cleaned[key] = value
    return cleaned, errors


class _Importer:
    def __init__(self, kind: str, principal: Principal, reporting_currency: str, today: date) -> None:
        self.kind = kind
        self.rows = QuickLoader(ROW_SCHEMAS[kind]())
        self.principal = principal
        self.reporting_currency = reporting_currency
        self.today = today

    # -- checking ----------------------------------------------------------------------------
    def prepare(self, uow: UnitOfWork, batch: list[Row], *, lock: bool = False) -> tuple[list, list, dict]:
        """Each row parsed and its references resolved: (good [(line, data, account)], bad [(line, errors)],
        the records the rows name by natural key, locked with ``lock`` for the writing that follows)."""
        parsed, bad = [], []
        for line, values in batch:
            if isinstance(values, str):  # what a reader could tell of an unreadable row
                bad.append((line, {"_schema": [values]}))
                continue
            if not isinstance(values, dict):
                bad.append((line, {"_schema": ["A row is an object of the kind's fields."]}))
                continue
            cleaned, errors = clean_values(values)
            try:
                data = self.rows.load(cleaned)
            except ValidationError as error:
                errors = error.normalized_messages() | errors
                data = None
            if errors:
                bad.append((line, errors))
            else:
                parsed.append((line, data))
        accounts = self._accounts(uow, {data["customer_code"] for _line, data in parsed if "customer_code" in data})
        resolved = []
        for line, data in parsed:
            account = None
            if "customer_code" in data:
                account = accounts.get(code_key(data["customer_code"]))
                if account is None or account.code == PROSPECT_CODE:
                    bad.append((line, {"customer_code": ["No such customer."]}))
                    continue
            resolved.append((line, data, account))
        known = self._known(uow, [(data, account) for _line, data, account in resolved], lock=lock)
        good = []
        for line, data, account in resolved:
            errors = self._conflicts(data, account, known.get(self._key(data, account)))
            if errors:
                bad.append((line, errors))
            else:
                good.append((line, data, account))
        bad.sort(key=lambda item: item[0])
        return good, bad, known

    def _accounts(self, uow: UnitOfWork, codes: set[str]) -> dict[str, Account]:
        """Customers by code key, within the importer's reach (missing and out of reach alike)."""
        if not codes:
            return {}
        query = (select(SearchTerm.term, Customer.id, Customer.code, Customer.collections_agent_id)
                 .join(Customer, Customer.id == SearchTerm.customer_id)
                 .where(SearchTerm.kind == "code", SearchTerm.term.in_({code_key(c) for c in codes}),
                        visible_customers(self.principal)))
        return {term: Account(id_, code, agent) for term, id_, code, agent in uow.session.execute(query)}

    def _key(self, data: dict, account: Account | None):
        if self.kind == "invoices":
            return data["invoice_number"]
        if self.kind in ("payments", "deposits"):
            return data["reference"]
        if self.kind == "block_steps":
            return (account.id if account else None, data["step"], data["scheduled_on"])
        return (data["currency"], data["date"])

    def _known(self, uow: UnitOfWork, pairs: list[tuple[dict, Account | None]], *, lock: bool = False) -> dict:
        """The records these rows name, by natural key."""
        if not pairs:
            return {}
        rows = [data for data, _account in pairs]
        session = uow.session
        if self.kind == "invoices":
            query = select(Receivable).where(Receivable.invoice_number.in_({r["invoice_number"] for r in rows}))
            found = {r.invoice_number: r for r in session.scalars(query.with_for_update() if lock else query)}
        elif self.kind in ("payments", "deposits"):
            model = Payment if self.kind == "payments" else Deposit
            query = select(model).where(model.reference.in_({r["reference"] for r in rows}))
            found = {r.reference: r for r in session.scalars(query.with_for_update() if lock else query)}
        elif self.kind == "block_steps":
            query = select(BlockStep).where(BlockStep.customer_id.in_({account.id for _data, account in pairs}),
                                            BlockStep.step.in_({r["step"] for r in rows}))
            found = {(step.customer_id, step.step, step.scheduled_on): step
                     for step in session.scalars(query.with_for_update() if lock else query)}
        else:
            query = select(ExchangeRate).where(
                ExchangeRate.reporting_currency == self.reporting_currency,
                tuple_(ExchangeRate.currency, ExchangeRate.on_date).in_({(r["currency"], r["date"]) for r in rows}))
            found = {(rate.currency, rate.on_date): rate
                     for rate in session.scalars(query.with_for_update() if lock else query)}
        return found

    def _conflicts(self, data: dict, account: Account | None, record) -> dict:
        if self.kind == "exchange_rates":
            if data["currency"] == self.reporting_currency:
                return {"currency": [f"{self.reporting_currency} is the reporting currency: its rate is 1."]}
            return {}
        if record is None:
            return {}
        if record.customer_id != account.id:
            what = "invoice" if self.kind == "invoices" else "record with this reference"
            return {"customer_code": [f"This {what} belongs to another customer."]}
        if self.kind in ("invoices", "payments", "deposits") and record.currency != data["currency"]:
            return {"currency": ["The currency of a recorded amount does not change."]}
        return {}

    # -- writing -----------------------------------------------------------------------------
    def apply(self, uow: UnitOfWork, good: list, known: dict) -> Iterator[str]:
        """Writes the good rows over the ``known`` records (prepare's, locked); yields "created",
        "changed" or "unchanged" for each."""
        if self.kind == "invoices":
            yield from self._invoices(uow, good, known)
            return
        for _line, data, account in good:
            key = self._key(data, account)
            record = known.get(key)
            if record is None:
                record = self._new(data, account)
                uow.session.add(record)
                outcome = "created"
            else:
                outcome = self._update(record, data)
            known[key] = record
            yield outcome

    def _new(self, data: dict, account: Account | None):
        if self.kind == "payments":
            return Payment(id=uuid.uuid4(), reference=data["reference"], customer_id=account.id, paid_on=data["paid_on"],
                           amount=data["amount"], currency=data["currency"], invoice_number=data["invoice_number"])
        if self.kind == "deposits":
            return Deposit(id=uuid.uuid4(), reference=data["reference"], customer_id=account.id,
                           received_on=data["received_on"], amount=data["amount"], currency=data["currency"],
                           returned_on=data["returned_on"])
        if self.kind == "block_steps":
            return BlockStep(id=uuid.uuid4(), customer_id=account.id, step=data["step"], action=data["action"],
                             scheduled_on=data["scheduled_on"], applied_on=data["applied_on"],
                             lifted_on=data["lifted_on"])
        return ExchangeRate(id=uuid.uuid4(), on_date=data["date"], currency=data["currency"],
                            reporting_currency=self.reporting_currency, rate=data["rate"])

    @staticmethod
    def _update(record, data: dict) -> str:
        changed = False
        for key in record.FIELDS:
            if key in data and getattr(record, key) != data[key]:
                setattr(record, key, data[key])
                changed = True
        return "changed" if changed else "unchanged"

    def _invoices(self, uow: UnitOfWork, good: list, known: dict[str, Receivable]) -> Iterator[str]:
        """New invoices are inserted together at the end (one INSERT of many rows); known ones change
        through Receivable.apply. An invoice named twice in one batch is first written, then
        changed as a known one."""
        new: dict[str, dict] = {}  # invoice number -> its first report, not written yet
        for _line, data, account in good:
            number = data["invoice_number"]
            if number in new:
                self._insert(uow, new)
                known |= {receivable.invoice_number: receivable for receivable in uow.session.scalars(
                    select(Receivable).where(Receivable.invoice_number.in_(list(new))))}
                new = {}
            receivable = known.get(number)
            if receivable is None:
                values = new[number] = Receivable.first_report(data, customer_id=account.id, today=self.today)
                self._announce(uow, values, account, CHANGE_CREATED, None, was_open=True)
                yield "created"
                continue
            was_open = receivable.outstanding != 0
            change, previous_due = receivable.apply(data, today=self.today)
            if change is None:
                yield "unchanged"
                continue
            self._announce(uow, {key: getattr(receivable, key) for key in ANNOUNCED}, account, change,
                           previous_due, was_open=was_open)
            yield "changed"
        self._insert(uow, new)

    @staticmethod
    def _insert(uow: UnitOfWork, new: dict[str, dict]) -> None:
        """Write the new invoices: one executemany. ``render_nulls``: a None is sent as NULL rather than
        left out, so that every row has the same columns and the rows are not split into small groups."""
        if new:
            uow.session.execute(insert(Receivable).execution_options(render_nulls=True), list(new.values()))

    @staticmethod
    def _announce(uow: UnitOfWork, receivable: dict, account: Account, change: str,
                  previous_due: date | None, *, was_open: bool) -> None:
        """The events of an invoice written or changed; ``receivable``: its ANNOUNCED values as now."""
        uow.emit("receivable.recorded.v1", {
            "id": receivable["id"], "customer_id": account.id, "customer_code": account.code,
            "invoice_number": receivable["invoice_number"], "issue_date": receivable["issue_date"],
            "due_date": receivable["due_date"], "previous_due_date": previous_due,
            "amount": money(receivable["amount"]), "paid_amount": money(receivable["paid_amount"]),
            "outstanding": money(receivable["outstanding"]), "currency": receivable["currency"], "change": change,
            "collections_agent_id": account.collections_agent_id, "version": receivable["version"]})
        if was_open and receivable["outstanding"] == 0:
            uow.emit("receivable.settled.v1", {
                "id": receivable["id"], "customer_id": account.id, "customer_code": account.code,
                "invoice_number": receivable["invoice_number"], "currency": receivable["currency"],
                "amount": money(receivable["amount"]), "settled_on": receivable["settled_on"],
                "version": receivable["version"]})


def money(value) -> str:
    """An amount as the events carry it: a decimal string with two places ("1234.50")."""
    return format(value.quantize(CENTS), "f")

