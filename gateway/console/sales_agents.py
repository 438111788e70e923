"""Bulk change of preferred sales agent (seed 001): each agent with the customers they hold, a
"change to" per agent (blank keeps), the preview of what would move, the confirmation and the
result. Only for users with the permission bulk_change_sales_agent; the customers API decides."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import Forbidden

from gateway.console.blueprint import blp
from gateway.console.card_sections import directory_people
from gateway.console.words import problem_text

PERMISSION = "bulk_change_sales_agent"


def _require_permission() -> None:
    if PERMISSION not in g.user.get("permissions", []):
        raise NoPermission()


class NoPermission(Forbidden):
    """The user lacks bulk_change_sales_agent (the console hides the page; the API refuses too)."""


@blp.errorhandler(NoPermission)
def _not_allowed(_error):
    return render_template("error.html", title=_("This page is not for your account"),
                           message=_("Changing the preferred sales agent of many customers at once needs a "
                                     "permission your account does not have. Ask an administrator if you need it.")), 403


def _agents() -> list[dict]:
    answer = g.api.every("customers/sales-agents")
    if answer.status == 403:
        raise NoPermission()
    return answer.body if answer.ok and isinstance(answer.body, list) else []


def _names(agents: list[dict], people: list[dict]) -> dict:
    return {str(agent["agent_id"]): agent.get("name") for agent in agents} | {p["id"]: p["full_name"] for p in people}


def render_agents(*, chosen: dict | None = None, errors: dict | None = None, status: int = 200):
    agents, people = _agents(), directory_people()
    return render_template("sales_agents.html", agents=agents, people=people, chosen=chosen or {},
                           errors=errors or {}, names=_names(agents, people)), status


@blp.get("/sales-agents")
def sales_agents():
    _require_permission()
    return render_agents()


@blp.post("/sales-agents/preview")
def preview_sales_agent_change():
    """The moves chosen (blank keeps the agent) proposed to the API, which counts who would move."""
    _require_permission()
    chosen = {key.removeprefix("to_"): value for key, value in request.form.items()
              if key.startswith("to_") and value}
    if not chosen:
        return render_agents(errors={"_": [_("Choose a new agent for at least one of the agents.")]}, status=422)
    moves = [{"from_agent_id": old, "to_agent_id": new} for old, new in chosen.items()]
    answer = g.api.call("POST", "customers/sales-agent-changes", json={"moves": moves})
    if not answer.ok:
        errors = {}
        for name, messages in answer.field_errors.items():
            parts = name.split(".")  # moves.<index>.to_agent_id
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(moves):
                errors[moves[int(parts[1])]["from_agent_id"]] = messages
            else:
                errors["_"] = messages
        return render_agents(chosen=chosen, errors=errors or {"_": [problem_text(answer)]}, status=422)
    _remember(answer.body)
    return redirect(url_for("console.sales_agent_change", change_id=answer.body["id"]))


@blp.get("/sales-agents/changes/<uuid:change_id>")
def sales_agent_change(change_id):
    """The preview (proposed) with its confirmation, or the result (confirmed)."""
    _require_permission()
    change = _remembered(change_id)
    agents, people = _agents(), directory_people()
    return render_template("sales_agent_change.html", change=change, names=_names(agents, people))


def _remembered(change_id) -> dict:
    """The customers API has no read of a change: the page shows what the proposal or the
    confirmation answered, kept in the session for the latest change."""
    change = session.get("sales_agent_change")
    if not change or change.get("id") != str(change_id):
        abort(404)
    return change


@blp.post("/sales-agents/changes/<uuid:change_id>/confirm")
def confirm_sales_agent_change(change_id):
    _require_permission()
    answer = g.api.call("POST", f"customers/sales-agent-changes/{change_id}/confirm")
    if not answer.ok:
        flash(problem_text(answer), "error")
        return redirect(url_for("console.sales_agent_change", change_id=change_id))
    _remember(answer.body)
    moved = answer.body.get("moved") or 0
    flash(ngettext("%(num)s customer now has a new preferred sales agent.",
                   "%(num)s customers now have a new preferred sales agent.", moved), "success")
    return redirect(url_for("console.sales_agent_change", change_id=change_id))


def _remember(change: dict) -> None:
    session["sales_agent_change"] = change

