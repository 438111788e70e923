"""The case use cases on an in-memory unit of work (cosmicpython's test_handlers.py): each opens
its own transaction, commits the change with its timeline and its events, or leaves nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.cases import use_cases
from services.cases.case_types import use_cases as case_type_use_cases
from services.cases.queues import use_cases as queue_use_cases
from services.cases.errors import TaskDependencyCycle, TransitionNotAllowed
from services.cases.models import Case, CaseType, TimelineEntry
from services.kit.problems import Forbidden, InvalidFields
from tests.conftest import make_principal
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID


def create(memory, principal, **data):
    payload = {"customer_id": CUSTOMER_ID, "subject": "Deliver the SIM card"} | data
    if "type" not in payload:
        payload.setdefault("queue", "delivery")
    return use_cases.create_case(memory.uow(principal), principal=principal, data=payload)


def timeline(memory, case) -> list[str]:
    with memory.database.session() as session:
        return list(session.scalars(select(TimelineEntry.action).where(TimelineEntry.case_id == case.id)
                                    .order_by(TimelineEntry.at)))


def test_create_commits_the_case_its_timeline_and_its_event(memory, people):
    case = create(memory, people.initiator)
    assert case.number.endswith("-000001") and case.owner_id == people.initiator.user_id
    assert timeline(memory, case) == ["created"]
    assert memory.event_names()[-1] == "case.created.v1"


def test_a_refused_create_leaves_nothing_behind(memory, people):
    with pytest.raises(InvalidFields):
        create(memory, people.initiator, queue=None)
    with memory.database.session() as session:
        assert session.scalars(select(Case)).all() == []
    assert "case.created.v1" not in memory.event_names()
    # the number sequence has no gap
    assert create(memory, people.initiator).number.endswith("-000001")


def test_a_case_type_routes_new_and_saved_cases(memory, people):
    admin = people.admin
    queue_use_cases.create_queue(memory.uow(admin), principal=admin, data={"code": "express", "name": "Express"})
    case_type_use_cases.create_case_type(memory.uow(admin), principal=admin, data={
        "code": "sim", "name": "SIM", "queue": "delivery", "default_priority": "normal", "form": [],
        "is_active": True})
    [sim] = _case_types(memory)
    case_type_use_cases.add_routing_rule(memory.uow(admin), principal=admin, case_type_id=sim.id,
                                         data={"queue": "express", "priority": "urgent"})
    case = create(memory, people.initiator, type="sim")
    assert case.queue.code == "delivery"
    saved = use_cases.save_case(memory.uow(people.initiator), principal=people.initiator, case_id=case.id,
                                expected_version=case.version, data={"priority": "urgent"})
    assert saved.queue.code == "express"
    assert memory.events("case.saved.v1")[-1]["data"]["changed"] == ["priority", "queue"]


def _case_types(memory) -> list[CaseType]:
    with memory.database.session() as session:
        return session.scalars(select(CaseType)).all()


def test_the_full_round_through_the_use_cases(memory, people):
    ana, boris = people.initiator, people.agent
    case = create(memory, ana)
    use_cases.dispatch_case(memory.uow(ana), principal=ana, case_id=case.id)
    taken = use_cases.take_next_case(memory.uow(boris), principal=boris)
    assert taken.id == case.id and taken.owner_id == boris.user_id
    use_cases.accept_case(memory.uow(boris), principal=boris, case_id=case.id)
    closed = use_cases.close_case(memory.uow(boris), principal=boris, case_id=case.id, resolution="Delivered")
    assert closed.status == "closed"
    assert timeline(memory, case) == ["created", "dispatched", "taken", "accepted", "closed"]
    assert memory.event_names()[-5:] == ["case.created.v1", "case.dispatched.v1", "case.assigned.v1",
                                         "case.accepted.v1", "case.closed.v1"]


def test_a_refused_action_changes_nothing(memory, people):
    case = create(memory, people.initiator)
    before = memory.event_names()
    with pytest.raises(TransitionNotAllowed):
        use_cases.accept_case(memory.uow(people.initiator), principal=people.initiator, case_id=case.id)
    assert memory.event_names() == before and timeline(memory, case) == ["created"]


def test_tasks_through_the_use_cases(memory, people):
    ana = people.initiator
    case = create(memory, ana)
    first = use_cases.add_task(memory.uow(ana), principal=ana, case_id=case.id, data={"title": "First"})
    second = use_cases.add_task(memory.uow(ana), principal=ana, case_id=case.id,
                                data={"title": "Second", "blocked_by_id": first.id})
    with pytest.raises(TaskDependencyCycle):
        use_cases.change_task(memory.uow(ana), principal=ana, case_id=case.id, task_id=first.id,
                              data={"blocked_by_id": second.id})
    branch_manager = make_principal(level=2, branch_id=BRANCH)  # reaches the case, keeps none of its tasks
    with pytest.raises(Forbidden):
        use_cases.add_task(memory.uow(branch_manager), principal=branch_manager, case_id=case.id,
                           data={"title": "Not mine"})
    use_cases.complete_task(memory.uow(ana), principal=ana, case_id=case.id, task_id=first.id)
    done = use_cases.complete_task(memory.uow(ana), principal=ana, case_id=case.id, task_id=second.id)
    assert done.is_done
