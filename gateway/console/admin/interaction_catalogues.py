"""Administration of what agents choose when they record an interaction (company level): the reason
tree of any depth (a retired reason stays on the interactions that chose it), each reason's script,
macros and knowledge articles (every version kept, searched without regard to accents), and the
flows or points of contact. Every change goes to the customers service with the If-Match of the
record as the page showed it; a refusal is shown at its field."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.admin.common import listed, read_version, refusal, require_company_level
from gateway.console.blueprint import blp
from gateway.console.forms import blank_to_none

PLACEHOLDERS = ("customer_name", "customer_code", "line_number", "agent_name", "today")
ARTICLES_PER_PAGE = 25


def _reasons() -> list:
    return listed(g.api.every("customers/interaction-reasons"))


def _reason_options(reasons: list, *, leaving_out: str | None = None) -> list:
    return [(item["id"], " › ".join(item["path"])) for item in reasons if item["id"] != leaving_out]


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _page() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and int(page) > 0 else 1


def render_reasons(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    reasons = _reasons()
    query = request.args.get("q", "").strip()
    articles = g.api.get("customers/knowledge-articles", q=query, page=_page(), per_page=ARTICLES_PER_PAGE)
    return render_template("admin/reasons.html", reasons=reasons, options=_reason_options(reasons), query=query,
                           articles=articles.body if articles.ok else None,
                           article_errors={} if articles.ok else refusal(articles),
                           reason_paths={item["id"]: " › ".join(item["path"]) for item in reasons},
                           errors=errors or {}, values=values or {}), status


@blp.get("/admin/reasons")
def admin_reasons():
    """The reason tree, a form to add a reason anywhere in it, and the knowledge articles found."""
    require_company_level()
    return render_reasons()


@blp.post("/admin/reasons")
def admin_add_reason():
    require_company_level()
    body = {"name": _text("name"), "parent_id": blank_to_none(request.form.get("parent_id")), "script": _text("script")}
    answer = g.api.call("POST", "customers/interaction-reasons", json=body)
    if not answer.ok:
        return render_reasons(status=422, errors=refusal(answer), values=body)
    flash(_("The reason %(name)s is added.", name=body["name"]), "success")
    return redirect(url_for("console.admin_reason", reason_id=answer.body["id"]))


def render_reason(reason_id, *, status: int = 200, errors: dict | None = None, values: dict | None = None):
    reasons = _reasons()
    reason = next((item for item in reasons if item["id"] == str(reason_id)), None)
    if reason is None:
        abort(404)
    macros = listed(g.api.every("customers/interaction-macros", reason_id=reason_id))
    articles = g.api.get("customers/knowledge-articles", reason_id=reason_id, per_page=100)
    children = [item for item in reasons if item.get("parent_id") == reason["id"]]
    return render_template("admin/reason.html", reason=reason, children=children, macros=macros,
                           options=_reason_options(reasons, leaving_out=reason["id"]),
                           articles=articles.body["items"] if articles.ok else [], placeholders=PLACEHOLDERS,
                           errors=errors or {}, values=values or {}), status


@blp.get("/admin/reasons/<uuid:reason_id>")
def admin_reason(reason_id):
    """A reason with its script, its macros and its articles, each editable."""
    require_company_level()
    return render_reason(reason_id)


@blp.post("/admin/reasons/<uuid:reason_id>")
def admin_save_reason(reason_id):
    """Rename, move in the tree, change the script, retire or bring back: interactions keep the
    reason they chose."""
    require_company_level()
    body = {"name": _text("name"), "parent_id": blank_to_none(request.form.get("parent_id")),
            "script": _text("script"), "is_retired": "is_retired" in request.form}
    answer = g.api.call("PATCH", f"customers/interaction-reasons/{reason_id}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        keep = None if answer.status == 412 else body
        return render_reason(reason_id, status=answer.status if answer.status == 412 else 422,
                             errors={"reason": refusal(answer)}, values={"reason": keep} if keep else None)
    flash(_("The reason %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_reason", reason_id=reason_id))


def _macro_body() -> dict:
    return {"name": _text("name"), "body": request.form.get("body", "").strip()}


@blp.post("/admin/reasons/<uuid:reason_id>/macros")
def admin_add_macro(reason_id):
    require_company_level()
    body = _macro_body() | {"reason_id": str(reason_id)}
    answer = g.api.call("POST", "customers/interaction-macros", json=body)
    if not answer.ok:
        return render_reason(reason_id, status=422, errors={"macro": refusal(answer)}, values={"macro": body})
    flash(_("The macro %(name)s is added.", name=body["name"]), "success")
    return redirect(url_for("console.admin_reason", reason_id=reason_id, _anchor="macros"))


@blp.post("/admin/reasons/<uuid:reason_id>/macros/<uuid:macro_id>")
def admin_save_macro(reason_id, macro_id):
    """Rewrite or retire a macro (a retired one is no longer offered to agents)."""
    require_company_level()
    body = _macro_body() | {"is_retired": "is_retired" in request.form}
    answer = g.api.call("PATCH", f"customers/interaction-macros/{macro_id}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        keep = {} if answer.status == 412 else {f"macro-{macro_id}": body}
        return render_reason(reason_id, status=answer.status if answer.status == 412 else 422,
                             errors={f"macro-{macro_id}": refusal(answer)}, values=keep)
    flash(_("The macro %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_reason", reason_id=reason_id, _anchor="macros"))


def _article_body() -> dict:
    return {"title": _text("title"), "body": request.form.get("body", "").strip(),
            "reason_id": blank_to_none(request.form.get("reason_id"))}


@blp.post("/admin/articles")
def admin_write_article():
    """A new knowledge article of a reason, version 1."""
    require_company_level()
    body = _article_body()
    answer = g.api.call("POST", "customers/knowledge-articles", json=body)
    if not answer.ok:
        if body["reason_id"] and request.form.get("back") == "reason":
            return render_reason(body["reason_id"], status=422, errors={"article": refusal(answer)},
                                 values={"article": body})
        return render_reasons(status=422, errors={"article": refusal(answer)}, values={"article": body})
    flash(_("The article %(title)s is published.", title=body["title"]), "success")
    return redirect(url_for("console.admin_article", article_id=answer.body["id"]))


def render_article(article_id, *, status: int = 200, errors: dict | None = None, values: dict | None = None):
    current = g.api.get(f"customers/knowledge-articles/{article_id}")
    if not current.ok:
        abort(404)
    shown_version = request.args.get("version", "")
    shown = current
    if shown_version.isdigit() and int(shown_version) != current.body["version"]:
        shown = g.api.get(f"customers/knowledge-articles/{article_id}", version=int(shown_version))
        if not shown.ok:
            abort(404)
    reasons = _reasons()
    return render_template("admin/article.html", article=current.body, shown=shown.body, etag=current.etag,
                           options=_reason_options(reasons), errors=errors or {},
                           values=values or current.body), status


@blp.get("/admin/articles/<uuid:article_id>")
def admin_article(article_id):
    """An article to edit, with every earlier version readable (``?version=``)."""
    require_company_level()
    return render_article(article_id)


@blp.post("/admin/articles/<uuid:article_id>")
def admin_save_article(article_id):
    """A new version of the article, from the version the form was read at."""
    require_company_level()
    body = _article_body()
    answer = g.api.call("PATCH", f"customers/knowledge-articles/{article_id}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        return render_article(article_id, status=answer.status if answer.status == 412 else 422,
                              errors=refusal(answer), values=None if answer.status == 412 else body)
    flash(_("Version %(version)s of the article is published.", version=answer.body["version"]), "success")
    return redirect(url_for("console.admin_article", article_id=article_id))


def render_contact_points(*, status: int = 200, errors: dict | None = None, values: dict | None = None):
    return render_template("admin/contact_points.html", points=listed(g.api.every("customers/contact-points")),
                           errors=errors or {}, values=values or {}), status


@blp.get("/admin/contact-points")
def admin_contact_points():
    """The flows and points of contact an interaction may come through."""
    require_company_level()
    return render_contact_points()


@blp.post("/admin/contact-points")
def admin_add_contact_point():
    require_company_level()
    body = {"name": _text("name"), "region": _text("region")}
    answer = g.api.call("POST", "customers/contact-points", json=body)
    if not answer.ok:
        return render_contact_points(status=422, errors={"new": refusal(answer)}, values={"new": body})
    flash(_("The point of contact %(name)s is added.", name=body["name"]), "success")
    return redirect(url_for("console.admin_contact_points"))


@blp.post("/admin/contact-points/<uuid:point_id>")
def admin_save_contact_point(point_id):
    require_company_level()
    body = {"name": _text("name"), "region": _text("region"), "is_retired": "is_retired" in request.form}
    answer = g.api.call("PATCH", f"customers/contact-points/{point_id}", json=body, if_match=read_version())
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        keep = {} if answer.status == 412 else {str(point_id): body}
        return render_contact_points(status=answer.status if answer.status == 412 else 422,
                                     errors={str(point_id): refusal(answer)}, values=keep)
    flash(_("The point of contact %(name)s is saved.", name=answer.body["name"]), "success")
    return redirect(url_for("console.admin_contact_points"))
