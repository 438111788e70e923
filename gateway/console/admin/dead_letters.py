"""Dead letters in the browser (company-level administrators): each service's queues with the letters
waiting in ``<queue>.dead``, one letter whole (headers, why it died, the event pretty-printed), and
replaying one or all after a confirmation, over ``/api/v1/<service>/dead-letters``."""
from __future__ import annotations

import json
import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.console.admin.common import require, require_company_level
from gateway.console.api_client import ServiceDown
from gateway.console.blueprint import blp
from gateway.console.words import problem_text
from services.kit.schemas import MAX_PER_PAGE

SERVICE_NAMES = {"customers": _l("Customers"), "cases": _l("Cases and queues"), "notifications": _l("Notifications")}


def _require_administrator() -> None:
    require_company_level()
    require("manage_users")


def _service(service: str) -> str:
    if service not in SERVICE_NAMES:
        abort(404)
    return service


def _answer_or_404(path: str, **params):
    answer = g.api.get(path, **params)
    if answer.status == 404:
        abort(404)
    return answer


@blp.get("/admin/dead-letters")
def admin_dead_letters():
    """Every service's queues with how many dead letters wait in each; a service that does not
    answer is named, and the others are still shown."""
    _require_administrator()
    services = {}
    for service in SERVICE_NAMES:
        try:
            answer = g.api.every(f"{service}/dead-letters")
            services[service] = answer.body if answer.ok else problem_text(answer)
        except ServiceDown:
            services[service] = None
    return render_template("admin/dead_letters.html", services=services, service_names=SERVICE_NAMES)


@blp.get("/admin/dead-letters/<service>/<handler>")
def admin_dead_letter_queue(service: str, handler: str):
    """The letters of one queue, oldest first, with what replaying all of them does."""
    _require_administrator()
    # the oldest MAX_PER_PAGE, as the page says ("Shown: the oldest ...") when more wait
    answer = _answer_or_404(f"{_service(service)}/dead-letters/{handler}", per_page=MAX_PER_PAGE)
    if not answer.ok:
        abort(answer.status)
    return render_template("admin/dead_letter_queue.html", service=service, service_names=SERVICE_NAMES,
                           queue=answer.body, confirming=request.args.get("confirm") == "all")


@blp.get("/admin/dead-letters/<service>/<handler>/<uuid:message_id>")
def admin_dead_letter(service: str, handler: str, message_id):
    _require_administrator()
    answer = _answer_or_404(f"{_service(service)}/dead-letters/{handler}/{message_id}")
    if not answer.ok:
        abort(answer.status)
    letter = answer.body
    body = letter["body"]
    return render_template("admin/dead_letter.html", service=service, handler=handler, service_names=SERVICE_NAMES,
                           letter=letter, confirming=request.args.get("confirm") == "one",
                           pretty_body=json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)
                           if isinstance(body, (dict, list)) else body,
                           headers=sorted(letter["headers"].items()))


@blp.post("/admin/dead-letters/<service>/<handler>/replay")
def admin_replay_dead_letters(service: str, handler: str):
    """Sends back the letters after the confirmation: all of the queue's, or the one named."""
    _require_administrator()
    message_id = request.form.get("message_id") or None
    if message_id is not None:
        try:
            message_id = str(uuid.UUID(message_id))
        except ValueError:
            abort(404)
    queue_url = url_for("console.admin_dead_letter_queue", service=_service(service), handler=handler)
    if request.form.get("confirmed") != "yes":
        return redirect(url_for("console.admin_dead_letter", service=service, handler=handler, message_id=message_id,
                                confirm="one") if message_id else queue_url + "?confirm=all")
    path = f"{service}/dead-letters/{handler}/" + (f"{message_id}/replay" if message_id else "replay")
    answer = g.api.call("POST", path)
    if answer.ok:
        flash(_("Sent back to the queue %(queue)s: %(count)s. Its handler takes them again now.",
                count=answer.body["replayed"], queue=answer.body["queue"]), "success")
        if answer.body["remaining"] and not message_id:
            flash(_("Still waiting: %(count)s (one replay sends back the oldest 500 at most). Replay again for "
                    "the rest.", count=answer.body["remaining"]), "info")
    else:
        flash(problem_text(answer) if answer.status != 404
              else _("That message is no longer among the dead letters: it was replayed already."), "error")
    return redirect(queue_url)
