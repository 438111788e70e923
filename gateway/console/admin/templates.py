"""Administration of message templates (permission manage_templates): each template per channel and
language, edited with a preview rendered by the notifications service on sample data before saving,
saved with the If-Match of the version read, or put back to the shipped text."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.admin.common import listed, read_version, refusal, require
from gateway.console.blueprint import blp
from gateway.console.words import problem_text

PERMISSION = "manage_templates"


@blp.get("/admin/templates")
def admin_templates():
    require(PERMISSION)
    return render_template("admin/templates.html", templates=listed(g.api.every("notifications/templates")))


def _path(template: str, channel: str, language: str) -> str:
    return f"notifications/templates/{template}/{channel}/{language}"


def render_message_template(template: str, channel: str, language: str, *, status: int = 200,
                            errors: dict | None = None, values: dict | None = None, preview: dict | None = None):
    answer = g.api.get(_path(template, channel, language))
    if not answer.ok:
        abort(404)
    return render_template("admin/template.html", item=answer.body, etag=answer.etag, values=values or answer.body,
                           errors=errors or {}, preview=preview, placeholder_example="{{ case.number }}"), status


@blp.get("/admin/templates/<template>/<channel>/<language>")
def admin_template(template: str, channel: str, language: str):
    require(PERMISSION)
    return render_message_template(template, channel, language)


@blp.post("/admin/templates/<template>/<channel>/<language>")
def admin_save_template(template: str, channel: str, language: str):
    """``preview`` renders the texts typed without saving them; otherwise they replace the template."""
    require(PERMISSION)
    form = request.form
    texts = {"subject": form.get("subject", ""), "body_text": form.get("body_text", ""),
             "body_html": form.get("body_html") or None}
    if "preview" in form:
        answer = g.api.call("POST", _path(template, channel, language) + "/preview", json={"texts": texts})
        if not answer.ok:
            return render_message_template(template, channel, language, status=422, errors=_template_errors(answer),
                                           values=texts)
        return render_message_template(template, channel, language, values=texts, preview=answer.body)
    answer = g.api.call("PUT", _path(template, channel, language), json=texts, if_match=read_version())
    if not answer.ok:
        return render_message_template(template, channel, language, status=412 if answer.status == 412 else 422,
                                       errors=_template_errors(answer), values=None if answer.status == 412 else texts)
    flash(_("The template is saved: messages from now on use it."), "success")
    return redirect(url_for("console.admin_template", template=template, channel=channel, language=language))


def _template_errors(answer) -> dict:
    errors = refusal(answer)
    for key in list(errors):
        if key.startswith("texts."):
            errors[key.removeprefix("texts.")] = errors.pop(key)
    nested = answer.nested_errors("texts")
    if isinstance(nested, dict):
        errors.pop("texts", None)
        errors.update({name: texts if isinstance(texts, list) else [str(texts)] for name, texts in nested.items()})
    return errors


@blp.post("/admin/templates/<template>/<channel>/<language>/reset")
def admin_reset_template(template: str, channel: str, language: str):
    require(PERMISSION)
    answer = g.api.call("DELETE", _path(template, channel, language), if_match=read_version())
    flash(_("The template is back to the text Caredesk ships.") if answer.ok else problem_text(answer),
          "success" if answer.ok else "error")
    return redirect(url_for("console.admin_template", template=template, channel=channel, language=language))
