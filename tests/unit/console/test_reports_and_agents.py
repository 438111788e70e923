"""The notes report's filters and the bulk change of preferred sales agent through Flask's test
client, with the customers API answered by a fake: what the console asks of the API, where a refusal
is shown, and who may open the page; and the time zone chosen under My account winning at sign-in."""
from __future__ import annotations

import uuid

import pytest

from gateway.console.api_client import Api, Answer
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, session_of, sign_in

LINH, BORIS, SOFIA = (str(uuid.uuid4()) for _ in range(3))
CUSTOMER = str(uuid.uuid4())
CHANGE = str(uuid.uuid4())


class FakeApi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict | None, dict | None]] = []
        self.answers: dict[tuple[str, str], Answer] = {}

    def call(self, api, method, path, *, json=None, params=None, if_match=None, allow_signed_out=False) -> Answer:
        self.sent.append((method, path, json, params))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if path == "customers/sales-agents":
            return Answer(200, [{"agent_id": LINH, "name": "Trần Thị Linh", "customers": 2},
                                {"agent_id": BORIS, "name": "Boris Sokolov", "customers": 1}])
        if path == "directory/users":
            return Answer(200, [{"id": uid, "full_name": name, "is_active": True}
                                for uid, name in ((LINH, "Trần Thị Linh"), (BORIS, "Boris Sokolov"),
                                                  (SOFIA, "Sofía Vargas"))])
        if path == "customers/search":
            items = [{"id": CUSTOMER, "code": "C-1005"}] if params.get("q") == "C-1005" else []
            return Answer(200, {"items": items, "total": len(items), "page": 1, "per_page": 5})
        if path == "customers/notes-report":
            return Answer(200, {"items": [], "total": 0, "page": 1, "per_page": 25})
        if path == "notifications/unread":
            return Answer(200, {"unread": 0})
        if method == "GET":
            return Answer(200, [])
        return Answer(500, {"detail": "unexpected"})

    def asked(self, path: str) -> list[tuple]:
        return [sent for sent in self.sent if sent[1] == path]


@pytest.fixture
def api(console, monkeypatch):
    sign_in(console, lang="en", tz="America/Bogota")
    fake = FakeApi()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(api, method, path, **kwargs), method, path))
    return fake


def test_the_report_sends_every_filter_the_api_knows_with_the_customer_found_by_its_code(console, api):
    page = console.get("/reports/notes?go=1&customer=C-1005&from=2026-11-01&to=2026-11-30&last_three=1"
                       f"&group_by=department&author_id={LINH}")
    assert page.status_code == 200
    (_method, _path, _json, params), = api.asked("customers/notes-report")
    assert params == {"customer_id": CUSTOMER, "from": "2026-11-01", "to": "2026-11-30", "last_three": "true",
                      "group_by": "department", "author_id": LINH, "tz": "America/Bogota", "page": 1, "per_page": 25}


def test_an_unknown_customer_code_is_shown_at_its_field_and_no_report_is_asked(console, api):
    page = console.get("/reports/notes?go=1&customer=NOPE")
    assert page.status_code == 422
    assert 'aria-invalid="true" aria-describedby="re-customer"' in page.get_data(as_text=True)
    assert not api.asked("customers/notes-report")


def test_a_preview_with_no_agent_chosen_is_refused_without_asking_the_api(console, api):
    page = console.post("/sales-agents/preview", data={"csrf_token": csrf_of(console, "/sales-agents"),
                                                        f"to_{LINH}": "", f"to_{BORIS}": ""})
    assert page.status_code == 422 and "Choose a new agent for at least one" in page.get_data(as_text=True)
    assert not api.asked("customers/sales-agent-changes")


def test_the_preview_proposes_only_the_agents_given_a_new_one_and_shows_the_counts(console, api):
    api.answers[("POST", "customers/sales-agent-changes")] = Answer(201, {
        "id": CHANGE, "status": "pending", "moves": [{"from_agent_id": LINH, "to_agent_id": SOFIA, "customers": 2,
                                                       "moved": None}], "moved": None,
        "created_at": "2026-11-30T17:00:00+00:00", "confirmed_at": None})
    answer = console.post("/sales-agents/preview", data={"csrf_token": csrf_of(console, "/sales-agents"),
                                                          f"to_{LINH}": SOFIA, f"to_{BORIS}": ""})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/sales-agents/changes/{CHANGE}")
    assert api.asked("customers/sales-agent-changes")[0][2] == {"moves": [{"from_agent_id": LINH, "to_agent_id": SOFIA}]}
    preview = console.get(f"/sales-agents/changes/{CHANGE}").get_data(as_text=True)
    assert "Trần Thị Linh" in preview and "Sofía Vargas" in preview and 'id="moves-total">2<' in preview
    assert "Confirm the change" in preview


def test_an_agent_the_api_refuses_is_shown_at_that_agents_choice(console, api):
    api.answers[("POST", "customers/sales-agent-changes")] = Answer(422, {
        "errors": {"moves.0.to_agent_id": ["No active user of the directory has this id."]}})
    page = console.post("/sales-agents/preview", data={"csrf_token": csrf_of(console, "/sales-agents"),
                                                        f"to_{BORIS}": SOFIA})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'name="to_%s" aria-invalid="true"' % BORIS in text and "This person is not an active user." in text


def test_without_the_permission_the_page_says_so_and_asks_nothing(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=[])
    page = console.get("/sales-agents")
    assert page.status_code == 403 and "needs a permission your account does not have" in page.get_data(as_text=True)
    assert not api.asked("customers/sales-agents")


def test_the_time_zone_chosen_under_my_account_wins_over_the_browsers_at_sign_in(console, app):
    console.set_cookie("caredesk_tz", "Asia/Ho_Chi_Minh")
    sign_in(console, tz="America/Bogota")
    assert session_of(app, console)["tz"] == "Asia/Ho_Chi_Minh"
