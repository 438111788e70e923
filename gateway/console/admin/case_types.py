"""Administration of case types over /api/v1/case-types: name, target queue, default priority, the
form builder of their custom fields (type, label, required, choices, order) and the routing rules
that send a case elsewhere by region, priority or line status. Changes carry the If-Match read."""
from __future__ import annotations

import re
import unicodedata

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console.admin.common import listed, read_version, refusal, require
from gateway.console.blueprint import blp
from gateway.console.forms import blank_to_none
from gateway.console.words import problem_text

PERMISSION = "manage_queues"
PRIORITIES = ("urgent", "high", "normal", "low")
FIELD_TYPE_NAMES = {
    "string": _l("Short text"), "text": _l("Long text"), "integer": _l("Whole number"), "decimal": _l("Decimal number"),
    "boolean": _l("Yes or no"), "date": _l("Date"), "datetime": _l("Date and time"), "choice": _l("Choice from a list"),
    "email": _l("E-mail address"), "phone": _l("Phone number"),
}
NEW_FIELD_ROWS = 3  # blank rows under the form's fields: a three-field form is made in one save
LINE_STATUSES = ("active", "blocked", "deactivated")


def _queue_options() -> list:
    return [(queue["code"], queue["name"]) for queue in listed(g.api.every("queues"))]


def _get(case_type_id):
    answer = g.api.get(f"case-types/{case_type_id}")
    if not answer.ok:
        abort(404)
    return answer


@blp.get("/admin/case-types")
def admin_case_types():
    require(PERMISSION)
    return render_case_types()


