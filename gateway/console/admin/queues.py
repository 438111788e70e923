"""Administration of queues over /api/v1/queues: name, department, supervisor, business calendar,
claim time, SLA targets per priority and members (a member is a user holding the queue, changed on
the user through the directory API); and the business calendars (working days, hours with their
breaks, holidays). Each change carries the If-Match of the record the form showed."""
from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.account import ZONES
from gateway.console.admin.common import listed, read_version, refusal, require
from gateway.console.blueprint import blp
from gateway.console.forms import blank_to_none
from gateway.console.i18n import chosen_time_zone

PERMISSION = "manage_queues"
PRIORITIES = ("urgent", "high", "normal", "low")
HOUR_ROWS = 4  # working intervals of a day: three breaks are room enough
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _options(items: list, label: str = "name") -> list:
    return [(item["id"], item[label]) for item in items]


def _choices() -> dict:
    users = [user for user in listed(g.api.every("directory/users")) if user["is_active"]]
    return {"departments": _options(listed(g.api.every("directory/departments"))),
            "people": _options(users, "full_name"), "users": users,
            "calendars": _options(listed(g.api.every("queues/calendars")))}


def _number(value: str | None):
    value = blank_to_none(value)
    return int(value) if value is not None and value.isdigit() else value


def _posted_queue(form) -> dict:
    return {"name": form.get("name", "").strip(), "department_id": blank_to_none(form.get("department_id")),
            "supervisor_id": blank_to_none(form.get("supervisor_id")),
            "calendar_id": blank_to_none(form.get("calendar_id")), "claim_minutes": _number(form.get("claim_minutes"))}


@blp.get("/admin/queues")
def admin_queues():
    require(PERMISSION)
    return render_queues()


