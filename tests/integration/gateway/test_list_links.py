"""A list read through the gateway: its links are the path the client called (the gateway forwards
/api/v1/... to the same path of the owning service) with every other parameter, repeated ones too."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import make_principal
from tests.integration.gateway.conftest import bearer, new_code

pytestmark = pytest.mark.integration

ADMIN = make_principal(username="root", level=1, permissions=frozenset({"manage_queues"}))


def test_links_of_a_forwarded_list_lead_through_the_gateway(served_system, token_issuer):
    client = served_system.gateway().test_client()
    headers = bearer(token_issuer, ADMIN)
    for _ in range(3):
        code = new_code("q").lower()
        made = client.post("/api/v1/queues", headers=headers, json={"code": code, "name": code})
        assert made.status_code == 201, made.get_json()
        made.close()

    with client.get("/api/v1/queues?per_page=2&note=a&note=b", headers=headers) as first:
        assert first.status_code == 200, first.get_json()
        page = first.get_json()
    assert page["total"] >= 3 and len(page["items"]) == 2 and page["links"]["previous"] is None
    following = page["links"]["next"]
    assert urlsplit(following).path == "/api/v1/queues"
    assert [value for key, value in parse_qsl(urlsplit(following).query) if key == "note"] == ["a", "b"]

    with client.get(following, headers=headers) as answer:
        second = answer.get_json()
    assert second["page"] == 2 and {q["id"] for q in second["items"]}.isdisjoint({q["id"] for q in page["items"]})
    assert dict(parse_qsl(urlsplit(second["links"]["previous"]).query))["page"] == "1"

    with client.get("/api/v1/queues?per_page=201", headers=headers) as refused:
        assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"per_page"}
