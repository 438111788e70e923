"""The cases service on SQLite: a migrated template database copied per test, a clock tests can
move, people with their roles, and a small client that speaks as any of them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from services.cases import MIGRATIONS, clock, create_app
from services.cases.handlers import replicate_attachment
from services.cases.models import CustomerReadModel, directory_users
from services.kit.auth import Principal
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.databases import migrated_sqlite_database

BRANCH = uuid.uuid4()
FRONT_OFFICE, DELIVERY, BILLING = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CUSTOMER_ID = uuid.uuid4()
# The front-office agent who registered the customer: a level-4 user reaches it as its creator.
INITIATOR_ID = uuid.uuid4()


def build_app(folder, key_pair):
    url = migrated_sqlite_database(MIGRATIONS, folder / "cases.sqlite3")
    settings = load_settings("cases", data_dir=folder, public_key_file=key_pair[1], database_url=url,
                             broker_url="memory://")
    app = create_app(settings)
    with app.extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=CUSTOMER_ID, code="C-7", name="Дмитрий Иванов", branch_id=BRANCH,
                                      created_by=INITIATOR_ID, region="Moscow", lines=[{"number": "+79161234567", "status": "active"}],
                                      source_version=1))
        session.commit()
    return app


@pytest.fixture
def app(tmp_path, key_pair):
    return build_app(tmp_path, key_pair)


class FrozenClock:
    """``services.cases.clock.now`` pinned to a time the test moves."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def frozen_clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))  # a Monday
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


class Api:
    """The test client speaking as a principal: ``api.post(path, as_=ana, json=...)``."""

    def __init__(self, app, token_issuer) -> None:
        self.app = app
        self.client = app.test_client()
        self.token_issuer = token_issuer
        self._tokens: dict[uuid.UUID, str] = {}

    def headers(self, principal: Principal, if_match: int | None = None) -> dict:
        if principal.user_id not in self._tokens:
            self._tokens[principal.user_id] = self.token_issuer.issue(principal)[0]
        headers = {"Authorization": f"Bearer {self._tokens[principal.user_id]}"}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return headers

    def call(self, method: str, path: str, *, as_: Principal, json=None, if_match: int | None = None,
             query: dict | None = None):
        return self.client.open("/api/v1" + path, method=method, json=json, query_string=query,
                                headers=self.headers(as_, if_match))

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def ok(self, response, status: int = 200) -> dict:
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()


@dataclass
class People:
    """Everyone around one queue: the front-office initiator, two agents of the queue, its
    supervisor, an agent of another department, and an administrator."""

    queue_code: str
    initiator: Principal
    agent: Principal
    colleague: Principal
    supervisor: Principal
    outsider: Principal
    admin: Principal


def make_people(queue_code: str = "delivery") -> People:
    return People(
        queue_code=queue_code,
        initiator=make_principal(user_id=INITIATOR_ID, username="ana.front", level=4, branch_id=BRANCH, department_id=FRONT_OFFICE),
        agent=make_principal(username="boris.delivery", level=3, branch_id=BRANCH, department_id=DELIVERY,
                             queues=frozenset({queue_code})),
        colleague=make_principal(username="vera.delivery", level=4, branch_id=BRANCH, department_id=DELIVERY,
                                 queues=frozenset({queue_code})),
        supervisor=make_principal(username="sofia.supervisor", level=4, branch_id=BRANCH, department_id=DELIVERY),
        outsider=make_principal(username="linh.billing", level=3, branch_id=BRANCH, department_id=BILLING,
                                queues=frozenset({"billing"})),
        admin=make_principal(username="admin", level=1, branch_id=BRANCH,
                             permissions=frozenset({"manage_queues"})),
    )


def register_users(app, *principals: Principal) -> None:
    """What user.created events would have put into the directory replica."""
    with app.extensions["caredesk"].database.session() as session:
        session.execute(insert(directory_users), [{
            "id": p.user_id, "username": p.username, "full_name": p.username.title(), "email": None,
            "level": p.level, "branch_id": p.branch_id, "department_id": p.department_id,
            "permissions": sorted(p.permissions), "queues": sorted(p.queues), "is_active": True,
            "directory_version": 1, "updated_at": datetime.now(timezone.utc)} for p in principals])
        session.commit()


@pytest.fixture
def api(app, token_issuer) -> Api:
    return Api(app, token_issuer)


def setup_queue(api: Api, people: People, **extra) -> dict:
    """The queue, with the supervisor, and its members in the directory replica."""
    register_users(api.app, people.supervisor, people.agent, people.colleague)
    queue = api.ok(api.post("/queues", as_=people.admin, json={
        "code": people.queue_code, "name": people.queue_code.title(), "department_id": str(DELIVERY),
        "supervisor_id": str(people.supervisor.user_id)} | extra), 201)
    return queue


@pytest.fixture
def people(api) -> People:
    people = make_people()
    setup_queue(api, people)
    return people


def add_customer_file(app, *, interaction_id: uuid.UUID | None = None, customer_id: uuid.UUID = CUSTOMER_ID,
                      filename: str = "passport.pdf", interaction_of: Principal | None = None,
                      attachment_id: uuid.UUID | None = None) -> uuid.UUID:
    """A file the customers service announced (attachment.added.v1), kept by replicate_attachment;
    ``interaction_of`` is the agent whose branch and department the interaction has."""
    attachment_id = attachment_id or uuid.uuid4()
    agent = interaction_of
    envelope = Envelope(type="attachment.added", version=1, producer="customers", correlation_id=str(uuid.uuid4()),
                        data={"id": str(attachment_id), "customer_id": str(customer_id),
                              "interaction_id": str(interaction_id) if interaction_id else None,
                              "interaction_branch_id": str(agent.branch_id) if agent and agent.branch_id else None,
                              "interaction_department_id": str(agent.department_id) if agent and agent.department_id
                              else None,
                              "interaction_agent_id": str(agent.user_id) if agent else None,
                              "filename": filename, "type": "Passport", "content_type": "application/pdf",
                              "size_bytes": 1234, "sha256": "ab" * 32, "uploaded_by": str(uuid.uuid4()),
                              "uploaded_at": "2026-03-02T07:00:00+00:00"})
    database = app.extensions["caredesk"].database
    with database.session() as session:
        replicate_attachment(UnitOfWork.joined(database, session, producer="cases"), envelope)
        session.commit()
    return attachment_id


def new_case(api: Api, principal: Principal, **overrides) -> dict:
    payload = {"customer_id": str(CUSTOMER_ID), "subject": "Deliver the SIM card"} | overrides
    if "type" not in payload:
        payload.setdefault("queue", "delivery")
    return api.ok(api.post("/cases", as_=principal, json=payload), 201)


def queue_version(api: Api, queue: dict, principal: Principal) -> int:
    """The queue's version as its ETag shows it now (what a write of its SLA needs as If-Match)."""
    answer = api.get(f"/queues/{queue['id']}/sla", as_=principal)
    return int(answer.headers["ETag"].strip('"'))
