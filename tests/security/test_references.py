"""Object-level authorisation of the references inside write bodies, on PostgreSQL.

Every record a body names (the customer of a new case by id or by code, the files a case carries, a task's assignee, a
queue's supervisor, a case type's or routing rule's queue, a customer's salesperson and agents, the
new agent of a bulk change) is resolved within the caller's reach. A record out of reach answers
exactly like a missing one (same status, same body), carries none of its data, and changes nothing
(every table's rows compared before and after).
"""
from __future__ import annotations

import uuid

import pytest

from services.cases.models import CustomerAttachmentReadModel, CustomerReadModel
from services.kit.db import utcnow
from tests.conftest import make_principal
from tests.security.conftest import fingerprint, register_users, without_correlation

pytestmark = pytest.mark.integration

BRANCH_A, BRANCH_B = uuid.uuid4(), uuid.uuid4()
FRONT_A, FRONT_B, DELIVERY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
# SPEC: creating and changing customers needs the permission edit_customers
EDITOR = frozenset({"edit_customers"})
CREATOR_A = make_principal(username="ana.front", level=4, branch_id=BRANCH_A, department_id=FRONT_A,
                           permissions=EDITOR)
CREATOR_B = make_principal(username="bao.front", level=4, branch_id=BRANCH_B, department_id=FRONT_B,
                           permissions=EDITOR)
# Level 1-4 of branch A; each reaches the branch-A customer (level 4 as its creator), none the other.
CALLERS = {
    "level 2": make_principal(username="l2", level=2, branch_id=BRANCH_A, department_id=FRONT_A),
    "level 3": make_principal(username="l3", level=3, branch_id=BRANCH_A, department_id=FRONT_A),
    "level 4": CREATOR_A,
}
SECRET_NAME = "Zinaida Secretova"


def _assert_alike(out_of_reach, missing, *, field: str) -> None:
    assert out_of_reach.status_code == missing.status_code == 422, (out_of_reach.get_json(), missing.get_json())
    assert without_correlation(out_of_reach.get_json()) == without_correlation(missing.get_json())
    assert field in out_of_reach.get_json()["errors"]
    assert SECRET_NAME not in out_of_reach.get_data(as_text=True)


@pytest.fixture
def cases_app(make_app):
    app = make_app("cases")
    with app.extensions["caredesk"].database.session() as session:
        session.add_all([
            CustomerReadModel(id=uuid.uuid4(), code="A-1", name="Ana's customer", branch_id=BRANCH_A,
                              department_id=FRONT_A, created_by=CREATOR_A.user_id, source_version=1),
            CustomerReadModel(id=uuid.uuid4(), code="B-1", name=SECRET_NAME, branch_id=BRANCH_B,
                              department_id=FRONT_B, created_by=CREATOR_B.user_id, source_version=1)])
        session.commit()
    return app


def _customer_id(app, code: str) -> str:
    with app.extensions["caredesk"].database.session() as session:
        return str(session.query(CustomerReadModel.id).filter_by(code=code).scalar())


def test_a_case_names_only_a_customer_in_reach(cases_app, client_of):
    api = client_of(cases_app)
    admin = make_principal(level=1, branch_id=BRANCH_A, permissions=frozenset({"manage_queues"}))
    assert api.post("/api/v1/queues", as_=admin, json={"code": "delivery", "name": "Delivery"}).status_code == 201
    cells = 0
    for name, caller in CALLERS.items():
        for by, reachable, unreachable, missing in (
                ("customer_id", _customer_id(cases_app, "A-1"), _customer_id(cases_app, "B-1"), str(uuid.uuid4())),
                ("customer_code", "A-1", "B-1", "Z-404")):
            body = {"queue": "delivery", "subject": "Deliver the SIM"}
            before = fingerprint(cases_app)
            out_of_reach = api.post("/api/v1/cases", as_=caller, json=body | {by: unreachable})
            refused_missing = api.post("/api/v1/cases", as_=caller, json=body | {by: missing})
            _assert_alike(out_of_reach, refused_missing, field=by)
            assert fingerprint(cases_app) == before, f"{name}: a refused case changed the database"
            created = api.post("/api/v1/cases", as_=caller, json=body | {by: reachable})
            assert created.status_code == 201, (name, by, created.get_json())
            cells += 3
    print(f"\ncase customer references: {cells} cells tried ({len(CALLERS)} callers x id/code x "
          "in reach/out of reach/missing), out of reach answered as missing in every one")


