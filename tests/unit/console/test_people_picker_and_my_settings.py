"""The follow-up form's people picker over the directory's people search, and the language and time
zone kept on the user (My account) rather than only in this browser: a new sign-in anywhere gets them."""
from __future__ import annotations

import re
import uuid

import pytest

from gateway.console.api_client import Answer, Api
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, session_of, sign_in
from tests.unit.console.test_interaction_panel import CUSTOMER, INTERACTION, FakeCustomers, saved

SOFIA, BORIS = str(uuid.uuid4()), str(uuid.uuid4())
SEARCH = "directory/users/search"


def person(user_id: str, name: str, department: str) -> dict:
    return {"id": user_id, "username": name.split()[0].lower(), "full_name": name, "level": 3,
            "department_id": str(uuid.uuid4()), "department_name": department, "is_active": True}


class FakeWithDirectory(FakeCustomers):
    """The customers API as before, and the directory's people search answering from two people."""

    def __init__(self) -> None:
        super().__init__()
        self.searches: list[dict] = []

    def call(self, api: Api, method: str, path: str, *, json=None, params=None, if_match=None, allow_signed_out=False):
        if path == SEARCH:
            self.searches.append(params or {})
            everyone = [person(SOFIA, "Sofía Vargas", "Delivery"), person(BORIS, "Boris Sokolov", "Billing")]
            ids = params.get("id")
            if ids:
                found = [p for p in everyone if p["id"] in ids]
            elif not params.get("q"):  # a page too short for everyone in reach
                return Answer(200, {"items": everyone[:1], "total": 2, "page": 1, "per_page": 1})
            else:
                found = [p for p in everyone if params.get("q", "").lower().replace("i", "í") in p["full_name"].lower()
                         or params.get("q", "").lower() in p["full_name"].lower()]
            return Answer(200, {"items": found, "total": len(found), "page": 1, "per_page": 20})
        return super().call(api, method, path, json=json, params=params, if_match=if_match)


@pytest.fixture
def fake(console, monkeypatch):
    sign_in(console, lang="es", tz="America/Bogota")
    fake = FakeWithDirectory()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(api, method, path, **kwargs), method, path))
    return fake


def options(page: str, key: str) -> list[str]:
    select = re.search(rf'<select id="f-{key}".*?</select>', page, re.S).group(0)
    return re.findall(r">([^<]+)</option>", select)


def test_find_looks_people_up_by_name_and_keeps_what_was_typed(console, fake):
    url = f"/customers/{CUSTOMER}/interactions/{INTERACTION}/followups"
    answer = console.post(url, data={"csrf_token": csrf_of(console, f"/customers/{CUSTOMER}?interaction={INTERACTION}"),
                                     "subject": "Capacitación", "date": "2026-12-15", "time": "10:30",
                                     "people_q": "sofia", "find_people": "1"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert {"q": "sofia", "per_page": 20} in fake.searches
    assert options(page, "participant_ids") == ["Sofía Vargas"] == options(page, "copy_ids")
    assert 'value="Capacitación"' in page and 'value="sofia"' in page, "nothing typed is lost"
    assert "1 persona encontrada para «sofia»" in page
    assert not [sent for sent in fake.sent if sent[0] == "POST"], "finding people schedules nothing"


def test_people_already_chosen_stay_offered_when_another_name_is_looked_up(console, fake):
    url = f"/customers/{CUSTOMER}/interactions/{INTERACTION}/followups"
    page = console.post(url, data={"csrf_token": csrf_of(console, f"/customers/{CUSTOMER}?interaction={INTERACTION}"),
                                   "copy_ids": SOFIA, "people_q": "boris", "find_people": "1"}).get_data(as_text=True)
    assert sorted(options(page, "copy_ids")) == ["Boris Sokolov", "Sofía Vargas"]
    assert re.search(rf'<option value="{SOFIA}" selected>', page)


def test_scheduled_follow_ups_name_their_people_through_the_search(console, fake):
    fake.answers[("GET", f"customers/{CUSTOMER}/interactions/{INTERACTION}")] = Answer(200, saved(followups=[{
        "id": str(uuid.uuid4()), "starts_at": "2026-12-15T15:30:00+00:00", "time_zone": "America/Bogota",
        "subject": "Capacitación", "location": None, "participant_ids": [BORIS], "copy_ids": [SOFIA],
        "status": "scheduled", "version": 1}]), '"3"')
    fake.searches.clear()
    page = console.get(f"/customers/{CUSTOMER}?interaction={INTERACTION}").get_data(as_text=True)
    assert [search["id"] for search in fake.searches if "id" in search] == [[BORIS]], "only those not on the page"
    listed = page[page.index('id="followups"'):]
    assert "con Boris Sokolov" in listed and "Sofía Vargas" in listed


def test_the_language_and_time_zone_stored_on_the_user_follow_them_to_a_new_browser(console, app):
    sign_in(console, lang="vi", tz="America/Bogota")  # chosen on the sign-in page: kept on the user
    me = console.get("/account")  # the account page needs the notifications service: it is down here
    assert me.status_code == 503
    with app.test_client() as api:
        token = api.post("/api/v1/auth/login", json={"username": "admin", "password": "admin-password"}).get_json()
        assert token["user"]["language"] == "vi"
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        etag = api.get("/api/v1/auth/me", headers=headers).headers["ETag"]
        assert api.patch("/api/v1/auth/me", headers=headers | {"If-Match": etag},
                         json={"time_zone": "Asia/Ho_Chi_Minh"}).status_code == 200
    other = app.test_client()  # another browser: Russian by default, in Bogotá
    page = other.get("/signin", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    shown = re.search(r'name="lang_shown" value="(\w+)"', page).group(1)
    assert shown == "ru"
    other.post("/signin", headers={"Accept-Language": "ru"}, data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), "username": "admin",
        "password": "admin-password", "lang": shown, "lang_shown": shown, "tz": "America/Bogota"})
    session = session_of(app, other)
    assert (session["lang"], session["tz"]) == ("vi", "Asia/Ho_Chi_Minh")


def test_a_language_picked_on_the_sign_in_page_wins_and_is_kept(console, app):
    page = console.get("/signin", headers={"Accept-Language": "es"}).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    console.post("/signin", data={"csrf_token": csrf, "username": "admin", "password": "admin-password",
                                  "lang": "ru", "lang_shown": "es", "tz": "Europe/Moscow"})
    assert session_of(app, console)["lang"] == "ru"
    login = app.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": "admin-password"})
    assert login.get_json()["user"]["language"] == "ru"
    assert login.get_json()["user"]["time_zone"] is None, "the zone a browser reports is not stored by itself"
