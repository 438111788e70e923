"""The two 500s a fuzzer found in the cases service, on PostgreSQL: SLA policies with a missing
priority crashed the validator, and field errors mixing list positions and names crashed the
problem renderer. Both now answer 422 naming the field, and change nothing."""
from __future__ import annotations

import json

import pytest

from services.kit.problems import InvalidFields, problem_response
from tests.conftest import make_principal
from tests.security.conftest import fingerprint

pytestmark = pytest.mark.integration

BROKEN_POLICIES = [
    ([{"acceptance_minutes": 5}], "policies.0.priority"),
    ([{"priority": "high"}, {"resolution_minutes": 60}], "policies.1.priority"),
    ([{"priority": "bogus"}, {"priority": "high", "extra": 1}], "policies.0.priority"),
    ([{}, {}, {}], "policies.2.priority"),
    ([None], "policies.0"),
    ([{"priority": "high"}, {"priority": "high"}], "policies"),
]


def _field_named(errors: dict, dotted: str) -> bool:
    node = errors
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_sla_policies_with_a_missing_priority_are_refused_by_field(make_app, client_of):
    app = make_app("cases")
    api = client_of(app)
    admin = make_principal(level=1, permissions=frozenset({"manage_queues"}))
    queue = api.post("/api/v1/queues", as_=admin, json={"code": "delivery", "name": "Delivery"}).get_json()
    for policies, field in BROKEN_POLICIES:
        before = fingerprint(app)
        response = api.put(f"/api/v1/queues/{queue['id']}/sla", as_=admin, json={"policies": policies})
        assert response.status_code == 422, (policies, response.get_data(as_text=True))
        assert response.content_type == "application/problem+json"
        assert _field_named(response.get_json()["errors"], field), (field, response.get_json()["errors"])
        assert fingerprint(app) == before
    print(f"\nSLA policies: {len(BROKEN_POLICIES)} broken bodies, each 422 naming its field, none a 500")


def test_field_errors_mixing_positions_and_names_render(make_app):
    app = make_app("cases")
    mixed = {"policies": {0: {"priority": ["Missing data for required field."]}, "_schema": ["Too many."]},
             "tasks": [{1: ["x"], "title": ["y"]}]}
    with app.test_request_context("/api/v1/anything"):
        error = InvalidFields(mixed)
        response = problem_response(status=error.status, title=error.title, type_=error.type, **error.extra)
    body = json.loads(response.get_data(as_text=True))
    assert response.status_code == 422
    assert body["errors"]["policies"] == {"0": {"priority": ["Missing data for required field."]},
                                          "_schema": ["Too many."]}
    assert body["errors"]["tasks"] == [{"1": ["x"], "title": ["y"]}]
