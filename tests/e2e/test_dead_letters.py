"""Dead letters through the gateway in both run modes (the embedded broker, and RabbitMQ with the
services as separate processes): a customer event left in cases.replicate_customer.dead is counted,
shown and replayed over /api/v1/cases/dead-letters, and the cases service then applies it; a
branch administrator is refused."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.kit.messaging.consumer import ATTEMPTS_HEADER
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, dead_letter_exchange, queue_name
from services.kit.settings import EMBEDDED_BROKER_URL, load_settings
from tests.e2e.conftest import ADMIN_PASSWORD, SYSTEM_ENVIRONMENTS, ApiClient
from tests.e2e.test_slice import eventually

pytestmark = pytest.mark.e2e


def _dead_letter(system: str, customer_id: str, code: str) -> str:
    env = SYSTEM_ENVIRONMENTS[system]
    settings = load_settings("cases", data_dir=Path(env["CAREDESK_DATA_DIR"]), exchange=env["CAREDESK_EXCHANGE"],
                             broker_url=env.get("CAREDESK_BROKER_URL", EMBEDDED_BROKER_URL))
    queue = queue_name(settings, "replicate_customer")
    envelope = Envelope(type="customer.created", version=1, producer="customers", correlation_id=str(uuid.uuid4()),
                        data={"id": customer_id, "version": 1, "code": code, "name": "Trần Thị Bình", "branch_id": None,
                              "department_id": None, "salesperson_id": None, "created_by": None, "region": "Hà Nội",
                              "lines": []})
    with connect(settings) as connection:
        BatchPublisher(connection, dead_letter_exchange(settings)).publish([OutgoingMessage(
            routing_key=queue, body=envelope.to_dict(), message_id=str(envelope.id), headers={
                ATTEMPTS_HEADER: 5, "x-caredesk-failed-queue": queue,
                "x-caredesk-dead-at": datetime.now(timezone.utc).isoformat(),
                "x-caredesk-reason": "OperationalError: the database was restarting"})])
    return str(envelope.id)


def test_a_dead_letter_is_listed_shown_and_replayed_through_the_gateway(system):
    admin = ApiClient(system).login("admin", ADMIN_PASSWORD)
    customer_id, code = str(uuid.uuid4()), f"DL-{uuid.uuid4().hex[:6]}"
    message_id = _dead_letter(system, customer_id, code)
    queue = f"dl-{uuid.uuid4().hex[:6]}"
    assert admin.post("/api/v1/queues", json={"code": queue, "name": "Dead letters e2e"}).status_code == 201

    def new_case():
        answer = admin.post("/api/v1/cases", json={"customer_id": customer_id, "queue": queue, "subject": "SIM"})
        return answer if answer.status_code == 201 else None

    assert new_case() is None  # the customer's event is dead: the cases service does not know them

    queues = admin.get("/api/v1/cases/dead-letters")
    assert queues.status_code == 200, queues.text
    assert {item["handler"]: item["count"] for item in queues.json()["items"]}["replicate_customer"] >= 1
    listed = admin.get("/api/v1/cases/dead-letters/replicate_customer").json()
    assert message_id in [item["message_id"] for item in listed["items"]]
    shown = admin.get(f"/api/v1/cases/dead-letters/replicate_customer/{message_id}")
    assert shown.status_code == 200 and shown.json()["body"]["data"]["code"] == code
    assert shown.json()["full_reason"] == "OperationalError: the database was restarting"

    replayed = admin.post(f"/api/v1/cases/dead-letters/replicate_customer/{message_id}/replay")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replayed"] == 1
    case = eventually(new_case).json()  # the replayed event reached the cases service's customers
    assert case["customer"] == {"id": customer_id, "code": code, "name": "Trần Thị Bình"}
    assert admin.get(f"/api/v1/cases/dead-letters/replicate_customer/{message_id}").status_code == 404


def test_dead_letters_are_refused_to_a_branch_administrator_through_the_gateway(system):
    admin = ApiClient(system).login("admin", ADMIN_PASSWORD)
    branch = next(b for b in admin.get("/api/v1/directory/branches").json()["items"] if b["code"] == "hq")
    username = f"branch.admin.{uuid.uuid4().hex[:6]}"
    created = admin.post("/api/v1/directory/users", json={
        "username": username, "full_name": "Branch admin", "password": "branch-admin-password", "level": 2,
        "branch_id": branch["id"], "permissions": ["manage_users"]})
    assert created.status_code == 201, created.text
    branch_admin = ApiClient(system).login(username, "branch-admin-password")
    for service in ("customers", "cases", "notifications"):
        # until user.created reaches the service, it does not take the new user's token (401);
        # a refused Response is falsy, hence the list
        [refused] = eventually(lambda: [answer for answer in [branch_admin.get(f"/api/v1/{service}/dead-letters")]
                                        if answer.status_code != 401])
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("dead-letters-for-administrators")
