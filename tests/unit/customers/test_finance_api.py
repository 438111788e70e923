"""The financial summary through the API on SQLite: billing import (JSON batch and the CSV command)
idempotent on natural keys, bad rows with their lines and nothing imported unless partial, the
receivable events in the agreed shape, and the card's figures with ARPU in two currencies."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from caredesk import cli
from services.customers.finance.csv_import import run
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A

TODAY = date.today()
RECORDED_FIELDS = {"id", "customer_id", "customer_code", "invoice_number", "issue_date", "due_date",
                   "previous_due_date", "amount", "paid_amount", "outstanding", "currency", "change",
                   "collections_agent_id", "version"}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def invoice(number: str, code: str, *, issued: int = -40, due: int = -10, amount: str = "1000.00",
            currency: str = "RUB", paid: str = "0.00") -> dict:
    return {"invoice_number": number, "customer_code": code, "issue_date": day(issued), "due_date": day(due),
            "amount": amount, "currency": currency, "paid_amount": paid}


@pytest.fixture
def send(client, admin):
    def post(kind: str, rows: list, *, partial: bool = False, headers=None):
        return client.post("/api/v1/customers/billing/imports", headers=headers or admin[1],
                           json={"kind": kind, "rows": rows, "partial": partial})
    return post


def receivable_events(outbox) -> list[tuple[str, dict]]:
    return [(key, data) for key, data in outbox() if key.startswith("receivable.")]


def test_invoices_import_once_and_announce_each_change(send, make_customer, outbox):
    customer = make_customer(collections_agent_id=None)
    first = send("invoices", [invoice("F-1", customer["code"]), invoice("F-2", customer["code"], paid="1000.00")])
    assert first.status_code == 200, first.get_json()
    assert {k: first.get_json()[k] for k in ("received", "created", "changed", "unchanged", "rejected")} == {
        "received": 2, "created": 2, "changed": 0, "unchanged": 0, "rejected": []}
    events = receivable_events(outbox)
    assert [(key, data["invoice_number"], data.get("change")) for key, data in events] == [
        ("receivable.recorded.v1", "F-1", "created"), ("receivable.recorded.v1", "F-2", "created"),
        ("receivable.settled.v1", "F-2", None)]
    recorded = events[0][1]
    assert set(recorded) == RECORDED_FIELDS
    assert recorded | {"id": None} == {
        "id": None, "customer_id": customer["id"], "customer_code": customer["code"], "invoice_number": "F-1",
        "issue_date": day(-40), "due_date": day(-10), "previous_due_date": None, "amount": "1000.00",
        "paid_amount": "0.00", "outstanding": "1000.00", "currency": "RUB", "change": "created",
        "collections_agent_id": None, "version": 1}
    assert events[2][1] | {"id": None} == {"id": None, "customer_id": customer["id"], "customer_code": customer["code"],
                                           "invoice_number": "F-2", "currency": "RUB", "amount": "1000.00",
                                           "settled_on": TODAY.isoformat(), "version": 1}

    again = send("invoices", [invoice("F-1", customer["code"]), invoice("F-2", customer["code"], paid="1000.00")])
    assert (again.get_json()["created"], again.get_json()["unchanged"]) == (0, 2)
    assert len(receivable_events(outbox)) == 3, "a row known as it is emits nothing"

    moved = send("invoices", [invoice("F-1", customer["code"], due=5)])
    assert moved.get_json()["changed"] == 1
    key, data = receivable_events(outbox)[-1]
    assert (key, data["change"], data["previous_due_date"], data["due_date"], data["version"]) == (
        "receivable.recorded.v1", "due_date_changed", day(-10), day(5), 2)

    paid = send("invoices", [invoice("F-1", customer["code"], due=5, paid="1000")])
    assert paid.get_json()["changed"] == 1
    (k1, d1), (k2, d2) = receivable_events(outbox)[-2:]
    assert (k1, d1["change"], d1["outstanding"], d1["version"]) == ("receivable.recorded.v1", "payment", "0.00", 3)
    assert (k2, d2["invoice_number"], d2["version"]) == ("receivable.settled.v1", "F-1", 3)



def test_an_invoice_named_twice_in_one_batch_is_created_then_changed(send, make_customer, outbox):
    customer = make_customer(collections_agent_id=None)
    rows = [invoice("F-7", customer["code"]), invoice("F-8", customer["code"]),
            invoice("F-7", customer["code"], paid="1000.00"), invoice("F-8", customer["code"])]
    answer = send("invoices", rows)
    assert answer.status_code == 200, answer.get_json()
    assert {k: answer.get_json()[k] for k in ("created", "changed", "unchanged")} == {
        "created": 2, "changed": 1, "unchanged": 1}
    assert [(key, data["invoice_number"], data.get("change"), data["version"])
            for key, data in receivable_events(outbox)] == [
        ("receivable.recorded.v1", "F-7", "created", 1), ("receivable.recorded.v1", "F-8", "created", 1),
        ("receivable.recorded.v1", "F-7", "payment", 2), ("receivable.settled.v1", "F-7", None, 2)]
    again = send("invoices", rows[2:])
    assert (again.get_json()["created"], again.get_json()["unchanged"]) == (0, 2)

def test_bad_rows_are_reported_by_line_and_nothing_is_imported_unless_partial(send, make_customer, outbox):
    customer = make_customer()
    rows = [invoice("G-1", customer["code"]),
            invoice("G-2", "NO-SUCH-CODE"),
            invoice("G-3", customer["code"], amount="12.345"),
            invoice("G-4", customer["code"], issued=0, due=-1),
            invoice("G-5", customer["code"], amount=10.5),  # a binary float
            invoice("G-6", customer["code"], paid="2000.00"),
            invoice("G-7", customer["code"]) | {"extra": "x", "currency": "rub"}]
    refused = send("invoices", rows)
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["type"].endswith("/billing-rows-invalid")
    assert [row["line"] for row in problem["rows"]] == [2, 3, 4, 5, 6, 7]
    assert set(problem["errors"]["rows"]) == {"2", "3", "4", "5", "6", "7"}
    assert problem["errors"]["rows"]["2"] == {"customer_code": ["No such customer."]}
    assert set(problem["errors"]["rows"]["4"]) == {"due_date"}
    assert set(problem["errors"]["rows"]["5"]) == {"amount"}
    assert set(problem["errors"]["rows"]["6"]) == {"paid_amount"}
    assert set(problem["errors"]["rows"]["7"]) == {"extra", "currency"}
    assert receivable_events(outbox) == []

    partial = send("invoices", rows, partial=True)
    assert partial.status_code == 200
    body = partial.get_json()
    assert (body["created"], body["rejected_count"], [r["line"] for r in body["rejected"]]) == (1, 6, [2, 3, 4, 5, 6, 7])
    assert [data["invoice_number"] for _key, data in receivable_events(outbox)] == ["G-1"]


def test_a_conflicting_reimport_is_a_row_error(send, make_customer):
    first, second = make_customer(), make_customer()
    assert send("invoices", [invoice("H-1", first["code"])]).status_code == 200
    refused = send("invoices", [invoice("H-1", second["code"]), invoice("H-1", first["code"], currency="USD")])
    assert refused.get_json()["errors"]["rows"] == {
        "1": {"customer_code": ["This invoice belongs to another customer."]},
        "2": {"currency": ["The currency of a recorded amount does not change."]}}


def test_only_level_1_imports(send, make_customer, headers_for):
    customer = make_customer()
    manager = make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A)
    response = send("invoices", [invoice("I-1", customer["code"])], headers=headers_for(manager))
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/billing-importers-only")


def test_the_card_shows_balance_debt_deposits_steps_and_arpu_in_two_currencies(client, admin, send, make_customer,
                                                                               headers_for):
    customer = make_customer()
    code = customer["code"]
    assert send("invoices", [
        invoice("A-1", code, issued=-120, due=-100, amount="900.00", paid="900.00"),
        invoice("A-2", code, issued=-90, due=-70, amount="1000.00", paid="1000.00"),
        invoice("A-3", code, issued=-60, due=-40, amount="1100.00", paid="600.00"),
        invoice("A-4", code, issued=-30, due=-10, amount="1200.50", paid="0"),
        invoice("A-5", code, issued=-5, due=15, amount="1300.00"),
    ]).status_code == 200
    assert send("payments", [{"reference": "P-1", "customer_code": code, "paid_on": day(-50), "amount": "600.00",
                              "currency": "RUB", "invoice_number": "A-3"}]).status_code == 200
    assert send("deposits", [{"reference": "D-1", "customer_code": code, "received_on": day(-200), "amount": "5000",
                              "currency": "RUB"},
                             {"reference": "D-2", "customer_code": code, "received_on": day(-200), "amount": "700",
                              "currency": "RUB", "returned_on": day(-100)}]).status_code == 200
    assert send("block_steps", [{"customer_code": code, "step": "1", "action": "Warning SMS",
                                 "scheduled_on": day(-8), "applied_on": day(-8)},
                                {"customer_code": code, "step": 2, "action": "Outgoing calls barred",
                                 "scheduled_on": day(3)}]).status_code == 200
    assert send("exchange_rates", [{"date": day(-3), "currency": "RUB", "rate": "0.0110"},
                                   {"date": day(-1), "currency": "RUB", "rate": "0.0125"},
                                   {"date": day(2), "currency": "RUB", "rate": "0.0200"}]).status_code == 200

    response = client.get(f"/api/v1/customers/{customer['id']}/financial-summary", headers=admin[1])
    assert response.status_code == 200, response.get_json()
    summary = response.get_json()
    assert summary["currency"] == "RUB"
    # invoiced 5500.50, paid 2500.00
    assert (summary["balance"], summary["outstanding"], summary["debt"], summary["deposits_held"]) == (
        "-3000.50", "3000.50", "1700.50", "5000.00")
    assert [r["invoice_number"] for r in summary["open_receivables"]] == ["A-3", "A-4", "A-5"]
    assert [(r["due_date"], r["is_overdue"]) for r in summary["open_receivables"]] == [
        (day(-40), True), (day(-10), True), (day(15), False)]
    # ARPU: the last three invoices: (1300 + 1200.50 + 1100) / 3 = 1200.1666… -> 1200.17
    assert summary["arpu"] == {"amount": "1200.17", "currency": "RUB", "invoices": ["A-5", "A-4", "A-3"]}
    # at the latest rate on or before today (0.0125; the rate dated in two days is not used yet)
    assert summary["reporting"] == {"currency": "USD", "rate": "0.0125", "rate_date": day(-1), "arpu": "15.00",
                                    "balance": "-37.51", "debt": "21.26", "deposits": "62.50"}
    assert [(s["step"], s["is_in_force"]) for s in summary["block_steps"]] == [(2, False), (1, True)]
    assert [p["reference"] for p in summary["latest_payments"]] == ["P-1"]
    assert [(d["reference"], d["returned_on"]) for d in summary["deposits"]] == [("D-2", day(-100)), ("D-1", None)]

    outsider = make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A)
    assert client.get(f"/api/v1/customers/{customer['id']}/financial-summary",
                      headers=headers_for(outsider)).status_code == 404


def test_a_customer_without_invoices_has_an_empty_summary(client, admin, make_customer):
    customer = make_customer()
    summary = client.get(f"/api/v1/customers/{customer['id']}/financial-summary", headers=admin[1]).get_json()
    assert (summary["currency"], summary["balance"], summary["arpu"]["amount"], summary["reporting"]["arpu"]) == (
        None, "0.00", None, None)


def test_exchange_rates_and_other_kinds_are_idempotent(send, make_customer):
    customer = make_customer()
    rows = [{"date": day(-1), "currency": "EUR", "rate": "1.08"}]
    assert send("exchange_rates", rows).get_json()["created"] == 1
    assert send("exchange_rates", rows).get_json()["unchanged"] == 1
    assert send("exchange_rates", [rows[0] | {"rate": "1.09"}]).get_json()["changed"] == 1
    refused = send("exchange_rates", [{"date": day(-1), "currency": "USD", "rate": "1"}])
    assert refused.get_json()["errors"]["rows"]["1"]["currency"][0].startswith("USD is the reporting currency")
    deposit = [{"reference": "D-9", "customer_code": customer["code"], "received_on": day(-3), "amount": "10",
                "currency": "RUB"}]
    assert send("deposits", deposit).get_json()["created"] == 1
    assert send("deposits", deposit).get_json()["unchanged"] == 1
    assert send("deposits", [deposit[0] | {"returned_on": day(-1)}]).get_json()["changed"] == 1


# -- the command ------------------------------------------------------------------------------
CSV_HEADER = "invoice_number,customer_code,issue_date,due_date,amount,currency,paid_amount\n"


def test_csv_import_reports_bad_lines_then_imports_the_good_ones_with_partial(app, component_settings, make_customer,
                                                                              outbox, tmp_path):
    customer = make_customer()
    code = customer["code"]
    path = tmp_path / "invoices.csv"
    path.write_text("\ufeff" + CSV_HEADER +
                    f"C-1,{code},{day(-30)},{day(-1)},100.00,RUB,0\n"
                    f"C-2,{code},{day(-30)},not-a-date,100.00,RUB,0\n"
                    "\n"
                    f"C-3,NOPE,{day(-30)},{day(-1)},100.00,RUB,0\n"
                    f"C-4,{code},{day(-30)},{day(-1)},100.00,RUB\n"
                    f"\"C-5\",{code},{day(-20)},{day(5)},\"250.5\",RUB,\n", encoding="utf-8")
    settings = app.extensions["caredesk"].settings
    out, err = io.StringIO(), io.StringIO()
    assert run(path, kind="invoices", partial=False, settings=settings, out=out, err=err) == 1
    lines = err.getvalue().splitlines()
    assert [line.split(":")[1] for line in lines[:3]] == ["3", "5", "6"]
    assert "due_date" in lines[0] and "customer_code" in lines[1] and "cells" in lines[2]
    assert "nothing was imported" in lines[-1]
    assert [key for key, _data in outbox() if key.startswith("receivable.")] == []

    out, err = io.StringIO(), io.StringIO()
    assert run(path, kind="invoices", partial=True, settings=settings, out=out, err=err) == 2
    assert '"created": 2' in out.getvalue() and '"rejected_count": 3' in out.getvalue()
    assert sorted(data["invoice_number"] for key, data in outbox() if key == "receivable.recorded.v1") == ["C-1", "C-5"]

    out = io.StringIO()
    assert run(path, kind="invoices", partial=True, settings=settings, out=out, err=io.StringIO()) == 2
    assert '"created": 0' in out.getvalue() and '"unchanged": 2' in out.getvalue()
    assert len([key for key, _data in outbox() if key == "receivable.recorded.v1"]) == 2


def test_csv_import_refuses_a_header_it_does_not_know(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("invoice,customer\nX,Y\n", encoding="utf-8")
    err = io.StringIO()
    assert run(path, kind="invoices", partial=True, settings=app.extensions["caredesk"].settings, out=io.StringIO(),
               err=err) == 1
    assert "line 1: unknown columns invoice, customer; missing columns" in err.getvalue()


def test_caredesk_import_billing_command_streams_in_batches(app, make_customer, outbox, tmp_path, monkeypatch, capsys):
    customer = make_customer()
    settings = app.extensions["caredesk"].settings
    monkeypatch.setenv("CAREDESK_CUSTOMERS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CAREDESK_CUSTOMERS_IMPORT_BATCH_SIZE", "7")
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write(CSV_HEADER)
        for n in range(50):
            stream.write(f"M-{n:03d},{customer['code']},{day(-30)},{day(-1)},{n}.25,RUB,0\n")
    with pytest.raises(SystemExit) as exited:
        cli.main(["import-billing", str(path)])
    assert exited.value.code == 0
    assert '"created": 50' in capsys.readouterr().out
    assert len([key for key, _data in outbox() if key == "receivable.recorded.v1"]) == 50
