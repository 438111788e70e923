"""The in-app inbox: the user's notices and their queues', newest first, with the unread count in
the header. Read state is kept in the session until the notifications API records it."""
from __future__ import annotations

from flask import g, render_template, session

from gateway.console.api_client import ServiceDown
from gateway.console.blueprint import blp

INBOX_SIZE = 50


def _notices() -> list[dict]:
    """The inbox, read once per page; the header's count never takes a page down with it."""
    if "notices" not in g:
        try:
            answer = g.api.get("notifications", limit=INBOX_SIZE)
        except ServiceDown:
            answer = None
        g.notices = answer.body if answer is not None and answer.ok else []
    return g.notices


@blp.app_context_processor
def _unread():
    def inbox_unread() -> int:
        """Notices newer than the newest one the user saw when last opening the inbox."""
        if g.get("user") is None:
            return 0
        seen = session.get("inbox_seen_at", "")
        return sum(1 for notice in _notices() if notice["created_at"] > seen)
    return {"inbox_unread": inbox_unread}


@blp.get("/inbox")
def inbox():
    notices = _notices()
    seen = session.get("inbox_seen_at", "")
    if notices:
        session["inbox_seen_at"] = max(notice["created_at"] for notice in notices)
    return render_template("inbox.html", notices=notices, seen=seen)
