"""Lists of the cases service through its app: the envelope's links to the neighbouring pages (null
at the ends, every other query parameter kept, repeated ones too) and the limits every list shares."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from services.kit.schemas import DEFAULT_PER_PAGE
from tests.unit.cases.conftest import new_case


def _query(link: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(link).query)


@pytest.fixture
def five_queues(api, people):
    for code in ("alpha", "bravo", "charlie", "delta"):
        api.ok(api.post("/queues", as_=people.admin, json={"code": code, "name": code.title()}), 201)
    return api.ok(api.get("/queues", as_=people.admin))["items"]


def test_a_list_answers_the_envelope_with_no_links_when_it_fits_one_page(api, people, five_queues):
    answer = api.ok(api.get("/queues", as_=people.admin))
    assert {key: answer[key] for key in ("total", "page", "per_page", "links")} == {
        "total": 5, "page": 1, "per_page": DEFAULT_PER_PAGE, "links": {"next": None, "previous": None}}
    assert [queue["code"] for queue in answer["items"]] == ["alpha", "bravo", "charlie", "delivery", "delta"]


def test_links_lead_to_the_next_and_previous_pages_and_are_null_at_the_ends(api, people, five_queues):
    first = api.ok(api.get("/queues", as_=people.admin, query={"per_page": 2}))
    assert [q["code"] for q in first["items"]] == ["alpha", "bravo"] and first["total"] == 5
    assert first["links"]["previous"] is None
    assert urlsplit(first["links"]["next"]).path == "/api/v1/queues"
    assert sorted(_query(first["links"]["next"])) == [("page", "2"), ("per_page", "2")]

    second = api.ok(api.client.get(first["links"]["next"], headers=api.headers(people.admin)))
    assert [q["code"] for q in second["items"]] == ["charlie", "delivery"]
    third = api.ok(api.client.get(second["links"]["next"], headers=api.headers(people.admin)))
    assert [q["code"] for q in third["items"]] == ["delta"]
    assert third["links"]["next"] is None
    assert dict(_query(third["links"]["previous"]))["page"] == "2"
    back = api.ok(api.client.get(third["links"]["previous"], headers=api.headers(people.admin)))
    assert back["items"] == second["items"]


def test_a_page_past_the_end_is_empty_and_leads_back_to_the_last_page(api, people, five_queues):
    past = api.ok(api.get("/queues", as_=people.admin, query={"per_page": 2, "page": 9}))
    assert past["items"] == [] and past["total"] == 5
    assert past["links"]["next"] is None and dict(_query(past["links"]["previous"]))["page"] == "3"


def test_links_keep_every_other_query_parameter_repeated_ones_included(api, people):
    for number in range(3):
        new_case(api, people.initiator, subject=f"SIM card {number}")
    path = "/api/v1/cases?status=open&status=open_dispatch&sort=number&per_page=1&q=SIM"
    first = api.ok(api.client.get(path, headers=api.headers(people.admin)))
    assert first["total"] == 3
    query = _query(first["links"]["next"])
    assert [value for key, value in query if key == "status"] == ["open", "open_dispatch"]
    assert dict(query) | {"status": None} == {"status": None, "sort": "number", "per_page": "1", "q": "SIM",
                                              "page": "2"}
    second = api.ok(api.client.get(first["links"]["next"], headers=api.headers(people.admin)))
    assert second["page"] == 2 and second["items"][0]["id"] != first["items"][0]["id"]
    assert [value for key, value in _query(second["links"]["previous"]) if key == "status"] == ["open", "open_dispatch"]


def test_a_case_s_comments_are_paged_in_the_database(api, people):
    case = new_case(api, people.initiator)
    for number in range(3):
        api.ok(api.post(f"/cases/{case['id']}/comments", as_=people.initiator, json={"body": f"Note {number}"}), 201)
    page = api.ok(api.get(f"/cases/{case['id']}/comments", as_=people.initiator, query={"per_page": 2, "page": 2}))
    assert [c["body"] for c in page["items"]] == ["Note 2"] and page["total"] == 3
    assert page["links"]["next"] is None and urlsplit(page["links"]["previous"]).path == f"/api/v1/cases/{case['id']}/comments"


@pytest.mark.parametrize("path", ["/queues", "/queues/statistics", "/cases", "/case-types", "/queues/calendars"])
@pytest.mark.parametrize(("name", "value"), [("per_page", "201"), ("per_page", "0"), ("page", "0"), ("page", "x")])
def test_every_list_refuses_the_same_paging_limits_naming_the_parameter(api, people, path, name, value):
    answer = api.get(path, as_=people.admin, query={name: value})
    assert answer.status_code == 422, answer.get_json()
    assert answer.content_type == "application/problem+json"
    assert set(answer.get_json()["errors"]) == {name}


def test_the_largest_page_is_allowed(api, people):
    assert api.ok(api.get("/queues", as_=people.admin, query={"per_page": 200}))["per_page"] == 200