def _customer_file(app, code: str, *, interaction_id: uuid.UUID, agent) -> str:
    """A file the customers service announced on an interaction of the customer (attachment.added.v1)."""
    attachment_id = uuid.uuid4()
    with app.extensions["caredesk"].database.session() as session:
        session.add(CustomerAttachmentReadModel(
            id=attachment_id, customer_id=uuid.UUID(_customer_id(app, code)), interaction_id=interaction_id,
            interaction_branch_id=agent.branch_id, interaction_department_id=agent.department_id,
            interaction_agent_id=agent.user_id, filename=f"{SECRET_NAME}.pdf", type_name="Passport",
            content_type="application/pdf", size_bytes=10, sha256="0" * 64, uploaded_at=utcnow()))
        session.commit()
    return str(attachment_id)


def test_a_case_carries_only_files_of_its_customer_and_interaction_in_reach(cases_app, client_of):
    api = client_of(cases_app)
    admin = make_principal(level=1, branch_id=BRANCH_A, permissions=frozenset({"manage_queues"}))
    assert api.post("/api/v1/queues", as_=admin, json={"code": "delivery", "name": "Delivery"}).status_code == 201
    visit, other_visit, foreign_visit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    scan = _customer_file(cases_app, "A-1", interaction_id=visit, agent=CREATOR_A)
    cells = 0
    for name, caller in CALLERS.items():
        body = {"customer_code": "A-1", "queue": "delivery", "subject": "SIM", "interaction_id": str(visit)}
        missing = api.post("/api/v1/cases", as_=caller, json=body | {"attachment_ids": [str(uuid.uuid4())]})
        for unreachable in (_customer_file(cases_app, "B-1", interaction_id=foreign_visit, agent=CREATOR_B),
                            _customer_file(cases_app, "A-1", interaction_id=other_visit, agent=CREATOR_A)):
            before = fingerprint(cases_app)
            refused = api.post("/api/v1/cases", as_=caller, json=body | {"attachment_ids": [unreachable]})
            _assert_alike(refused, missing, field="attachment_ids.0")
            assert fingerprint(cases_app) == before, f"{name}: a refused case changed the database"
            cells += 1
        created = api.post("/api/v1/cases", as_=caller, json=body | {"attachment_ids": [scan]})
        assert created.status_code == 201, (name, created.get_json())
        assert [item["id"] for item in created.get_json()["attachments"]] == [scan]
        cells += 2
    print(f"\ncase attachment references: {cells} cells tried ({len(CALLERS)} callers x another customer's file/"
          "another interaction's file/missing/in reach), refused alike in every one")


