"""Administration of reminder concepts (permission manage_reminders, seed 001): a reminder some days
before an invoice is due, or a notice some days after; each saved with the If-Match of its version."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console.admin.common import listed, refusal, require
from gateway.console.blueprint import blp
from gateway.console.words import problem_text

PERMISSION = "manage_reminders"
KIND_NAMES = {"before_due": _l("Before the due date"), "after_due": _l("After the due date (overdue)")}


def render_reminders(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    return render_template("admin/reminders.html", concepts=listed(g.api.every("notifications/reminders/concepts")),
                           kinds=KIND_NAMES, errors=errors or {}, values=values or {"kind": "before_due"}), status


def _posted(form) -> dict:
    days = form.get("days", "").strip()
    return {"description": form.get("description", "").strip(), "days": int(days) if days.isdigit() else days or None,
            "kind": form.get("kind", "")}


@blp.get("/admin/reminders")
def admin_reminders():
    require(PERMISSION)
    return render_reminders()


@blp.post("/admin/reminders")
def admin_add_reminder():
    require(PERMISSION)
    body = _posted(request.form)
    answer = g.api.call("POST", "notifications/reminders/concepts", json=body)
    if not answer.ok:
        return render_reminders(status=422, errors={"new": refusal(answer)}, values=body)
    flash(_("The reminder %(name)s is added.", name=body["description"]), "success")
    return redirect(url_for("console.admin_reminders"))


@blp.post("/admin/reminders/<uuid:concept_id>")
def admin_save_reminder(concept_id):
    require(PERMISSION)
    if "delete" in request.form:
        answer = g.api.call("DELETE", f"notifications/reminders/concepts/{concept_id}",
                            if_match=f'"{request.form.get("version", "")}"')
        flash(_("The reminder is removed.") if answer.ok else problem_text(answer), "success" if answer.ok else "error")
        return redirect(url_for("console.admin_reminders"))
    body = _posted(request.form)
    answer = g.api.call("PUT", f"notifications/reminders/concepts/{concept_id}", json=body,
                        if_match=f'"{request.form.get("version", "")}"')
    if not answer.ok:
        return render_reminders(status=412 if answer.status == 412 else 422, errors={str(concept_id): refusal(answer)})
    flash(_("The reminder %(name)s is saved.", name=body["description"]), "success")
    return redirect(url_for("console.admin_reminders"))
