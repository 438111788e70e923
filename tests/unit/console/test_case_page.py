"""The case page through Flask's test client with the APIs answered by a fake: the people it names
come from the directory the reader may read; one outside it (another branch, a removed user) is
"another user" in the reader's language, never a bare dash."""
from __future__ import annotations

import uuid

import pytest

from gateway.console.api_client import Answer, Api
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import sign_in

CASE, CUSTOMER, QUEUE = (str(uuid.uuid4()) for _ in range(3))
KNOWN, UNKNOWN = str(uuid.uuid4()), str(uuid.uuid4())


def case_body() -> dict:
    return {"id": CASE, "number": 41, "subject": "Router without signal", "status": "open", "is_cancelled": False,
            "priority": "normal", "queue": {"id": QUEUE, "code": "delivery", "name": "Delivery"}, "type": None,
            "age_seconds": 600, "customer": {"id": CUSTOMER, "code": "C-1", "name": "Ana Gómez"}, "line": None,
            "initiator_id": UNKNOWN, "owner_id": KNOWN, "created_at": "2026-11-30T10:00:00+00:00",
            "allowed_actions": [], "custom_fields": {}, "missing_fields": [], "attachments": [], "version": 3,
            "sla": {"acceptance": {"due_at": None}, "resolution": {"due_at": None}}}


def answer(method: str, path: str, **_kwargs) -> Answer:
    if path == f"cases/{CASE}":
        return Answer(200, case_body(), '"3"')
    if path == "directory/users":
        return Answer(200, [{"id": KNOWN, "full_name": "Boris Sokolov"}])
    if path == f"cases/{CASE}/comments":
        return Answer(200, [{"id": str(uuid.uuid4()), "author_id": UNKNOWN, "body": "Called twice",
                             "created_at": "2026-11-30T10:05:00+00:00"}])
    if path == f"cases/{CASE}/timeline":
        return Answer(200, [{"at": "2026-11-30T10:00:00+00:00", "action": "created", "actor_id": UNKNOWN, "detail": {}},
                            {"at": "2026-11-30T10:01:00+00:00", "action": "taken", "actor_id": KNOWN, "detail": {}},
                            {"at": "2026-11-30T10:02:00+00:00", "action": "sla_breached", "actor_id": None, "detail": {}}])
    if path == "notifications/unread":
        return Answer(200, {"unread": 0})
    return Answer(200, []) if method == "GET" else Answer(500, {"detail": "unexpected"})


@pytest.mark.parametrize("language, another, system", [("en", "another user", "System"),
                                                       ("es", "otro usuario", "Sistema"),
                                                       ("ru", "другой пользователь", "Система"),
                                                       ("vi", "người dùng khác", "Hệ thống")])
def test_people_outside_the_readers_directory_are_another_user(console, monkeypatch, language, another, system):
    sign_in(console, lang=language)
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs: enveloped(answer(method, path), method, path))
    page = console.get(f"/cases/{CASE}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    assert html.count(another) == 3  # the initiator, the comment's author, the timeline's first line
    assert html.count("Boris Sokolov") == 2  # the owner and the timeline's second line
    assert system in html
    assert "— —" not in html