def test_task_assignee_supervisor_and_queue_references_stay_in_reach(cases_app, client_of):
    api = client_of(cases_app)
    admin = make_principal(level=1, branch_id=BRANCH_A, permissions=frozenset({"manage_queues"}))
    dept_admin = make_principal(level=3, branch_id=BRANCH_A, department_id=FRONT_A,
                                permissions=frozenset({"manage_queues"}))
    stranger = make_principal(username="far.away", level=3, branch_id=BRANCH_B, department_id=FRONT_B)
    colleague = make_principal(username="near.by", level=4, branch_id=BRANCH_A, department_id=FRONT_A)
    register_users(cases_app, stranger, colleague, CREATOR_A)
    api.post("/api/v1/queues", as_=admin, json={"code": "delivery", "name": "Delivery",
                                                  "department_id": str(DELIVERY)})
    own_queue = api.post("/api/v1/queues", as_=dept_admin, json={"code": "front", "name": "Front"})
    assert own_queue.status_code == 201 and own_queue.get_json()["department_id"] == str(FRONT_A)
    level3 = CALLERS["level 3"]
    case = api.post("/api/v1/cases", as_=level3, json={"customer_code": "A-1", "queue": "delivery",
                                                        "subject": "SIM"}).get_json()
    cells = 0
    attempts = [
        # (caller, method, path, body builder, field)
        (level3, "POST", f"/api/v1/cases/{case['id']}/tasks", lambda user: {"title": "Call", "assignee_id": user},
         "assignee_id"),
        (dept_admin, "POST", "/api/v1/queues", lambda user: {"code": f"q{uuid.uuid4().hex[:8]}", "name": "Q",
                                                             "supervisor_id": user}, "supervisor_id"),
    ]
    for caller, method, path, body, field in attempts:
        before = fingerprint(cases_app)
        out_of_reach = api.call(method, path, as_=caller, json=body(str(stranger.user_id)))
        missing = api.call(method, path, as_=caller, json=body(str(uuid.uuid4())))
        _assert_alike(out_of_reach, missing, field=field)
        assert fingerprint(cases_app) == before
        assert api.call(method, path, as_=caller, json=body(str(colleague.user_id))).status_code == 201
        cells += 3

    # a department-level administrator routes case types only to their own department's queues
    queue_refs = [
        ("/api/v1/case-types", lambda code: {"code": f"t{uuid.uuid4().hex[:8]}", "name": "T", "queue": code}),
    ]
    for path, body in queue_refs:
        before = fingerprint(cases_app)
        out_of_reach = api.post(path, as_=dept_admin, json=body("delivery"))
        missing = api.post(path, as_=dept_admin, json=body("nowhere"))
        _assert_alike(out_of_reach, missing, field="queue")
        assert fingerprint(cases_app) == before
        assert api.post(path, as_=dept_admin, json=body("front")).status_code == 201
        cells += 3
    delivery = next(q for q in api.get("/api/v1/queues", as_=admin).get_json()["items"] if q["code"] == "delivery")
    refused = api.patch(f"/api/v1/queues/{delivery['id']}", as_=dept_admin, if_match=delivery["version"],
                        json={"name": "Mine now"})
    assert refused.status_code == 404
    cells += 1
    print(f"\ncase body references (task assignee, queue supervisor, case type queue, queue change): "
          f"{cells} cells tried")


@pytest.fixture
def customers_app(make_app):
    return make_app("customers")


def test_customer_people_and_bulk_change_name_only_users_in_reach(customers_app, client_of):
    api = client_of(customers_app)
    branch_admin = make_principal(level=2, branch_id=BRANCH_A, department_id=FRONT_A,
                                  permissions=frozenset({"bulk_change_sales_agent"}) | EDITOR)
    seller_a = make_principal(username="seller.a", level=4, branch_id=BRANCH_A, department_id=FRONT_A)
    seller_b = make_principal(username="seller.b", level=4, branch_id=BRANCH_B, department_id=FRONT_B)
    register_users(customers_app, seller_a, seller_b)
    cells = 0
    for field in ("salesperson_id", "preferred_sales_agent_id", "collections_agent_id"):
        body = {"code": f"C-{uuid.uuid4().hex[:8]}", "kind": "person", "name": "José Pérez", "country": "CO"}
        before = fingerprint(customers_app)
        out_of_reach = api.post("/api/v1/customers", as_=branch_admin, json=body | {field: str(seller_b.user_id)})
        missing = api.post("/api/v1/customers", as_=branch_admin, json=body | {field: str(uuid.uuid4())})
        _assert_alike(out_of_reach, missing, field=field)
        assert fingerprint(customers_app) == before
        created = api.post("/api/v1/customers", as_=branch_admin, json=body | {field: str(seller_a.user_id)})
        assert created.status_code == 201, created.get_json()
        cells += 3
    card = created.get_json()
    before = fingerprint(customers_app)
    out_of_reach = api.patch(f"/api/v1/customers/{card['id']}", as_=branch_admin, if_match=card["version"],
                             json={"salesperson_id": str(seller_b.user_id)})
    missing = api.patch(f"/api/v1/customers/{card['id']}", as_=branch_admin, if_match=card["version"],
                        json={"salesperson_id": str(uuid.uuid4())})
    _assert_alike(out_of_reach, missing, field="salesperson_id")
    assert fingerprint(customers_app) == before
    cells += 2

    moves = lambda agent: {"moves": [{"from_agent_id": str(seller_a.user_id), "to_agent_id": agent}]}  # noqa: E731
    before = fingerprint(customers_app)
    out_of_reach = api.post("/api/v1/customers/sales-agent-changes", as_=branch_admin,
                            json=moves(str(seller_b.user_id)))
    missing = api.post("/api/v1/customers/sales-agent-changes", as_=branch_admin, json=moves(str(uuid.uuid4())))
    _assert_alike(out_of_reach, missing, field="moves.0.to_agent_id")
    assert fingerprint(customers_app) == before
    cells += 2
    print(f"\ncustomer body references (salesperson, agents, bulk change): {cells} cells tried")


