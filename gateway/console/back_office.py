"""Back office: my queues with depth and oldest age, take next, the case page with only the actions
allowed now, comments, tasks and timeline, the personal folder and the case search."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.blueprint import blp
from gateway.console.forms import INPUT_TYPES, blank_to_none, case_errors, custom_values, local_instant
from gateway.console.front_office import dispatch_and_show
from gateway.console.inbox import start_unread_count
from gateway.console.words import PRIORITY_NAMES, problem_text

FOLDER_SORTS = ("priority", "-age", "age", "number", "-number")
CASE_STATUSES = ("open", "open_dispatch", "open_reject", "closed")


@blp.get("/queues")
def queues():
    start_unread_count()
    answer = g.api.every("queues/statistics")
    return render_template("queues.html", queues=answer.body if answer.ok else [])


@blp.post("/queues/take-next")
def take_next():
    queue = blank_to_none(request.form.get("queue"))
    answer = g.api.call("POST", "cases/take-next", json={"queue": queue})
    if answer.status == 204:
        flash(_("Nothing is waiting in your queues right now."), "info")
        return redirect(url_for("console.queues"))
    if not answer.ok:
        flash(problem_text(answer), "error")
        return redirect(url_for("console.queues"))
    flash(_("Case %(number)s is now yours.", number=answer.body["number"]), "success")
    return redirect(url_for("console.case_page", case_id=answer.body["id"]))


def _people() -> dict:
    """Names for the user ids a case page shows, from the directory the user may read."""
    answer = g.api.every("directory/users")
    return {user["id"]: user["full_name"] for user in (answer.body if answer.ok else [])}


def render_case(case_id: str, *, status: int = 200, errors: dict | None = None, values: dict | None = None):
    answer = g.api.get(f"cases/{case_id}")
    if answer.status in (403, 404):
        abort(404)
    if not answer.ok:
        abort(answer.status)
    case = answer.body
    comments = g.api.every(f"cases/{case_id}/comments")
    tasks = g.api.every(f"cases/{case_id}/tasks")
    timeline = g.api.every(f"cases/{case_id}/timeline")
    case_type = g.api.get(f"case-types/{case['type']['id']}") if case.get("type") else None
    people = _people()
    members = (g.api.every(f"queues/{case['queue']['id']}/members") if "assign" in case.get("allowed_actions", [])
               else None)
    missing = {item["name"] for item in case.get("missing_fields", [])}
    return render_template(
        "case.html", case=case, etag=answer.etag, comments=comments.body if comments.ok else [],
        tasks=tasks.body if tasks.ok else [], timeline=timeline.body if timeline.ok else [],
        form=case_type.body["form"] if case_type is not None and case_type.ok else [], missing=missing,
        people=people, members=members.body if members is not None and members.ok else [], errors=errors or {}, values=values or case.get("custom_fields") or {},
        input_types=INPUT_TYPES, task_titles={t["id"]: t["title"] for t in (tasks.body if tasks.ok else [])},
    ), status


@blp.get("/cases/<uuid:case_id>")
def case_page(case_id):
    return render_case(str(case_id))


@blp.post("/cases/<uuid:case_id>/save")
def save_case(case_id):
    """Save the form (owner, open or returned); "save and dispatch" sends it on when complete."""
    case = g.api.get(f"cases/{case_id}")
    if not case.ok:
        abort(404)
    form_definition = g.api.get(f"case-types/{case.body['type']['id']}").body["form"] if case.body.get("type") else []
    form = request.form
    body = {"subject": form.get("subject", "").strip(), "description": form.get("description", "").strip(),
            "custom_fields": custom_values(form_definition, form)}
    if form.get("priority"):
        body["priority"] = form["priority"]
    answer = g.api.call("PATCH", f"cases/{case_id}", json=body, if_match=form.get("etag"))
    if answer.status == 412:
        flash(_("Someone else saved this case while you were editing it. Here is the saved version; "
                "please make your change again."), "error")
        return redirect(url_for("console.case_page", case_id=case_id))
    if not answer.ok:
        errors = case_errors(answer)
        return render_case(str(case_id), status=422, errors=errors, values=dict(form))
    if "dispatch" in form:
        return dispatch_and_show(str(case_id), answer.body["version"])
    flash(_("Case saved."), "success")
    return redirect(url_for("console.case_page", case_id=case_id))


ACTION_BODIES = {"reject": "reason", "close": "resolution", "reopen": "reason"}


def _done_message(action: str) -> str:
    return {
        "dispatch": _("Case dispatched to the queue."), "accept": _("You accepted the case."),
        "reject": _("The case went back to its initiator."), "close": _("Case closed."),
        "reopen": _("Case reopened."), "cancel": _("Case cancelled."), "assign": _("Case assigned."),
        "take": _("You took the case: it is in your folder. Accept it to start work."),
    }[action]


@blp.post("/cases/<uuid:case_id>/<any(dispatch, take, accept, reject, close, reopen, cancel, assign):action>")
def case_action(case_id, action):
    form = request.form
    if action == "dispatch":
        return dispatch_and_show(str(case_id), form.get("version"))
    body = {}
    if action in ACTION_BODIES:
        body[ACTION_BODIES[action]] = form.get(ACTION_BODIES[action], "").strip()
    if action == "assign":
        body["assignee_id"] = form.get("assignee_id", "")
    return _post_to_case(case_id, action, body or None, done=lambda answer: _done_message(action))


def _post_to_case(case_id, action: str, body: dict | None, *, done):
    """POST one action to the case with the form's version as If-Match, and come back to the case:
    refusals at their fields (named ``<action>_<field>``), a stale version or any other problem in
    a notice, and ``done(answer)``'s message on success."""
    version = request.form.get("version")
    answer = g.api.call("POST", f"cases/{case_id}/{action}", json=body, if_match=f'"{version}"' if version else None)
    if answer.status == 412:
        flash(_("Someone else changed this case a moment ago. Look at it again before you act."), "error")
    elif answer.status == 422 and answer.field_errors:
        return render_case(str(case_id), status=422, errors={f"{action}_{k}": v for k, v in answer.field_errors.items()})
    elif not answer.ok:
        flash(problem_text(answer), "error")
    else:
        flash(done(answer), "success")
    return redirect(url_for("console.case_page", case_id=case_id))


