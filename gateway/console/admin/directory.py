"""Administration of the directory: branches, departments and users (level, permissions, queues,
language, disabling, a new password, unlocking a locked sign-in), over /api/v1/directory with If-Match."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.admin.common import PERMISSION_NAMES, listed, may_administer, read_version, refusal, require
from gateway.console.api_client import ServiceDown
from gateway.console.blueprint import blp
from gateway.console.forms import blank_to_none
from gateway.console.i18n import LANGUAGES
from gateway.console.words import problem_text

USER_TEXT_FIELDS = ("full_name", "email")


@blp.get("/admin")
def admin_home():
    if not may_administer(g.user):
        require("manage_users")
    return render_template("admin/index.html")


def _units() -> tuple[list, list]:
    return listed(g.api.every("directory/branches")), listed(g.api.every("directory/departments"))


def render_units(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    branches, departments = _units()
    return render_template("admin/units.html", branches=branches, departments=departments,
                           errors=errors or {}, values=values or {}), status


@blp.get("/admin/units")
def admin_units():
    require("manage_users")
    return render_units()


@blp.post("/admin/units/<any(branches, departments):kind>")
def admin_create_unit(kind: str):
    """A new branch or department: a unique code and a name."""
    require("manage_users")
    values = {"code": request.form.get("code", "").strip(), "name": request.form.get("name", "").strip()}
    answer = g.api.call("POST", f"directory/{kind}", json=values)
    if not answer.ok:
        errors = refusal(answer, conflict_field="code")
        return render_units(status=422, errors={kind: errors}, values={kind: values})
    flash(_("The branch %(name)s is added.", name=values["name"]) if kind == "branches"
          else _("The department %(name)s is added.", name=values["name"]), "success")
    return redirect(url_for("console.admin_units", _anchor=kind))


def _names(items: list) -> dict:
    return {str(item["id"]): item["name"] for item in items}


@blp.get("/admin/users")
def admin_users():
    require("manage_users")
    branches, departments = _units()
    users = listed(g.api.every("directory/users"))
    shown = request.args.get("show", "active")
    if shown == "active":
        users = [user for user in users if user["is_active"]]
    elif shown == "disabled":
        users = [user for user in users if not user["is_active"]]
    return render_template("admin/users.html", users=users, branch_names=_names(branches),
                           department_names=_names(departments), shown=shown)


def _queues() -> list | None:
    """The queues to choose from; None while the cases service does not answer (the form then keeps
    the user's queues as they are rather than taking them away)."""
    try:
        return listed(g.api.every("queues"))
    except ServiceDown:
        return None


def _queue_options(queues: list, held: list) -> list:
    """Every queue, and any code the user holds that names no queue, so saving keeps it."""
    options = [(item["code"], item["name"]) for item in queues]
    known = {code for code, _name in options}
    return options + [(code, code) for code in held if code not in known]


def render_user(user: dict | None, *, etag: str | None = None, status: int = 200, errors: dict | None = None,
                values: dict | None = None, password_errors: dict | None = None):
    branches, departments = _units()
    queues = _queues()
    lock = g.api.get(f"directory/users/{user['id']}/sign-in-lock") if user else None
    return render_template("admin/user.html", sign_in_lock=lock.body if lock is not None and lock.ok else None, user=user, etag=etag, values=values or user or {"level": 4},
                           branches=[(item["id"], item["name"]) for item in branches],
                           departments=[(item["id"], item["name"]) for item in departments],
                           queues=None if queues is None else _queue_options(queues, (values or user or {}).get("queues", [])),
                           permissions=PERMISSION_NAMES, languages=LANGUAGES, errors=errors or {}, password_errors=password_errors or {},
                           myself=bool(user) and str(user["id"]) == g.user["id"]), status


def _posted_user(form) -> dict:
    level = form.get("level", "")
    return {
        "full_name": form.get("full_name", "").strip(), "email": blank_to_none(form.get("email")),
        "level": int(level) if level.isdigit() else level,
        "branch_id": blank_to_none(form.get("branch_id")), "department_id": blank_to_none(form.get("department_id")),
        "permissions": form.getlist("permissions"), "queues": form.getlist("queues"),
        "language": blank_to_none(form.get("language")),
    }


@blp.get("/admin/users/new")
def admin_new_user():
    require("manage_users")
    return render_user(None)


@blp.post("/admin/users/new")
def admin_create_user():
    require("manage_users")
    body = _posted_user(request.form) | {"username": request.form.get("username", "").strip(),
                                         "password": request.form.get("password", "")}
    answer = g.api.call("POST", "directory/users", json=body)
    if not answer.ok:
        body.pop("password")
        return render_user(None, status=422, errors=refusal(answer, conflict_field="username"), values=body)
    flash(_("%(name)s can now sign in as %(username)s.", name=body["full_name"], username=body["username"]), "success")
    return redirect(url_for("console.admin_user", user_id=answer.body["id"]))


def _get_user(user_id: str):
    answer = g.api.get(f"directory/users/{user_id}")
    if not answer.ok:
        abort(404)
    return answer


@blp.get("/admin/users/<uuid:user_id>")
def admin_user(user_id):
    require("manage_users")
    answer = _get_user(user_id)
    return render_user(answer.body, etag=answer.etag)


@blp.post("/admin/users/<uuid:user_id>")
def admin_save_user(user_id):
    """Sends only what differs from the saved user, with the version the form was read at: an
    administrator editing their own name does not touch their own access."""
    require("manage_users")
    current = _get_user(user_id)
    posted = _posted_user(request.form)
    posted["is_active"] = "is_active" in request.form
    saved = current.body
    changes = {}
    for name, value in posted.items():
        before = saved.get(name)
        if name in ("permissions", "queues"):
            if sorted(value) != sorted(before or []):
                changes[name] = value
        elif (str(before) if before is not None else None) != (str(value) if value is not None else None):
            changes[name] = value
    if not changes:
        flash(_("Nothing was changed."), "info")
        return redirect(url_for("console.admin_user", user_id=user_id))
    answer = g.api.call("PATCH", f"directory/users/{user_id}", json=changes, if_match=read_version())
    if answer.status == 412:
        return render_user(saved, etag=current.etag, status=412, errors=refusal(answer))
    if not answer.ok:
        return render_user(saved, etag=read_version(), status=422, errors=refusal(answer), values=saved | posted)
    flash(_("The changes to %(name)s are saved.", name=answer.body["full_name"]), "success")
    return redirect(url_for("console.admin_user", user_id=user_id))


@blp.post("/admin/users/<uuid:user_id>/password")
def admin_reset_password(user_id):
    """A new password chosen by the administrator; the user's sessions and tokens end with it."""
    require("manage_users")
    password, repeated = request.form.get("password", ""), request.form.get("password_again", "")
    if password != repeated:
        answer = _get_user(user_id)
        return render_user(answer.body, etag=answer.etag, status=422,
                           password_errors={"password_again": [_("The two passwords differ.")]})
    answer = g.api.call("PATCH", f"directory/users/{user_id}", json={"password": password}, if_match=read_version())
    if not answer.ok:
        current = _get_user(user_id)
        return render_user(current.body, etag=current.etag, status=answer.status if answer.status == 412 else 422,
                           password_errors=refusal(answer))
    flash(_("%(name)s has a new password. Give it to them in person; they are signed out everywhere.",
            name=answer.body["full_name"]), "success")
    return redirect(url_for("console.admin_user", user_id=user_id))


@blp.post("/admin/users/<uuid:user_id>/unlock")
def admin_unlock_user(user_id):
    """Lifts the lock that wrong passwords put on the user's sign-in."""
    require("manage_users")
    person = _get_user(user_id).body
    answer = g.api.call("DELETE", f"directory/users/{user_id}/sign-in-lock", if_match=request.form.get("etag") or None)
    if answer.ok:
        flash(_("The sign-in of %(name)s is unlocked.", name=person["full_name"]), "success")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.admin_user", user_id=user_id, _anchor="lock"))