def test_interaction_bodies_name_only_lines_customers_and_catalogue_entries_in_reach(customers_app, client_of):
    """An interaction's line (the card's own), its point of contact (flow) and reason (catalogue) and,
    for "next", the customer of the following interaction: out of reach answers as missing."""
    api = client_of(customers_app)
    admin = make_principal(level=1, branch_id=BRANCH_A, department_id=FRONT_A, permissions=EDITOR)
    register_users(customers_app, CREATOR_A, CREATOR_B)
    mine = api.post("/api/v1/customers", as_=CREATOR_A, json={
        "code": "A-1", "kind": "person", "name": "Ana's customer", "country": "CO"}).get_json()
    theirs = api.post("/api/v1/customers", as_=CREATOR_B, json={
        "code": "B-1", "kind": "person", "name": SECRET_NAME, "country": "CO",
        "contacts": [{"name": f"{SECRET_NAME} Jr", "phones": ["+57 310 765 4321"]}]}).get_json()
    for card, number in ((mine, "+57 300 123 4567"), (theirs, "+57 300 765 4321")):
        line = api.post(f"/api/v1/customers/{card['id']}/lines", as_=admin, if_match=card["version"],
                        json={"number": number, "tariff_plan": "Basic"})
        assert line.status_code == 201, line.get_json()
        card["line_id"] = line.get_json()["id"]
    reason = api.post("/api/v1/customers/interaction-reasons", as_=admin, json={"name": "Billing"}).get_json()
    flow = api.post("/api/v1/customers/contact-points", as_=admin, json={"name": "Front desk"}).get_json()
    base = {"direction": "inbound", "channel": "phone", "topic": "Question"}
    opened = api.post(f"/api/v1/customers/{mine['id']}/interactions", as_=CREATOR_A,
                      json=base | {"line_id": mine["line_id"], "reason_id": reason["id"], "contact_point_id": flow["id"]})
    assert opened.status_code == 201, opened.get_json()
    interaction = opened.get_json()
    cells = 0
    writes = [
        # (method, path, body with the reference, field, out-of-reach value or None for a catalogue entry)
        ("POST", f"/api/v1/customers/{mine['id']}/interactions", lambda ref: base | {"line_id": ref}, "line_id",
         theirs["line_id"]),
        ("PATCH", f"/api/v1/customers/{mine['id']}/interactions/{interaction['id']}", lambda ref: {"line_id": ref},
         "line_id", theirs["line_id"]),
        ("POST", f"/api/v1/customers/{mine['id']}/interactions", lambda ref: base | {"reason_id": ref}, "reason_id",
         None),
        ("POST", f"/api/v1/customers/{mine['id']}/interactions", lambda ref: base | {"contact_point_id": ref},
         "contact_point_id", None),
        ("POST", f"/api/v1/customers/{mine['id']}/interactions/{interaction['id']}/next",
         lambda ref: base | {"customer_id": ref}, "customer_id", theirs["id"]),
        ("POST", f"/api/v1/customers/{mine['id']}/interactions/{interaction['id']}/next",
         lambda ref: base | {"customer_id": mine["id"], "line_id": ref}, "line_id", theirs["line_id"]),
    ]
    for method, path, body, field, unreachable in writes:
        before = fingerprint(customers_app)
        missing = api.call(method, path, as_=CREATOR_A, json=body(str(uuid.uuid4())), if_match=interaction["version"])
        if unreachable is None:
            assert missing.status_code == 422 and field in missing.get_json()["errors"], missing.get_json()
        else:
            out_of_reach = api.call(method, path, as_=CREATOR_A, json=body(unreachable), if_match=interaction["version"])
            _assert_alike(out_of_reach, missing, field=field)
            cells += 1
        assert fingerprint(customers_app) == before, (method, path, field)
        cells += 1
    done = api.post(f"/api/v1/customers/{mine['id']}/interactions/{interaction['id']}/next", as_=CREATOR_A,
                    if_match=interaction["version"], json=base | {"customer_id": mine["id"], "line_id": mine["line_id"]})
    assert done.status_code == 201, done.get_json()
    print(f"\ninteraction body references (line, reason, point of contact, next customer): {cells} cells tried")


