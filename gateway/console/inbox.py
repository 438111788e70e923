"""The in-app inbox: the user's notices and their queues', newest first, read one by one or all at
once, with the unread count in the header."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from gateway.console.api_client import ServiceDown
from gateway.console.blueprint import blp
from gateway.console.words import problem_text

INBOX_SIZE = 50


def start_unread_count() -> None:
    """Start the header's unread count now, beside the page's own reads; the header takes it."""
    if g.get("user") is not None and "unread_count" not in g:
        g.unread_count = g.api.get_soon("notifications/unread")


@blp.app_context_processor
def _unread():
    def inbox_unread() -> int:
        """The header's count never takes a page down with it."""
        if g.get("user") is None:
            return 0
        start_unread_count()  # unless the page did
        try:
            answer = g.unread_count.result()
        except ServiceDown:
            return 0
        return answer.body["unread"] if answer.ok else 0
    return {"inbox_unread": inbox_unread}


@blp.get("/inbox")
def inbox():
    answer = g.api.get("notifications", per_page=INBOX_SIZE)
    return render_template("inbox.html", notices=answer.body["items"] if answer.ok else [])


@blp.post("/inbox/<uuid:notification_id>/read")
def mark_read(notification_id):
    answer = g.api.call("POST", f"notifications/{notification_id}/read")
    if not answer.ok:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.inbox"))


@blp.post("/inbox/read-all")
def mark_all_read():
    answer = g.api.call("POST", "notifications/read-all")
    if answer.ok:
        flash(_("All your notices are marked read."), "success")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.inbox"))
