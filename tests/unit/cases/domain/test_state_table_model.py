"""The whole state table (state_table.py: 7 states x 5 roles x 9 actions = 315 rows) on the model
and use cases over an in-memory unit of work: what each role is offered, what each action does,
and how it is refused. test_state_table.py keeps a sample of the rows over HTTP."""
from __future__ import annotations

import uuid

import pytest

from services.cases import use_cases
from services.cases.errors import CaseNotFound, TransitionNotAllowed
from services.cases.models import Case
from services.cases.repository import get_case
from tests.unit.cases.conftest import CUSTOMER_ID, make_people
from tests.unit.cases.domain.conftest import MemoryCases, add_customer
from tests.unit.cases.state_table import HIDDEN, RESULTING_STATUS, ROWS, STEPS, expected

ARGUMENTS = {"reject": {"reason": "Wrong address."}, "close": {"resolution": "Done."},
             "reopen": {"reason": "Not delivered after all."}, "cancel": {}, "dispatch": {}, "accept": {}}


@pytest.fixture(scope="module")
def memory():
    memory = MemoryCases()
    add_customer(memory)
    yield memory
    memory.close()


def act(memory: MemoryCases, people, case: Case, action: str, who) -> Case | None:
    """One action as the use cases take it."""
    uow = memory.uow(who)
    if action == "take":
        return use_cases.take_next_case(uow, principal=who)
    if action == "save":
        return use_cases.save_case(uow, principal=who, case_id=case.id, expected_version=case.version,
                                   data={"subject": "Corrected subject"})
    if action == "assign":
        return use_cases.assign_case(uow, principal=who, case_id=case.id, assignee_id=people.colleague.user_id)
    return getattr(use_cases, f"{action}_case")(uow, principal=who, case_id=case.id, **ARGUMENTS[action])


def build_state(memory: MemoryCases, people, state: str) -> Case:
    """A case in ``state``, in a queue of its own (take-next sees no other row's cases)."""
    case = use_cases.create_case(memory.uow(people.initiator), principal=people.initiator, data={
        "customer_id": CUSTOMER_ID, "subject": "Deliver the SIM card", "queue": people.queue_code})
    for role, action, _ in STEPS[state]:
        case = act(memory, people, case, action, getattr(people, role))
    return case


def offered(memory: MemoryCases, case: Case, who):
    """What the case shows ``who``: its allowed actions, or HIDDEN when out of reach."""
    with memory.database.session() as session:
        try:
            loaded = get_case(session, principal=who, case_id=case.id)
        except CaseNotFound:
            return HIDDEN
        return loaded.allowed_actions(use_cases.roles_of(loaded, who))


@pytest.mark.parametrize(("state", "role", "action"), ROWS)
def test_state_table(memory, state, role, action):
    people = make_people(f"q{uuid.uuid4().hex[:10]}")
    memory.setup_queue(people)
    case = build_state(memory, people, state)
    who = getattr(people, role)
    allowed = expected(state, role)
    assert offered(memory, case, who) == allowed

    if action == "take":
        # take-next is not aimed at a case: it either hands this one over or finds nothing waiting
        taken = act(memory, people, case, action, who)
        if allowed != HIDDEN and "take" in allowed:
            assert (taken.id, taken.owner_id) == (case.id, who.user_id)
        else:
            assert taken is None
        return
    if allowed == HIDDEN:
        with pytest.raises(CaseNotFound):
            act(memory, people, case, action, who)
    elif action in allowed:
        changed = act(memory, people, case, action, who)
        assert changed.version > case.version
        if RESULTING_STATUS[action]:
            assert changed.status == RESULTING_STATUS[action]
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            act(memory, people, case, action, who)
        assert refused.value.extra["allowed_actions"] == allowed
        assert refused.value.extra["case_status"] == case.status
