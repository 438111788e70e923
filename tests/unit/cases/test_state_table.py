"""The state table through the HTTP API, on a sample of its rows (state_table.http_sample: every
state and role, and every outcome of every action); test_state_table_model.py checks all 315 rows
on the model and use cases. Refusals of a case the caller reaches are 409 with the actions the
caller may take instead; a case the caller does not reach is 404.
"""
from __future__ import annotations

import uuid

import pytest

from services.cases.models import ACTIONS
from tests.unit.cases.conftest import Api, build_app, make_people, new_case, setup_queue
from tests.unit.cases.state_table import ALLOWED, HIDDEN, RESULTING_STATUS, STEPS, http_sample


@pytest.fixture(scope="module")
def module_api(tmp_path_factory, key_pair, token_issuer):
    return Api(build_app(tmp_path_factory.mktemp("state-table"), key_pair), token_issuer)


def build_state(api: Api, people, state: str) -> dict:
    """A case in ``state``, in a queue of its own (take-next sees no other test's cases)."""
    case = new_case(api, people.initiator, queue=people.queue_code)
    for role, action, body in STEPS[state]:
        who = getattr(people, role)
        if action == "take":
            case = api.ok(api.post("/cases/take-next", as_=who, json={}))
        else:
            case = api.ok(api.post(f"/cases/{case['id']}/{action}", as_=who, json=body or None))
    return case


def perform(api: Api, people, case: dict, action: str, who):
    path = f"/cases/{case['id']}"
    if action == "save":
        return api.patch(path, as_=who, if_match=case["version"], json={"subject": "Corrected subject"})
    if action == "take":
        return api.post("/cases/take-next", as_=who, json={})
    body = {"assign": {"assignee_id": str(people.colleague.user_id)}, "reject": {"reason": "Wrong address."},
            "close": {"resolution": "Done."}, "reopen": {"reason": "Not delivered after all."}}.get(action)
    return api.post(f"{path}/{action}", as_=who, json=body)


@pytest.mark.parametrize(("state", "role", "action"), http_sample())
def test_state_table(module_api, state, role, action):
    api = module_api
    people = make_people(f"q{uuid.uuid4().hex[:10]}")
    setup_queue(api, people)
    case = build_state(api, people, state)
    who = getattr(people, role)
    expected = ALLOWED[state][role]

    shown = api.get(f"/cases/{case['id']}", as_=who)
    if expected == HIDDEN:
        assert shown.status_code == 404
    else:
        assert shown.get_json()["allowed_actions"] == [a for a in ACTIONS if a in expected]

    response = perform(api, people, case, action, who)
    if action == "take":
        # take-next is not aimed at a case: it either hands this one over or finds nothing waiting
        if expected != HIDDEN and "take" in expected:
            taken = api.ok(response)
            assert (taken["id"], taken["owner_id"]) == (case["id"], str(who.user_id))
        else:
            assert response.status_code == 204, response.get_json()
        return
    if expected == HIDDEN:
        assert response.status_code == 404, response.get_json()
        assert case["subject"] not in response.get_data(as_text=True)
    elif action in expected:
        changed = api.ok(response)
        assert changed["version"] > case["version"]
        if RESULTING_STATUS[action]:
            assert changed["status"] == RESULTING_STATUS[action]
    else:
        assert response.status_code == 409, response.get_json()
        problem = response.get_json()
        assert problem["type"].endswith("/transition-not-allowed")
        assert problem["allowed_actions"] == [a for a in ACTIONS if a in expected]
        assert problem["case_status"] == shown.get_json()["status"]