def render_case_types(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    return render_template("admin/case_types.html", case_types=listed(g.api.every("case-types")),
                           queues=_queue_options(), priorities=PRIORITIES, errors=errors or {},
                           values=values or {"default_priority": "normal"}), status


@blp.post("/admin/case-types")
def admin_create_case_type():
    require(PERMISSION)
    form = request.form
    body = {"code": form.get("code", "").strip(), "name": form.get("name", "").strip(), "queue": form.get("queue", ""),
            "default_priority": form.get("default_priority", "normal")}
    answer = g.api.call("POST", "case-types", json=body)
    if not answer.ok:
        return render_case_types(status=422, errors=refusal(answer, conflict_field="code"), values=body)
    flash(_("The case type %(name)s is added. Now build its form.", name=body["name"]), "success")
    return redirect(url_for("console.admin_case_type", case_type_id=answer.body["id"], _anchor="form"))


def render_case_type(case_type_id, *, status: int = 200, errors: dict | None = None, values: dict | None = None,
                     rows: list | None = None, row_errors: dict | None = None, builder_errors: dict | None = None,
                     rule_errors: dict | None = None,
                     rule_values: dict | None = None):
    answer = _get(case_type_id)
    case_type = answer.body
    if rows is None:
        rows = [_row_of(item, position) for position, item in enumerate(case_type["form"], start=1)]
        rows += [{"order": len(rows) + index, "type": "string", "new": True} for index in range(1, NEW_FIELD_ROWS + 1)]
    return render_template(
        "admin/case_type.html", case_type=case_type, etag=answer.etag, values=values or case_type,
        errors=errors or {}, rows=rows, row_errors=row_errors or {}, builder_errors=builder_errors or {}, field_types=FIELD_TYPE_NAMES,
        queues=_queue_options(), priorities=PRIORITIES, line_statuses=LINE_STATUSES,
        rule_errors=rule_errors or {}, rule_values=rule_values or {}), status


def _row_of(item: dict, order: int) -> dict:
    return {"name": item["name"], "label": item["label"], "type": item["type"], "required": item.get("required", False),
            "choices": "\n".join(item.get("choices") or []), "order": order}


@blp.get("/admin/case-types/<uuid:case_type_id>")
def admin_case_type(case_type_id):
    require(PERMISSION)
    return render_case_type(case_type_id)


@blp.post("/admin/case-types/<uuid:case_type_id>")
def admin_save_case_type(case_type_id):
    require(PERMISSION)
    form = request.form
    body = {"name": form.get("name", "").strip(), "queue": form.get("queue", ""),
            "default_priority": form.get("default_priority", "normal"), "is_active": "is_active" in form}
    answer = g.api.call("PATCH", f"case-types/{case_type_id}", json=body, if_match=read_version())
    if not answer.ok:
        return render_case_type(case_type_id, status=412 if answer.status == 412 else 422, errors=refusal(answer),
                                values=None if answer.status == 412 else body)
    flash(_("The case type %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_case_type", case_type_id=case_type_id))


def field_name_of(label: str) -> str:
    """A new field's name from its label when none is typed: "Fecha de entrega" -> fecha_de_entrega."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:40].rstrip("_")
    return name if name[:1].isalpha() else (f"field_{name}" if name else "")


def _posted_rows(form) -> list[dict]:
    rows = []
    for index in range(int(form.get("rows", "0") or 0)):
        def value(name: str) -> str:
            return form.get(f"{name}_{index}", "").strip()
        row = {"index": index, "name": value("name"), "label": value("label"), "type": value("type") or "string",
               "required": f"required_{index}" in form, "choices": form.get(f"choices_{index}", ""),
               "order": value("order"), "remove": f"remove_{index}" in form, "new": f"new_{index}" in form}
        if row["new"] and not (row["name"] or row["label"]):
            continue  # a blank row left blank
        if row["new"] and not row["name"]:
            row["name"] = field_name_of(row["label"])
        rows.append(row)
    return rows


def _order_key(row: dict):
    order = row["order"]
    return (0, int(order), row["index"]) if order.lstrip("-").isdigit() else (1, 0, row["index"])


@blp.post("/admin/case-types/<uuid:case_type_id>/form")
def admin_save_form(case_type_id):
    """The whole form as the builder shows it, in the order given, without the rows marked to remove."""
    require(PERMISSION)
    rows = sorted(_posted_rows(request.form), key=_order_key)
    kept = [row for row in rows if not row["remove"]]
    definition = []
    for row in kept:
        item = {"name": row["name"], "label": row["label"], "type": row["type"], "required": row["required"]}
        choices = [line.strip() for line in re.split(r"[\n;]+", row["choices"]) if line.strip()]
        if choices or row["type"] == "choice":
            item["choices"] = choices
        definition.append(item)
    answer = g.api.call("PATCH", f"case-types/{case_type_id}", json={"form": definition}, if_match=read_version())
    if answer.status == 412:
        return render_case_type(case_type_id, status=412, builder_errors=refusal(answer))
    if not answer.ok:
        return render_case_type(case_type_id, status=422, rows=rows, row_errors=_row_errors(answer, kept),
                                builder_errors=_form_level_errors(answer))
    flash(_("The form is saved. Fields in it: %(count)s.", count=len(definition)), "success")
    return redirect(url_for("console.admin_case_type", case_type_id=case_type_id, _anchor="form"))


def _row_errors(answer, kept: list[dict]) -> dict:
    """``errors.form.<n>.<field>`` of the definition sent, at the row it came from."""
    form_errors = answer.nested_errors("form")
    found = {}
    if isinstance(form_errors, dict):
        for position, messages in form_errors.items():
            if str(position).isdigit() and int(position) < len(kept) and isinstance(messages, dict):
                found[kept[int(position)]["index"]] = {name: texts if isinstance(texts, list) else [texts]
                                                       for name, texts in messages.items()}
    return found


def _form_level_errors(answer) -> dict:
    form_errors = answer.nested_errors("form")
    if isinstance(form_errors, list):
        return {"_": form_errors}
    if isinstance(form_errors, dict):  # rows are shown at their row; a whole-form rule (names repeat) here
        texts = [text for key, value in form_errors.items() if not str(key).isdigit()
                 for text in (value if isinstance(value, list) else [str(value)])]
        return {"_": texts} if texts else {}
    return refusal(answer)


@blp.post("/admin/case-types/<uuid:case_type_id>/routing-rules")
def admin_add_routing_rule(case_type_id):
    require(PERMISSION)
    form = request.form
    body = {"region": blank_to_none(form.get("region")), "priority": blank_to_none(form.get("priority")),
            "line_status": blank_to_none(form.get("line_status")), "queue": form.get("rule_queue", "")}
    position = blank_to_none(form.get("position"))
    if position is not None:
        body["position"] = int(position) if position.isdigit() else position
    answer = g.api.call("POST", f"case-types/{case_type_id}/routing-rules", json=body)
    if not answer.ok:
        errors = refusal(answer)
        if "queue" in errors:
            errors["rule_queue"] = errors.pop("queue")
        return render_case_type(case_type_id, status=422, rule_errors=errors,
                                rule_values=body | {"rule_queue": body["queue"], "position": position})
    flash(_("The routing rule is added."), "success")
    return redirect(url_for("console.admin_case_type", case_type_id=case_type_id, _anchor="routing"))


@blp.post("/admin/case-types/<uuid:case_type_id>/routing-rules/<uuid:rule_id>/delete")
def admin_remove_routing_rule(case_type_id, rule_id):
    require(PERMISSION)
    answer = g.api.call("DELETE", f"case-types/{case_type_id}/routing-rules/{rule_id}", if_match=read_version())
    if answer.ok:
        flash(_("The routing rule is removed."), "success")
    else:  # a stale page (someone changed the rules since) says so in plain words
        flash(refusal(answer)["_"][0] if answer.status == 412 else problem_text(answer), "error")
    return redirect(url_for("console.admin_case_type", case_type_id=case_type_id, _anchor="routing"))
