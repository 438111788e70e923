"""Reports (seed 001): the notes report with every filter of the customers API — customer, branch,
department, author, dates — "last three per customer" and "group by department", paged on screen
and downloaded as .xlsx, streamed from the customers service as it is written."""
from __future__ import annotations

from flask import abort, g, render_template, request
from flask_babel import gettext as _

from gateway.console.blueprint import blp
from gateway.console.card_sections import pass_on
from gateway.console.i18n import chosen_time_zone
from gateway.console.words import problem_text

PAGE_SIZE = 25
# The console's filter names and the API's: the customer is typed as its code, the API takes its id.
ID_FILTERS = ("branch_id", "department_id", "author_id")


def _customer_by_code(code: str) -> tuple[dict | None, str | None]:
    answer = g.api.get("customers/search", q=code, by="code", per_page=5)
    found = [item for item in (answer.body or {}).get("items", []) if item["code"].casefold() == code.casefold()] \
        if answer.ok else []
    if len(found) != 1:
        return None, _("No customer you can reach has this code.")
    return found[0], None


def report_filters(args) -> tuple[dict, dict, dict | None]:
    """(the API's query, errors found here, the customer chosen) from the page's query string."""
    query: dict = {"tz": chosen_time_zone()}
    errors: dict = {}
    customer = None
    for name in ID_FILTERS:
        if args.get(name):
            query[name] = args[name]
    for name in ("from", "to"):
        if args.get(name):
            query[name] = args[name]
    if args.get("last_three"):
        query["last_three"] = "true"
    if args.get("group_by") == "department":
        query["group_by"] = "department"
    code = args.get("customer", "").strip()
    if code:
        customer, problem = _customer_by_code(code)
        if customer is None:
            errors["customer"] = [problem]
        else:
            query["customer_id"] = customer["id"]
    return query, errors, customer


def _choices() -> dict:
    """Branches, departments and people of the directory the user may filter by."""
    lists = {name: g.api.every(f"directory/{name}") for name in ("branches", "departments", "users")}
    return {name: sorted((item for item in answer.body if isinstance(item, dict)),
                         key=lambda item: (item.get("name") or item.get("full_name") or "").casefold())
            if answer.ok and isinstance(answer.body, list) else [] for name, answer in lists.items()}


@blp.get("/reports/notes")
def notes_report():
    args = request.args
    choices = _choices()
    asked = "go" in args or any(args.get(name) for name in ("customer", *ID_FILTERS, "from", "to"))
    query, errors, customer = report_filters(args)
    report, status = None, 200
    if asked and not errors:
        answer = g.api.get("customers/notes-report", page=args.get("page", 1, type=int), per_page=PAGE_SIZE, **query)
        if answer.ok:
            report = answer.body
        else:
            errors = {("customer" if name == "customer_id" else name): messages
                      for name, messages in answer.field_errors.items()} or {"_": [problem_text(answer)]}
    if errors:
        status = 422
    departments = {item["id"]: item["name"] for item in choices["departments"]}
    return render_template("notes_report.html", report=report, errors=errors, asked=asked, choices=choices,
                           departments=departments, customer=customer,
                           download_args={k: v for k, v in args.items() if k not in ("page", "go") and v}), status


@blp.get("/reports/notes.xlsx")
def notes_report_xlsx():
    """The whole report (same filters, no paging) from the customers service, passed on as it streams."""
    query, errors, _customer = report_filters(request.args)
    if errors:
        abort(422)
    upstream = g.api.stream("customers/notes-report.xlsx", params=query,
                            accept="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if upstream.status_code >= 400:
        upstream.close()
        abort(404 if upstream.status_code in (403, 404) else upstream.status_code)
    return pass_on(upstream)
