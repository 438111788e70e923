"""The directory's people search (the follow-up's colleague and supervisor picker): a name fragment
in any case, with or without accents, within the caller's reach, best matches first; and "my
account": the user's language and time zone kept on their user, with If-Match."""
from __future__ import annotations

import pytest

from gateway.directory.people import fold
from services.kit import text
from tests.unit.gateway.test_directory_and_login import auth, gateway, login  # noqa: F401 (fixture)

PASSWORD = "a long pass phrase"


@pytest.fixture
def people(gateway):  # noqa: F811
    """Two departments of the first branch: Ana and Sofía in delivery, Boris in billing, and an
    inactive Sofia Inés; Ana (level 3) reaches her department only."""
    admin = auth(login(gateway))
    branch = gateway.get("/api/v1/directory/branches", headers=admin).get_json()["items"][0]["id"]
    units = {code: gateway.post("/api/v1/directory/departments", headers=admin,
                                json={"code": code, "name": code.title()}).get_json()["id"]
             for code in ("delivery", "billing")}
    made = {}
    for username, full_name, level, unit, active in (
            ("ana.front", "Ana Restrepo", 3, "delivery", True), ("sofia.supervisor", "Sofía Vargas", 2, "delivery", True),
            ("linh.billing", "Trần Thị Linh", 3, "delivery", True), ("boris.billing", "Boris Sokolov", 3, "billing", True),
            ("sofia.old", "Sofia Inés Mora", 3, "delivery", False)):
        user = gateway.post("/api/v1/directory/users", headers=admin, json={
            "username": username, "full_name": full_name, "password": PASSWORD, "level": level,
            "branch_id": branch, "department_id": units[unit]})
        assert user.status_code == 201, user.get_json()
        made[username] = user.get_json()
        if not active:
            assert gateway.patch(f"/api/v1/directory/users/{made[username]['id']}", headers=admin | {
                "If-Match": user.headers["ETag"]}, json={"is_active": False}).status_code == 200
    return admin, made


def names(gateway, headers, **query) -> list[str]:  # noqa: F811
    answer = gateway.get("/api/v1/directory/users/search", headers=headers, query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return [person["full_name"] for person in answer.get_json()["items"]]


def test_folding_drops_accents_case_and_vietnamese_letters():
    assert fold("Sofía VARGAS") == "sofia vargas"
    assert fold("Trần Thị Linh") == "tran thi linh"
    assert fold("Đặng") == "dang"
    assert fold is text.fold, "the one folding every search uses"


def test_the_directory_finds_russian_and_vietnamese_names_like_the_other_searches(gateway, people):  # noqa: F811
    admin, made = people
    branch = made["ana.front"]["branch_id"]
    department = made["ana.front"]["department_id"]
    for username, full_name in (("elka.yo", "Ёлкина Алёна"), ("nguyen.an", "Nguyễn Văn An"),
                                ("jose.perez", "José Pérez")):
        assert gateway.post("/api/v1/directory/users", headers=admin, json={
            "username": username, "full_name": full_name, "password": PASSWORD, "level": 3, "branch_id": branch,
            "department_id": department}).status_code == 201
    assert names(gateway, admin, q="ЁЛКИНА") == ["Ёлкина Алёна"]
    assert names(gateway, admin, q="елкина алена") == ["Ёлкина Алёна"]
    assert names(gateway, admin, q="nguyen") == ["Nguyễn Văn An"]
    assert names(gateway, admin, q="jose perez") == ["José Pérez"]
    assert names(gateway, admin, q="pere") == ["José Pérez"]


def test_a_fragment_without_accents_finds_the_name_with_them_best_matches_first(gateway, people):  # noqa: F811
    admin, _made = people
    assert names(gateway, admin, q="sofia") == ["Sofía Vargas"], "the inactive one only when asked"
    assert names(gateway, admin, q="SOFÍA", include_inactive="true") == ["Sofia Inés Mora", "Sofía Vargas"]
    assert names(gateway, admin, q="tran thi") == ["Trần Thị Linh"]
    assert names(gateway, admin, q="linh")[0] == "Trần Thị Linh", "a word of the name, or the username"
    assert names(gateway, admin, q="vargas sof") == ["Sofía Vargas"], "every word, in any order"
    assert names(gateway, admin, q="re")[0] == "Ana Restrepo", "a word starting with it before one merely holding it"
    assert names(gateway, admin, q="zzz") == []


def test_people_are_searched_within_the_callers_reach(gateway, people):  # noqa: F811
    _admin, made = people
    ana = auth(login(gateway, "ana.front", PASSWORD))
    assert "Boris Sokolov" not in names(gateway, ana, q="")
    assert names(gateway, ana, q="boris") == []
    assert names(gateway, ana, q="sofia") == ["Sofía Vargas"], "her supervisor is in her department"


def test_given_ids_name_the_people_already_chosen(gateway, people):  # noqa: F811
    admin, made = people
    chosen = [made["boris.billing"]["id"], made["sofia.supervisor"]["id"]]
    answer = gateway.get("/api/v1/directory/users/search", headers=admin,
                         query_string=[("id", chosen[0]), ("id", chosen[1])]).get_json()
    assert answer["total"] == 2 and {p["id"] for p in answer["items"]} == set(chosen)
    assert {p["department_name"] for p in answer["items"]} == {"Billing", "Delivery"}
    ana = auth(login(gateway, "ana.front", PASSWORD))
    assert names(gateway, ana, id=made["boris.billing"]["id"]) == [], "not a way round the reach"


def test_bad_search_parameters_get_a_422_naming_each(gateway, people):  # noqa: F811
    admin, _made = people
    answer = gateway.get("/api/v1/directory/users/search", headers=admin,
                         query_string={"id": "nope", "per_page": 0, "q": "x" * 101})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) >= {"id", "per_page", "q"}


def test_my_language_and_time_zone_are_kept_on_my_user(gateway, people):  # noqa: F811
    _admin, _made = people
    ana = auth(login(gateway, "ana.front", PASSWORD))
    me = gateway.get("/api/v1/auth/me", headers=ana)
    assert (me.get_json()["language"], me.get_json()["time_zone"]) == (None, None)
    changed = gateway.patch("/api/v1/auth/me", headers=ana | {"If-Match": me.headers["ETag"]},
                            json={"language": "vi", "time_zone": "Asia/Ho_Chi_Minh"})
    assert changed.status_code == 200, changed.get_json()
    again = login(gateway, "ana.front", PASSWORD).get_json()["user"]
    assert (again["language"], again["time_zone"]) == ("vi", "Asia/Ho_Chi_Minh"), "any new sign-in gets them"
    stale = gateway.patch("/api/v1/auth/me", headers=ana | {"If-Match": me.headers["ETag"]}, json={"language": "es"})
    assert stale.status_code == 412
    assert gateway.patch("/api/v1/auth/me", headers=ana, json={"language": "es"}).status_code == 428
    refused = gateway.patch("/api/v1/auth/me", headers=ana | {"If-Match": changed.headers["ETag"]},
                            json={"language": "de", "time_zone": "Mars/Olympus", "level": 1})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"language", "time_zone", "level"}
    assert gateway.get("/api/v1/auth/me", headers=ana).get_json()["language"] == "vi", "nothing changed"