@blp.post("/cases/<uuid:case_id>/priority")
def change_priority(case_id):
    """The queue's supervisor reorders the work: take-next and the SLA targets follow the new priority."""
    return _post_to_case(case_id, "priority", {"priority": request.form.get("priority", "")}, done=lambda answer: _(
        "Priority changed to %(priority)s.", priority=PRIORITY_NAMES[answer.body["priority"]]))


@blp.post("/cases/<uuid:case_id>/comments")
def add_comment(case_id):
    answer = g.api.call("POST", f"cases/{case_id}/comments", json={"body": request.form.get("body", "").strip()})
    if not answer.ok:
        return render_case(str(case_id), status=422, errors={"comment_body": list(answer.field_errors.get("body", [answer.detail]))})
    flash(_("Comment added."), "success")
    return redirect(url_for("console.case_page", case_id=case_id, _anchor="comments"))


@blp.post("/cases/<uuid:case_id>/tasks")
def add_task(case_id):
    form = request.form
    body = {"title": form.get("title", "").strip(), "due_at": local_instant(form.get("due_at")),
            "blocked_by_id": blank_to_none(form.get("blocked_by_id"))}
    answer = g.api.call("POST", f"cases/{case_id}/tasks", json=body)
    if not answer.ok:
        return render_case(str(case_id), status=422,
                           errors={f"task_{k}": v for k, v in (answer.field_errors or {"title": [answer.detail]}).items()})
    flash(_("Task added."), "success")
    return redirect(url_for("console.case_page", case_id=case_id, _anchor="tasks"))


@blp.post("/cases/<uuid:case_id>/tasks/<uuid:task_id>/complete")
def complete_task(case_id, task_id):
    answer = g.api.call("POST", f"cases/{case_id}/tasks/{task_id}/complete")
    if answer.status == 409:
        flash(_("This task waits for another task to be done first."), "error")
    elif not answer.ok:
        flash(problem_text(answer), "error")
    else:
        flash(_("Task done."), "success")
    return redirect(url_for("console.case_page", case_id=case_id, _anchor="tasks"))


@blp.get("/folder")
def folder():
    box = request.args.get("box", "owned")
    sort = request.args.get("sort", "priority")
    start_unread_count()
    answer = g.api.get("cases/folder", box=box, sort=sort if sort in FOLDER_SORTS else "priority",
                       page=request.args.get("page", 1, type=int), per_page=25)
    if not answer.ok:
        abort(404)
    return render_template("folder.html", folder=answer.body, box=box, sort=sort)


@blp.get("/cases")
def case_search():
    args = request.args
    filters = {name: blank_to_none(args.get(name))
               for name in ("number", "customer_code", "line", "q", "queue", "type", "owner_id")}
    statuses = [s for s in args.getlist("status") if s in CASE_STATUSES]
    priorities = [p for p in args.getlist("priority") if p in PRIORITY_NAMES]
    breached = args.get("breached") if args.get("breached") in ("true", "false") else None
    for name in ("created_from", "created_to"):
        filters[name] = local_instant(args.get(name) + "T00:00" if args.get(name) else None)
    searched = any(filters.values()) or statuses or priorities or breached or "go" in args
    results, errors = None, {}
    if searched:
        params = {k: v for k, v in filters.items() if v} | {"page": args.get("page", 1, type=int), "per_page": 25,
                                                           "sort": "-number"}
        if statuses:
            params["status"] = statuses
        if priorities:
            params["priority"] = priorities
        if breached:
            params["breached"] = breached
        answer = g.api.call("GET", "cases", params=params)
        results, errors = (answer.body, {}) if answer.ok else (None, answer.field_errors)
    queues = g.api.every("queues")
    types = g.api.every("case-types")
    return render_template("cases.html", results=results, errors=errors, statuses=statuses, priorities=priorities,
                           breached=breached, people=_people(),
                           queues=queues.body if queues.ok else [], types=types.body if types.ok else [])
