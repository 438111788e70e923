"""Taking one chosen waiting case (POST /cases/{id}/take), beside take-next: who may, what it
records, and that every action a case lists has its endpoint."""
from __future__ import annotations

from services.cases.models import ACTIONS
from tests.unit.cases.conftest import new_case
from tests.unit.cases.test_events_and_admin import outbox


def dispatched(api, people, **overrides) -> dict:
    case = new_case(api, people.initiator, **overrides)
    return api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))


def test_a_queue_member_takes_the_case_they_chose_not_the_next(api, people):
    first = dispatched(api, people, priority="urgent")
    chosen = dispatched(api, people, priority="low")
    seen = api.ok(api.get(f"/cases/{chosen['id']}", as_=people.agent))
    assert "take" in seen["allowed_actions"]
    taken = api.ok(api.post(f"/cases/{chosen['id']}/take", as_=people.agent))
    assert taken["owner_id"] == str(people.agent.user_id) and taken["status"] == "open_dispatch"
    assert "take" not in taken["allowed_actions"]
    events = [e for e in outbox(api.app) if e["type"] == "case.assigned"]
    assert [(e["data"]["id"], e["data"]["how"]) for e in events] == [(chosen["id"], "take")]
    timeline = api.ok(api.get(f"/cases/{chosen['id']}/timeline", as_=people.agent))
    items = timeline["items"] if isinstance(timeline, dict) else timeline
    assert [line for line in items if line["action"] == "taken"]
    # the urgent one still waits for take-next
    assert api.ok(api.post("/cases/take-next", as_=people.colleague))["id"] == first["id"]


def test_a_taken_case_is_refused_to_the_second_agent_with_409(api, people):
    case = dispatched(api, people)
    api.ok(api.post(f"/cases/{case['id']}/take", as_=people.agent))
    refused = api.post(f"/cases/{case['id']}/take", as_=people.colleague)
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("transition-not-allowed")


def test_take_refused_to_a_non_member_and_with_a_stale_if_match(api, people):
    case = dispatched(api, people)
    assert api.post(f"/cases/{case['id']}/take", as_=people.supervisor).status_code == 409
    stale = api.post(f"/cases/{case['id']}/take", as_=people.agent, if_match=case["version"] - 1)
    assert stale.status_code == 412 and stale.get_json()["current_version"] == case["version"]
    assert api.ok(api.post(f"/cases/{case['id']}/take", as_=people.agent, if_match=case["version"]))


def test_every_action_a_case_can_list_has_its_endpoint(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods or "PATCH" in rule.methods}
    for action in ACTIONS:
        if action == "save":
            assert "/api/v1/cases/<id:case_id>" in {r.rule for r in app.url_map.iter_rules() if "PATCH" in r.methods}
        else:
            assert f"/api/v1/cases/<id:case_id>/{action}" in routes, action
