"""Administration of the customers service's catalogues (company level): consent kinds named in each
language, and attachment types. These records carry no version, so the API takes their changes
without If-Match; a refusal is shown at its field."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.admin.common import read_version, refusal, require_company_level
from gateway.console.blueprint import blp
from gateway.console.i18n import LANGUAGES


def _items(path: str) -> list:
    answer = g.api.every(path)
    return answer.body if answer.ok and isinstance(answer.body, list) else []


def render_catalogues(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    return render_template("admin/catalogues.html", kinds=_items("customers/consent-kinds"),
                           types=_items("customers/attachment-types"), languages=LANGUAGES,
                           errors=errors or {}, values=values or {}), status


@blp.get("/admin/catalogues")
def admin_catalogues():
    require_company_level()
    return render_catalogues()


def _names(form, prefix: str) -> dict:
    return {code: form.get(f"{prefix}{code}", "").strip() for code in LANGUAGES if form.get(f"{prefix}{code}", "").strip()}


@blp.post("/admin/catalogues/consent-kinds")
def admin_add_consent_kind():
    require_company_level()
    form = request.form
    body = {"code": form.get("code", "").strip(), "names": _names(form, "name_"),
            "description": form.get("description", "").strip(), "granted_by_default": "granted_by_default" in form}
    answer = g.api.call("POST", "customers/consent-kinds", json=body)
    if not answer.ok:
        errors = refusal(answer, conflict_field="code")
        return render_catalogues(status=422, errors={"kind": errors}, values={"kind": body})
    flash(_("The consent kind %(code)s is added.", code=body["code"]), "success")
    return redirect(url_for("console.admin_catalogues", _anchor="consent-kinds"))


@blp.post("/admin/catalogues/consent-kinds/<code>")
def admin_change_consent_kind(code: str):
    require_company_level()
    form = request.form
    body = {"names": _names(form, "name_"), "description": form.get("description", "").strip(),
            "is_retired": "is_retired" in form}
    answer = g.api.call("PATCH", f"customers/consent-kinds/{code}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        return render_catalogues(status=422, errors={f"kind-{code}": refusal(answer)})
    flash(_("The consent kind %(code)s is saved.", code=code), "success")
    return redirect(url_for("console.admin_catalogues", _anchor="consent-kinds"))


@blp.post("/admin/catalogues/attachment-types")
def admin_add_attachment_type():
    require_company_level()
    body = {"name": request.form.get("name", "").strip()}
    answer = g.api.call("POST", "customers/attachment-types", json=body)
    if not answer.ok:
        return render_catalogues(status=422, errors={"type": refusal(answer, conflict_field="name")},
                                 values={"type": body})
    flash(_("The attachment type %(name)s is added.", name=body["name"]), "success")
    return redirect(url_for("console.admin_catalogues", _anchor="attachment-types"))


@blp.post("/admin/catalogues/attachment-types/<uuid:type_id>")
def admin_change_attachment_type(type_id):
    require_company_level()
    body = {"name": request.form.get("name", "").strip(), "is_retired": "is_retired" in request.form}
    answer = g.api.call("PATCH", f"customers/attachment-types/{type_id}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        return render_catalogues(status=422, errors={f"type-{type_id}": refusal(answer)})
    flash(_("The attachment type %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_catalogues", _anchor="attachment-types"))
