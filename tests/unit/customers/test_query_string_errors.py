"""A query string's validation errors read like a body's: a 422 problem whose ``errors`` name each bad
parameter at the top level (not under a "query" key), on every kind of customers route."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("path", "query", "fields"), [
    ("/api/v1/customers", {"page": "first", "per_page": "0"}, {"page", "per_page"}),
    ("/api/v1/customers/search", {"q": "a", "colour": "red"}, {"colour"}),
    ("/api/v1/customers/{id}/history", {"period": "decade"}, {"period"}),
    ("/api/v1/customers/{id}/offers", {"outcome": "maybe"}, {"outcome"}),
    ("/api/v1/customers/{id}/consents", {"language": "fr"}, {"language"}),
    ("/api/v1/customers/{id}/attachments", {"interaction_id": "nope"}, {"interaction_id"}),
])
def test_query_string_errors_have_the_shape_of_body_errors(client, admin, make_customer, path, query, fields):
    customer = make_customer()
    response = client.get(path.format(id=customer["id"]), headers=admin[1], query_string=query)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"].endswith("/invalid-fields")
    assert set(problem["errors"]) == fields


def test_a_body_and_a_query_string_name_a_field_alike(client, admin, make_customer):
    customer = make_customer()
    body = client.post(f"/api/v1/customers/{customer['id']}/offers", headers=admin[1],
                       json={"campaign": "X", "channel": "phone", "outcome": "maybe"}).get_json()
    query = client.get(f"/api/v1/customers/{customer['id']}/offers", headers=admin[1],
                       query_string={"outcome": "maybe"}).get_json()
    assert body["errors"]["outcome"] == query["errors"]["outcome"]
    assert {k: v for k, v in body.items() if k not in ("instance", "correlation_id", "errors")} == \
        {k: v for k, v in query.items() if k not in ("instance", "correlation_id", "errors")}
