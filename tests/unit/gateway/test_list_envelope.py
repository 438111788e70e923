"""The gateway's own lists (directory, API tokens) answer the envelope every service's list answers,
with the same limits; the console's Api.every follows links.next to the last page."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.unit.gateway.test_directory_and_login import auth, gateway, login  # noqa: F401 - the fixture


@pytest.fixture
def admin(gateway):
    return auth(login(gateway))


@pytest.fixture
def branches(gateway, admin):
    for code in ("north", "south", "east"):
        assert gateway.post("/api/v1/directory/branches", headers=admin, json={"code": code, "name": code}).status_code == 201
    return ["east", "hq", "north", "south"]


def test_the_directory_s_lists_page_with_links(gateway, admin, branches):
    first = gateway.get("/api/v1/directory/branches?per_page=3&unused=a&unused=b", headers=admin).get_json()
    assert [b["code"] for b in first["items"]] == branches[:3] and first["total"] == 4
    assert first["links"]["previous"] is None
    link = first["links"]["next"]
    assert urlsplit(link).path == "/api/v1/directory/branches"
    assert sorted(parse_qsl(urlsplit(link).query)) == [("page", "2"), ("per_page", "3"), ("unused", "a"), ("unused", "b")]
    last = gateway.get(link, headers=admin).get_json()
    assert [b["code"] for b in last["items"]] == branches[3:] and last["links"]["next"] is None
    assert dict(parse_qsl(urlsplit(last["links"]["previous"]).query))["page"] == "1"


@pytest.mark.parametrize("path", ["/api/v1/directory/users", "/api/v1/directory/branches", "/api/v1/auth/api-tokens",
                                  "/api/v1/directory/users/search", "/api/v1/directory/audit"])
@pytest.mark.parametrize(("name", "value"), [("per_page", "201"), ("page", "0")])
def test_the_gateway_s_lists_refuse_the_shared_limits(gateway, admin, path, name, value):
    answer = gateway.get(path, headers=admin, query_string={name: value})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {name}


def test_the_console_s_every_follows_the_links_to_the_last_page(gateway, admin, branches, monkeypatch):
    from gateway.console import api_client

    monkeypatch.setattr(api_client, "MAX_PER_PAGE", 3)
    app = gateway.application
    token = admin["Authorization"].removeprefix("Bearer ")
    with app.test_request_context("/"):
        api = api_client.Api(token)
        answer = api.every("directory/branches")
    assert answer.ok and [b["code"] for b in answer.body] == branches
    assert [call[1] for call in api.calls] == ["directory/branches", "directory/branches?per_page=3&page=2"]
