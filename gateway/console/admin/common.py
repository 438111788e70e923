"""What every administration page shares: who may open it, the version a form was read at, and an
API refusal turned into messages at the form's fields."""
from __future__ import annotations

from babel.dates import get_day_names
from flask import g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden

from gateway.console.blueprint import blp
from gateway.console.words import LINE_STATUS_NAMES, PRIORITY_NAMES, problem_text

PERMISSION_NAMES = {
    "edit_customers": _l("Edit customer master data"),
    "bulk_change_sales_agent": _l("Change the preferred sales agent in bulk"),
    "delete_notes": _l("Delete notes (company level only)"),
    "manage_queues": _l("Manage queues and case types"),
    "manage_reminders": _l("Manage reminders"),
    "manage_templates": _l("Manage message templates"),
    "manage_users": _l("Manage users, branches and departments"),
}
ADMIN_PERMISSIONS = ("manage_users", "manage_queues", "manage_templates", "manage_reminders")


def may_administer(user: dict | None) -> bool:
    """Whether the navigation shows Administration: any of the permissions its pages need."""
    return bool(user) and any(name in user.get("permissions", []) for name in ADMIN_PERMISSIONS)


class NotAdministrator(Forbidden):
    """The user lacks the page's permission (the console hides the page; the API refuses too)."""


def require(permission: str) -> None:
    if permission not in g.user.get("permissions", []):
        raise NotAdministrator()


@blp.errorhandler(NotAdministrator)
def _not_allowed(_error):
    return render_template("error.html", title=_("This page is not for your account"),
                           message=_("This part of the administration needs a permission your account does not "
                                     "have. Ask an administrator if you need it.")), 403


@blp.app_context_processor
def _admin_globals():
    return {"may_administer": may_administer(g.get("user")), "PERMISSION_NAMES": PERMISSION_NAMES}


def require_company_level() -> None:
    """Pages over what the API lets only level 1 change (catalogues, dead letters)."""
    if g.user.get("level") != 1:
        raise NotAdministrator()


def read_version() -> str | None:
    """The ETag of the record as the form showed it, sent back as If-Match: a change someone else
    saved in between is refused (412) instead of overwritten."""
    return request.form.get("etag") or None


def refusal(answer, *, conflict_field: str | None = None) -> dict:
    """An API refusal as messages per form field; ``_`` holds what belongs to no field."""
    if answer.status == 412:
        return {"_": [_("Someone changed this record after you opened it. The page now shows what is saved: "
                        "make your change again.")]}
    if answer.status == 409 and conflict_field:
        return {conflict_field: [answer.detail]}
    errors = answer.field_errors
    if "_schema" in errors:
        errors["_"] = errors.pop("_schema")
    return errors or {"_": [problem_text(answer)]}


def listed(answer) -> list:
    return answer.body if answer.ok and isinstance(answer.body, list) else []

@blp.app_template_filter("weekday_name")
def weekday_name(day: int) -> str:
    """0 (Monday) to 6 (Sunday) in the user's language."""
    return get_day_names("wide", locale=get_locale())[int(day)]


@blp.app_template_filter("zone_option")
def zone_option(zone: str) -> tuple:
    return zone, zone.replace("_", " ")


@blp.app_template_filter("priority_option")
def priority_option(priority: str) -> tuple:
    return priority, PRIORITY_NAMES.get(priority, priority)


@blp.app_template_filter("line_status_option")
def line_status_option(status: str) -> tuple:
    return status, LINE_STATUS_NAMES.get(status, status)