def render_queues(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    choices = _choices()
    choices.pop("users")
    names = {str(code): name for key in ("departments", "people", "calendars") for code, name in choices[key]}
    return render_template("admin/queues.html", queues=listed(g.api.every("queues")), names=names,
                           errors=errors or {}, values=values or {}, **choices), status


@blp.post("/admin/queues")
def admin_create_queue():
    require(PERMISSION)
    body = _posted_queue(request.form) | {"code": request.form.get("code", "").strip()}
    answer = g.api.call("POST", "queues", json=body)
    if not answer.ok:
        return render_queues(status=422, errors=refusal(answer, conflict_field="code"), values=body)
    flash(_("The queue %(name)s is added. Set its SLA targets and members here.", name=body["name"]), "success")
    return redirect(url_for("console.admin_queue", queue_id=answer.body["id"]))


def _get(path: str):
    answer = g.api.get(path)
    if not answer.ok:
        abort(404)
    return answer


def render_queue(queue_id, *, status: int = 200, errors: dict | None = None, values: dict | None = None,
                 sla_errors: dict | None = None, sla_values: dict | None = None, member_errors: dict | None = None):
    answer = _get(f"queues/{queue_id}")
    queue = answer.body
    saved_sla = {policy["priority"]: policy for policy in queue["sla_policies"]}
    choices = _choices()
    # The directory is where membership is kept: the queue's own list follows it by events, a moment later.
    members = [user for user in choices.pop("users") if queue["code"] in user["queues"]]
    member_ids = {str(user["id"]) for user in members}
    return render_template(
        "admin/queue.html", queue=queue, members=members, etag=answer.etag, values=values or queue, errors=errors or {},
        priorities=PRIORITIES, sla=sla_values or saved_sla, sla_errors=sla_errors or {},
        member_errors=member_errors or {},
        candidates=[(code, name) for code, name in choices["people"] if str(code) not in member_ids], **choices), status


@blp.get("/admin/queues/<uuid:queue_id>")
def admin_queue(queue_id):
    require(PERMISSION)
    return render_queue(queue_id)


@blp.post("/admin/queues/<uuid:queue_id>")
def admin_save_queue(queue_id):
    require(PERMISSION)
    body = _posted_queue(request.form)
    answer = g.api.call("PATCH", f"queues/{queue_id}", json=body, if_match=read_version())
    if not answer.ok:
        return render_queue(queue_id, status=412 if answer.status == 412 else 422, errors=refusal(answer),
                            values=None if answer.status == 412 else body)
    flash(_("The queue %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_queue", queue_id=queue_id))


def _posted_sla(form) -> tuple[list, dict]:
    """One policy per priority with a target; a priority left empty has none."""
    policies, shown = [], {}
    for priority in PRIORITIES:
        item = {"priority": priority, "acceptance_minutes": _number(form.get(f"{priority}_acceptance")),
                "resolution_minutes": _number(form.get(f"{priority}_resolution")),
                "warning_percent": _number(form.get(f"{priority}_warning")) or 80}
        shown[priority] = item
        if item["acceptance_minutes"] is not None or item["resolution_minutes"] is not None:
            policies.append(item)
    return policies, shown


@blp.post("/admin/queues/<uuid:queue_id>/sla")
def admin_save_sla(queue_id):
    """Replaces the targets per priority, in business minutes of the queue's calendar."""
    require(PERMISSION)
    policies, shown = _posted_sla(request.form)
    answer = g.api.call("PUT", f"queues/{queue_id}/sla", json={"policies": policies}, if_match=read_version())
    if not answer.ok:
        return render_queue(queue_id, status=422, sla_errors=_sla_errors(answer, policies), sla_values=shown)
    flash(_("The SLA targets are saved."), "success")
    return redirect(url_for("console.admin_queue", queue_id=queue_id, _anchor="sla"))


def _sla_errors(answer, policies: list) -> dict:
    """``errors.policies.<n>.<field>`` back to the cell of its priority's row."""
    names = {"acceptance_minutes": "acceptance", "resolution_minutes": "resolution", "warning_percent": "warning"}
    nested = answer.nested_errors("policies")
    errors: dict = {}
    if isinstance(nested, dict):
        for position, messages in nested.items():
            if str(position).isdigit() and int(position) < len(policies) and isinstance(messages, dict):
                priority = policies[int(position)]["priority"]
                for name, texts in messages.items():
                    errors[f"{priority}_{names.get(name, name)}"] = texts if isinstance(texts, list) else [texts]
            else:
                errors.setdefault("_", []).extend(messages if isinstance(messages, list) else [str(messages)])
        return errors
    if isinstance(nested, list):
        return {"_": nested}
    return refusal(answer)


@blp.post("/admin/queues/<uuid:queue_id>/members")
def admin_queue_members(queue_id):
    """Adds or removes a member: the user's queues change through the directory with the user's version."""
    require(PERMISSION)
    queue = _get(f"queues/{queue_id}").body
    user_id = request.form.get("add") or request.form.get("remove")
    if not user_id:
        return render_queue(queue_id, status=422, member_errors={"add": [_("Choose a person.")]})
    person = g.api.get(f"directory/users/{user_id}")
    if not person.ok:
        return render_queue(queue_id, status=422, member_errors={"add": [_("Choose a person.")]})
    held = [code for code in person.body["queues"] if code != queue["code"]]
    if "add" in request.form:
        held.append(queue["code"])
    answer = g.api.call("PATCH", f"directory/users/{user_id}", json={"queues": held}, if_match=person.etag)
    if not answer.ok:
        return render_queue(queue_id, status=422, member_errors={"add": refusal(answer).get("queues") or
                                                                       [text for texts in refusal(answer).values() for text in texts]})
    flash(_("%(name)s is now a member of the queue.", name=person.body["full_name"]) if "add" in request.form
          else _("%(name)s is no longer a member of the queue.", name=person.body["full_name"]), "success")
    return redirect(url_for("console.admin_queue", queue_id=queue_id, _anchor="members"))


# Business calendars -------------------------------------------------------------------------------

def _posted_calendar(form) -> tuple[dict, dict]:
    """The calendar as the API takes it, and any mistakes the form itself can name."""
    errors = {}
    hours = []
    for index in range(HOUR_ROWS):
        start, end = form.get(f"start_{index}", "").strip(), form.get(f"end_{index}", "").strip()
        if start or end:
            hours.append({"start": start, "end": end})
    holidays = [line.strip() for line in re.split(r"[\s,;]+", form.get("holidays", "")) if line.strip()]
    wrong = [day for day in holidays if not DATE.match(day)]
    if wrong:
        errors["holidays"] = [_("Write each holiday as YYYY-MM-DD: %(days)s", days=", ".join(wrong))]
    body = {"name": form.get("name", "").strip(), "time_zone": form.get("time_zone", "").strip(),
            "working_days": [int(day) for day in form.getlist("working_days") if day.isdigit()],
            "hours": hours, "holidays": holidays}
    if not body["working_days"]:
        errors["working_days"] = [_("Choose at least one working day.")]
    if not hours:
        errors["hours"] = [_("Give the working hours of a day.")]
    return body, errors


def _calendar_errors(answer) -> dict:
    errors = refusal(answer, conflict_field="code")
    for key in list(errors):
        if key.startswith(("hours.", "holidays.", "working_days.")):
            errors.setdefault(key.split(".", 1)[0], []).extend(errors.pop(key))
    return errors


@blp.get("/admin/calendars")
def admin_calendars():
    require(PERMISSION)
    return render_calendar(None)


def render_calendar(calendar_id, *, status: int = 200, errors: dict | None = None, values: dict | None = None):
    calendar, etag = None, None
    if calendar_id is not None:
        answer = _get(f"queues/calendars/{calendar_id}")
        calendar, etag = answer.body, answer.etag
    defaults = {"time_zone": chosen_time_zone(), "working_days": [0, 1, 2, 3, 4],
                "hours": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}], "holidays": []}
    return render_template("admin/calendars.html", calendars=listed(g.api.every("queues/calendars")),
                           calendar=calendar, etag=etag, values=values or calendar or defaults, errors=errors or {},
                           hour_rows=HOUR_ROWS, zones=ZONES), status


@blp.post("/admin/calendars")
def admin_create_calendar():
    require(PERMISSION)
    body, errors = _posted_calendar(request.form)
    body["code"] = request.form.get("code", "").strip()
    if errors:
        return render_calendar(None, status=422, errors=errors, values=body)
    answer = g.api.call("POST", "queues/calendars", json=body)
    if not answer.ok:
        return render_calendar(None, status=422, errors=_calendar_errors(answer), values=body)
    flash(_("The calendar %(name)s is added.", name=body["name"]), "success")
    return redirect(url_for("console.admin_calendar", calendar_id=answer.body["id"]))


@blp.get("/admin/calendars/<uuid:calendar_id>")
def admin_calendar(calendar_id):
    require(PERMISSION)
    return render_calendar(calendar_id)


@blp.post("/admin/calendars/<uuid:calendar_id>")
def admin_save_calendar(calendar_id):
    require(PERMISSION)
    body, errors = _posted_calendar(request.form)
    if errors:
        return render_calendar(calendar_id, status=422, errors=errors, values=body)
    answer = g.api.call("PATCH", f"queues/calendars/{calendar_id}", json=body, if_match=read_version())
    if not answer.ok:
        return render_calendar(calendar_id, status=412 if answer.status == 412 else 422,
                               errors=_calendar_errors(answer), values=None if answer.status == 412 else body)
    flash(_("The calendar %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_calendar", calendar_id=calendar_id))
