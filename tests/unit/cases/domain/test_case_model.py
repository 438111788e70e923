"""The Case aggregate's rules on objects in memory: how a case is opened and routed, dispatched with
what it knows (its queue, its form, its calendar), saved, and how its tasks are kept."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.cases.errors import CaseClosed, FormIncomplete, TaskBlocked, TaskDependencyCycle
from services.cases.models import INITIATOR, MEMBER, OPEN, OPEN_DISPATCH, OWNER, Case
from services.kit.problems import Forbidden, InvalidFields
from tests.conftest import make_principal
from tests.unit.cases.domain.factories import (
    MONDAY_9, make_calendar, make_case_type, make_customer, make_queue, make_task, next_number, open_case,
)

ADDRESS_FORM = [{"name": "address", "label": "Delivery address", "type": "text", "required": True},
                {"name": "sim_count", "label": "SIM cards", "type": "integer"}]
OWNER_ROLES = frozenset({INITIATOR, OWNER})


# -- opening ------------------------------------------------------------------------------------
def test_open_makes_a_draft_held_by_its_initiator_and_announces_it():
    ana = make_principal(level=4)
    queue = make_queue()
    case = Case.open(principal=ana, customer=make_customer(), subject="Deliver", at=MONDAY_9,
                     numbering=next_number, queue=queue)
    assert (case.status, case.owner_id, case.initiator_id, case.is_draft) == (OPEN, ana.user_id, ana.user_id, True)
    assert case.queue is queue and case.is_queue_chosen and case.priority == "normal"
    assert case.number.startswith("2026-")
    [(name, payload)] = case.drain_events()
    assert name == "case.created.v1" and payload["queue"]["code"] == "delivery"


def test_open_routes_by_the_type_when_no_queue_is_chosen():
    delivery, express = make_queue("delivery"), make_queue("express")
    case_type = make_case_type(delivery, default_priority="high",
                               rules=[({"region": "moscow", "priority": "high"}, express)])
    moscow = open_case(case_type=case_type, customer=make_customer(region="Moscow"))
    kazan = open_case(case_type=case_type, customer=make_customer(region="Kazan"))
    assert (moscow.queue, moscow.priority, moscow.is_queue_chosen) == (express, "high", False)
    assert kazan.queue is delivery


def test_open_routes_on_the_status_of_the_line_the_case_is_about():
    delivery, blocked = make_queue("delivery"), make_queue("unblock")
    case_type = make_case_type(delivery, rules=[({"line_status": "blocked"}, blocked)])
    customer = make_customer(lines=[{"number": "+79160000001", "status": "blocked"},
                                    {"number": "+79160000002", "status": "active"}])
    assert open_case(case_type=case_type, customer=customer, line="+79160000001").queue is blocked
    assert open_case(case_type=case_type, customer=customer, line="+79160000002").queue is delivery


def test_open_refused_without_a_type_or_a_queue():
    with pytest.raises(InvalidFields) as refused:
        Case.open(principal=make_principal(), customer=make_customer(), subject="?", at=MONDAY_9,
                  numbering=next_number)
    assert set(refused.value.extra["errors"]) == {"type", "queue"}


def test_open_draws_no_number_when_the_form_values_are_invalid():
    drawn = []
    with pytest.raises(InvalidFields) as refused:
        Case.open(principal=make_principal(), customer=make_customer(), subject="?", at=MONDAY_9,
                  numbering=lambda year: drawn.append(year) or "2026-000001",
                  case_type=make_case_type(make_queue(), form=ADDRESS_FORM), custom_fields={"sim_count": "two"})
    assert list(refused.value.extra["errors"]) == ["custom_fields.sim_count"] and drawn == []


# -- dispatching --------------------------------------------------------------------------------
def test_dispatch_takes_its_queue_targets_for_its_priority_and_its_queue_calendar():
    queue = make_queue(calendar=make_calendar(), targets={"normal": (60, 600), "urgent": (15, 60)})
    case = open_case(queue=queue)
    friday_evening = MONDAY_9 + timedelta(days=4, hours=8, minutes=30)  # 17:30, half an hour before closing
    case.dispatch(roles=OWNER_ROLES, by=case.initiator_id, at=friday_evening)
    assert case.status == OPEN_DISPATCH and case.owner_id is None
    # 30 business minutes on Friday, the other 30 on Monday morning
    assert case.acceptance_due_at == MONDAY_9 + timedelta(days=7, minutes=30)
    assert case.acceptance_target_seconds == 3600 and case.resolution_target_seconds == 36000
    [(name, payload)] = case.drain_events()
    assert name == "case.dispatched.v1" and payload["acceptance_due_at"] == case.acceptance_due_at


def test_dispatch_refused_while_its_form_misses_required_fields():
    case = open_case(case_type=make_case_type(make_queue(), form=ADDRESS_FORM), custom_fields={"sim_count": 2})
    with pytest.raises(FormIncomplete) as refused:
        case.dispatch(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9)
    assert refused.value.extra["missing_fields"] == [{"name": "address", "label": "Delivery address"}]
    assert case.status == OPEN and case.drain_events() == []


def test_reopen_restarts_the_clock_on_its_queue_calendar():
    queue = make_queue(targets={"normal": (60, 120)})
    agent = make_principal(queues=frozenset({"delivery"}))
    case = open_case(queue=queue)
    case.dispatch(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9)
    case.take(roles=frozenset({MEMBER}), by=agent.user_id, at=MONDAY_9)
    case.accept(roles=frozenset({MEMBER, OWNER}), by=agent.user_id, at=MONDAY_9)
    case.close(roles=frozenset({OWNER}), by=agent.user_id, at=MONDAY_9 + timedelta(minutes=30), resolution="Done")
    case.reopen(roles=frozenset({OWNER}), by=agent.user_id, at=MONDAY_9 + timedelta(hours=2), reason="Again")
    # the 90 minutes closed do not count: resolution due 120 minutes of open time after the dispatch
    assert case.resolution_due_at == MONDAY_9 + timedelta(minutes=210)


# -- saving -------------------------------------------------------------------------------------
def test_save_routes_again_when_the_priority_changes_unless_the_queue_was_chosen():
    delivery, express = make_queue("delivery"), make_queue("express")
    case_type = make_case_type(delivery, rules=[({"priority": "urgent"}, express)])
    customer = make_customer()
    routed = open_case(case_type=case_type, customer=customer)
    routed.save(roles=OWNER_ROLES, by=routed.initiator_id, at=MONDAY_9, changes={"priority": "urgent"},
                customer=customer)
    assert routed.queue is express
    chosen = open_case(case_type=case_type, customer=customer, queue=delivery)
    chosen.save(roles=OWNER_ROLES, by=chosen.initiator_id, at=MONDAY_9, changes={"priority": "urgent"},
                customer=customer)
    assert chosen.queue is delivery


def test_save_without_a_queue_hands_routing_back_to_the_type():
    delivery, express = make_queue("delivery"), make_queue("express")
    case_type = make_case_type(delivery, rules=[({"region": "moscow"}, express)])
    customer = make_customer(region="Moscow")
    case = open_case(case_type=case_type, queue=delivery, customer=customer)
    names = case.save(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9, changes={"queue": None},
                      customer=customer)
    assert (case.queue, case.is_queue_chosen, names) == (express, False, ["is_queue_chosen", "queue"])


def test_save_refuses_a_case_without_type_or_queue():
    case = open_case()
    with pytest.raises(InvalidFields) as refused:
        case.save(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9, changes={"queue": None})
    assert list(refused.value.extra["errors"]) == ["queue"]


def test_save_keeps_only_the_form_values_the_new_type_has():
    queue = make_queue()
    case = open_case(case_type=make_case_type(queue, form=ADDRESS_FORM),
                     custom_fields={"address": "Tverskaya 1", "sim_count": 2})
    new_type = make_case_type(queue, code="sim-swap", form=[ADDRESS_FORM[0]])
    case.save(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9, changes={"case_type": new_type})
    assert case.custom_fields == {"address": "Tverskaya 1"}


# -- tasks --------------------------------------------------------------------------------------
def test_tasks_are_kept_by_the_case_people_only():
    case = open_case()
    case.require_task_access(frozenset({MEMBER}))
    with pytest.raises(Forbidden):
        case.require_task_access(frozenset())


def test_a_task_may_be_completed_by_its_assignee_even_outside_the_case():
    case = open_case()
    helper = make_principal()
    task = make_task(case, "Call the courier", assignee_id=helper.user_id)
    with pytest.raises(Forbidden):
        case.complete_task(task, roles=frozenset(), by=make_principal().user_id, at=MONDAY_9)
    case.complete_task(task, roles=frozenset(), by=helper.user_id, at=MONDAY_9)
    assert task.is_done and task.done_by == helper.user_id


def test_a_blocked_task_waits_for_its_blocker():
    case = open_case()
    migration = make_task(case, "Migrate the account")
    training = make_task(case, "Billing training", blocked_by=migration)
    with pytest.raises(TaskBlocked):
        case.complete_task(training, roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9)
    case.complete_task(migration, roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9)
    case.complete_task(training, roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9)
    assert training.is_done


def test_tasks_never_wait_for_each_other_in_a_circle():
    case = open_case()
    first = make_task(case, "First")
    second = make_task(case, "Second", blocked_by=first)
    third = make_task(case, "Third", blocked_by=second)
    with pytest.raises(TaskDependencyCycle):
        case.change_task(first, by=case.initiator_id, at=MONDAY_9, changes={"blocked_by": third})
    with pytest.raises(TaskDependencyCycle):
        case.change_task(first, by=case.initiator_id, at=MONDAY_9, changes={"blocked_by": first})
    assert first.blocked_by is None
    case.change_task(third, by=case.initiator_id, at=MONDAY_9, changes={"blocked_by": None})
    assert third.blocked_by is None and third.blocked_by_id is None


def test_a_closed_case_keeps_its_tasks_as_they_are():
    case = open_case()
    task = make_task(case, "First")
    case.close(roles=OWNER_ROLES, by=case.initiator_id, at=MONDAY_9, resolution="Done")
    with pytest.raises(CaseClosed):
        case.change_task(task, by=case.initiator_id, at=MONDAY_9, changes={"title": "Renamed"})
