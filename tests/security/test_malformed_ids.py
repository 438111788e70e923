"""One behaviour for a malformed id in a path, in every component's API: after authentication it
answers 404 as a problem (as a well-formed id naming nothing would), and an anonymous caller gets
401 first. Every id-taking API route takes it through the kit's ``<id:…>`` converter."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import UUIDConverter

from caredesk.components import COMPONENTS
from services.kit.http import IdConverter
from tests.conftest import make_principal

EVERY_PERMISSION = frozenset({"edit_customers", "bulk_change_sales_agent", "delete_notes", "manage_queues",
                              "manage_reminders", "manage_templates", "manage_users"})


def _id_routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, rule, id arguments) of every API route taking an id in its path."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("proxy."):
            continue
        ids = [name for name, converter in rule._converters.items() if isinstance(converter, UUIDConverter)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if ids:
                routes.append((method, rule, ids))
    return routes


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_a_malformed_id_is_a_404_problem_after_authentication_in_every_component(name, make_app, token_issuer):
    app = make_app(name, backend="sqlite")
    client = app.test_client()
    admin = make_principal(level=1, permissions=EVERY_PERMISSION)
    token = token_issuer.issue(admin)[0]
    routes = _id_routes(app)
    assert routes, f"{name} has no id-taking routes?"
    for method, rule, ids in routes:
        assert all(isinstance(rule._converters[arg], IdConverter) for arg in ids), \
            f"{name} {rule.rule}: take ids with <id:…> (services.kit.http.IdConverter)"
        path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "not-an-id" if m[2] in ids else "1", rule.rule)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        anonymous = client.open(path, method=method, json=body)
        assert anonymous.status_code == 401, (name, method, path, anonymous.status_code)
        answer = client.open(path, method=method, json=body,
                             headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
        assert (answer.status_code, answer.content_type) == (404, "application/problem+json"), \
            (name, method, path, answer.status_code, answer.get_data(as_text=True)[:200])
        assert "not an id" in answer.get_json()["detail"]
    print(f"\n{name}: {len(routes)} id-taking routes, a malformed id 401 anonymous and 404 signed in")
