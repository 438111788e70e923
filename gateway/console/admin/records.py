"""Administration of what the system keeps about itself: the audit log (who did what, when, from
where), API tokens for integrations (the token shown once, never again) and the delivery log of
messages to customers (a failed one sent again). Over the gateway's and notifications' APIs."""
from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console.admin.common import listed, refusal, require
from gateway.console.blueprint import blp, safe_next
from gateway.console.forms import blank_to_none, local_instant
from gateway.console.i18n import chosen_time_zone
from gateway.console.words import problem_text

AUDIT_KIND_NAMES = {
    "login.": _l("Every sign-in event"), "login.succeeded": _l("Signed in"), "login.failed": _l("Wrong password"),
    "login.locked": _l("Sign-in refused while locked"), "logout": _l("Signed out"),
    "authorisation.refused": _l("Refused: no permission"), "branch.created": _l("Branch added"),
    "department.created": _l("Department added"), "user.created": _l("User added"), "user.updated": _l("User changed"),
    "user.unlocked": _l("Sign-in unlocked"), "api_token.created": _l("API token made"),
    "api_token.revoked": _l("API token revoked"),
}
RESOURCE_NAMES = {"customers": _l("Customers"), "cases": _l("Cases and queues"), "notifications": _l("Notifications"),
                  "directory": _l("Directory (users)")}
TOKEN_STATUS_NAMES = {"active": _l("Active"), "expired": _l("Expired"), "revoked": _l("Revoked")}
DELIVERY_STATUS_NAMES = {"pending": _l("Waiting"), "sending": _l("Sending"), "sent": _l("Sent"),
                         "delivered": _l("Delivered"), "failed": _l("Failed")}
DELIVERY_CHANNEL_NAMES = {"email": _l("E-mail"), "sms": "SMS", "whatsapp": "WhatsApp"}
PER_PAGE = 50


@blp.app_template_filter("resource_name")
def resource_name(resource: str) -> str:
    return RESOURCE_NAMES.get(resource, resource)


def _page() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


def _people() -> dict:
    return {str(user["id"]): user for user in listed(g.api.every("directory/users"))}


@blp.get("/admin/audit")
def admin_audit():
    """The audit log, newest first, by kind, person and dates (whole days in the user's time zone)."""
    require("manage_users")
    args = request.args
    filters = {"kind": blank_to_none(args.get("kind")), "actor_username": blank_to_none(args.get("actor")),
               "since": local_instant(blank_to_none(args.get("from")) and args["from"] + "T00:00"),
               "until": local_instant(blank_to_none(args.get("to")) and args["to"] + "T23:59:59")}
    answer = g.api.get("directory/audit", **filters, page=_page(), per_page=PER_PAGE)
    errors = {} if answer.ok else refusal(answer)
    for api_name, form_name in (("since", "from"), ("until", "to"), ("actor_username", "actor")):
        if api_name in errors:
            errors[form_name] = errors.pop(api_name)
    result = answer.body if answer.ok else {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
    return render_template("admin/audit.html", result=result, kinds=AUDIT_KIND_NAMES, errors=errors,
                           people=_people(), time_zone=chosen_time_zone()), 200 if answer.ok else 422


def render_tokens(*, status: int = 200, errors: dict | None = None, values: dict | None = None,
                  created: dict | None = None):
    people = _people()
    response = make_response(render_template(
        "admin/api_tokens.html", tokens=listed(g.api.every("auth/api-tokens")), people=people,
        candidates=[(uid, person["full_name"]) for uid, person in people.items() if person["is_active"]],
        resources=RESOURCE_NAMES, statuses=TOKEN_STATUS_NAMES, errors=errors or {},
        values=values or {"days": 90, "resources": list(RESOURCE_NAMES)}, created=created), status)
    if created:
        response.headers["Cache-Control"] = "no-store"  # the token is on this page only
    return response


@blp.get("/admin/api-tokens")
def admin_api_tokens():
    require("manage_users")
    return render_tokens()


@blp.post("/admin/api-tokens")
def admin_create_api_token():
    """A token for an integration acting as a user, within read-only and resource scopes; the page that
    answers is the only place it is ever shown."""
    require("manage_users")
    form = request.form
    days = form.get("days", "").strip()
    body = {"user_id": blank_to_none(form.get("user_id")), "name": form.get("name", "").strip(),
            "days": int(days) if days.isdigit() else days or None, "read_only": "read_only" in form,
            "resources": form.getlist("resources")}
    answer = g.api.call("POST", "auth/api-tokens", json=body)
    if not answer.ok:
        return render_tokens(status=422, errors=refusal(answer), values=body)
    return render_tokens(status=201, created=answer.body)


@blp.post("/admin/api-tokens/<uuid:token_id>/revoke")
def admin_revoke_api_token(token_id):
    require("manage_users")
    answer = g.api.call("DELETE", f"auth/api-tokens/{token_id}", if_match=request.form.get("etag") or None)
    flash(_("The token %(name)s is revoked: integrations using it are refused from now on.", name=answer.body["name"])
          if answer.ok else problem_text(answer), "success" if answer.ok else "error")
    return redirect(url_for("console.admin_api_tokens"))


@blp.get("/admin/deliveries")
def admin_deliveries():
    """The delivery log: every message to a customer or user, by status, channel, recipient and days."""
    require("manage_users")
    args = request.args
    filters = {name: blank_to_none(args.get(name)) for name in ("status", "channel", "recipient", "from", "to")}
    answer = g.api.get("notifications/deliveries", **filters, tz=chosen_time_zone(), page=_page(), per_page=PER_PAGE)
    result = answer.body if answer.ok else {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
    return render_template("admin/deliveries.html", result=result, errors={} if answer.ok else refusal(answer),
                           statuses=DELIVERY_STATUS_NAMES, channels=DELIVERY_CHANNEL_NAMES), 200 if answer.ok else 422


@blp.post("/admin/deliveries/<uuid:delivery_id>/retry")
def admin_retry_delivery(delivery_id):
    require("manage_users")
    answer = g.api.call("POST", f"notifications/deliveries/{delivery_id}/retry")
    flash(_("The message to %(address)s is sent again.", address=answer.body["address"]) if answer.ok
          else problem_text(answer), "success" if answer.ok else "error")
    return redirect(safe_next(request.form.get("back"), url_for("console.admin_deliveries")))