def test_follow_up_participants_and_copies_name_only_users_in_reach(customers_app, client_of):
    """A follow-up's participants and copies are users in the caller's reach (a level 4 agent's
    reach widened to their department: their colleagues and supervisor, seed 002). Out of reach and
    missing give the same 422 naming the field, on scheduling and on a change, and write nothing."""
    api = client_of(customers_app)
    colleague = make_principal(username="colleague.a", level=4, branch_id=BRANCH_A, department_id=FRONT_A)
    supervisor = make_principal(username="supervisor.a", level=2, branch_id=BRANCH_A, department_id=FRONT_A)
    elsewhere_in_branch = make_principal(username="delivery.a", level=3, branch_id=BRANCH_A, department_id=DELIVERY)
    other_branch = make_principal(username="front.b", level=3, branch_id=BRANCH_B, department_id=FRONT_B)
    branch_manager = make_principal(username="manager.a", level=2, branch_id=BRANCH_A, department_id=FRONT_A)
    register_users(customers_app, CREATOR_A, colleague, supervisor, elsewhere_in_branch, other_branch,
                   branch_manager)
    card = api.post("/api/v1/customers", as_=CREATOR_A, json={
        "code": "A-1", "kind": "person", "name": "Ana's customer", "country": "CO"}).get_json()
    interaction = api.post(f"/api/v1/customers/{card['id']}/interactions", as_=CREATOR_A,
                           json={"direction": "inbound", "channel": "phone"}).get_json()
    path = f"/api/v1/customers/{card['id']}/interactions/{interaction['id']}/followups"
    body = {"date": "2026-12-03", "time": "10:30", "time_zone": "America/Bogota", "duration_minutes": 30,
            "subject": "Call back", "location": "Phone"}
    scheduled = api.post(path, as_=CREATOR_A, json=body | {"participant_ids": [str(colleague.user_id)],
                                                          "copy_ids": [str(supervisor.user_id)]})
    assert scheduled.status_code == 201, scheduled.get_json()
    followup = scheduled.get_json()
    cells = 0
    # (caller, a user beyond their reach)
    for caller, unreachable in ((CREATOR_A, elsewhere_in_branch), (CREATOR_A, other_branch),
                                (branch_manager, other_branch)):
        for field in ("participant_ids", "copy_ids"):
            writes = [("POST", path, lambda ref: body | {field: [ref]}, None),
                      ("PATCH", f"{path}/{followup['id']}", lambda ref: {field: [ref]}, followup["version"])]
            for method, url, make, version in writes:
                before = fingerprint(customers_app)
                out_of_reach = api.call(method, url, as_=caller, json=make(str(unreachable.user_id)), if_match=version)
                missing = api.call(method, url, as_=caller, json=make(str(uuid.uuid4())), if_match=version)
                _assert_alike(out_of_reach, missing, field=field)
                assert unreachable.username.title() not in out_of_reach.get_data(as_text=True)
                assert fingerprint(customers_app) == before, (caller.username, field, method)
                cells += 2
    # the branch manager reaches the other department of the branch; a change keeps who was invited
    widened = api.patch(f"{path}/{followup['id']}", as_=branch_manager, if_match=followup["version"],
                        json={"participant_ids": [str(colleague.user_id), str(elsewhere_in_branch.user_id)]})
    assert widened.status_code == 200, widened.get_json()
    kept = api.patch(f"{path}/{followup['id']}", as_=CREATOR_A, if_match=widened.get_json()["version"],
                     json={"participant_ids": [str(elsewhere_in_branch.user_id)], "subject": "Call back, moved"})
    assert kept.status_code == 200, kept.get_json()
    print(f"\nfollow-up body references (participants, copies; schedule and change): {cells} cells tried")
