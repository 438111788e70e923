"""The case state table, written out apart from the code that implements it: for every case state
and every role, the actions allowed (HIDDEN: the case is out of the role's reach, 404).
test_state_table_model.py checks every row on the model and use cases; test_state_table.py checks
a sample of rows through the HTTP API.

States: draft (Open, never dispatched), queued (Open Dispatch, nobody holds it), assigned (Open
Dispatch, taken by the agent), in_work (Open, accepted by the agent), returned (Open-Reject),
closed (closed by the agent), cancelled (a cancelled draft).
Roles: the front-office initiator, the agent who works it, a colleague in the same queue, the
queue's supervisor, and an agent of another department's queue.
"""
from __future__ import annotations

from services.cases.models import ACTIONS

HIDDEN = "404"
ROLES = ("initiator", "agent", "colleague", "supervisor", "outsider")

ALLOWED = {
    "draft": {"initiator": {"save", "dispatch", "cancel", "close"},
              "agent": HIDDEN, "colleague": HIDDEN, "supervisor": HIDDEN, "outsider": HIDDEN},
    "queued": {"initiator": set(), "agent": {"take"}, "colleague": {"take"},
               "supervisor": {"assign", "reject"}, "outsider": HIDDEN},
    "assigned": {"initiator": set(), "agent": {"accept", "reject"}, "colleague": set(),
                 "supervisor": {"assign", "reject"}, "outsider": HIDDEN},
    "in_work": {"initiator": set(), "agent": {"save", "dispatch", "reject", "close"}, "colleague": set(),
                "supervisor": {"assign", "reject"}, "outsider": HIDDEN},
    "returned": {"initiator": {"save", "dispatch", "close"}, "agent": set(), "colleague": set(),
                 "supervisor": set(), "outsider": HIDDEN},
    "closed": {"initiator": {"reopen"}, "agent": {"reopen"}, "colleague": set(), "supervisor": {"reopen"},
               "outsider": HIDDEN},
    "cancelled": {"initiator": set(), "agent": HIDDEN, "colleague": HIDDEN, "supervisor": HIDDEN,
                  "outsider": HIDDEN},
}
RESULTING_STATUS = {"save": None, "dispatch": "open_dispatch", "cancel": "closed", "assign": None,
                    "accept": "open", "reject": "open_reject", "close": "closed", "reopen": "open"}

# How a fresh draft reaches each state: (who, action, arguments), in order.
STEPS = {
    "draft": [],
    "cancelled": [("initiator", "cancel", {})],
    "queued": [("initiator", "dispatch", {})],
    "assigned": [("initiator", "dispatch", {}), ("agent", "take", {})],
    "in_work": [("initiator", "dispatch", {}), ("agent", "take", {}), ("agent", "accept", {})],
    "returned": [("initiator", "dispatch", {}), ("agent", "take", {}),
                 ("agent", "reject", {"reason": "The address is incomplete."})],
    "closed": [("initiator", "dispatch", {}), ("agent", "take", {}), ("agent", "accept", {}),
               ("agent", "close", {"resolution": "Delivered."})],
}

ROWS = [(state, role, action) for state in ALLOWED for role in ROLES for action in ACTIONS]


def expected(state: str, role: str):
    """The actions ``role`` may take on a case in ``state``, in ACTIONS order, or HIDDEN."""
    allowed = ALLOWED[state][role]
    return HIDDEN if allowed == HIDDEN else [action for action in ACTIONS if action in allowed]


def outcome(state: str, role: str, action: str) -> str:
    """"done", "refused" (409 / nothing to take) or "hidden" (404)."""
    allowed = ALLOWED[state][role]
    if allowed == HIDDEN:
        return "nothing" if action == "take" else "hidden"
    if action in allowed:
        return "done"
    return "nothing" if action == "take" else "refused"


def http_sample() -> list[tuple[str, str, str]]:
    """Rows kept over HTTP: every state and role once (actions rotating), and for every action each
    outcome it can have at least once, so routing, status codes and problems stay covered."""
    chosen = {(state, role, ACTIONS[(index * 2) % len(ACTIONS)])
              for index, (state, role) in enumerate((s, r) for s in ALLOWED for r in ROLES)}
    for action in ACTIONS:
        for kind in ("done", "refused", "hidden", "nothing"):
            row = next((row for row in ROWS if row[2] == action and outcome(*row) == kind), None)
            if row is not None:
                chosen.add(row)
    return [row for row in ROWS if row in chosen]
