"""Dead letters over HTTP (``/api/v1/<service>/dead-letters``), in both run modes: the cases service's
API on the real RabbitMQ (a throwaway vhost) and on the embedded broker. Letters are listed per
queue, shown whole, replayed one or all back to their own queue; only a company-level user with
manage_users reaches them, and a path names nothing but this service's queues."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.cases import MIGRATIONS, create_app
from services.kit.messaging.consumer import ATTEMPTS_HEADER
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, dead_letter_exchange, declare, queue_name
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.databases import migrated_sqlite_database
from tests.integration.conftest import ready_messages

pytestmark = pytest.mark.integration

ADMINISTRATOR = make_principal(level=1, permissions=frozenset({"manage_users"}))


@pytest.fixture(params=["rabbitmq", "embedded"])
def settings(request, tmp_path, key_pair):
    broker = request.getfixturevalue("broker_url") if request.param == "rabbitmq" else "embedded://"
    database = migrated_sqlite_database(MIGRATIONS, tmp_path / "cases.sqlite3")
    settings = load_settings("cases", data_dir=tmp_path, public_key_file=key_pair[1], database_url=database,
                             broker_url=broker, queue_prefix=f"{uuid.uuid4().hex[:8]}.")
    from services.cases.handlers import HANDLERS

    with connect(settings) as connection:
        declare(connection, settings, HANDLERS)
    return settings


@pytest.fixture
def bearer(token_issuer):
    return lambda principal: {"Authorization": f"Bearer {token_issuer.issue(principal)[0]}"}


@pytest.fixture
def client(settings):
    return create_app(settings).test_client()


def dead_letter(settings, queue: str, code: str, **headers) -> str:
    """Put a customer.created event in ``<queue>.dead`` as the consumer does after its last try."""
    envelope = Envelope(type="customer.created", version=1, producer="customers", correlation_id=str(uuid.uuid4()),
                        data={"id": str(uuid.uuid4()), "code": code, "name": "Дмитрий Иванов"})
    message = OutgoingMessage(routing_key=queue, body=envelope.to_dict(), message_id=str(envelope.id), headers={
        ATTEMPTS_HEADER: 5, "x-caredesk-failed-queue": queue, "x-caredesk-original-routing-key": "customer.created.v1",
        "x-caredesk-dead-at": datetime(2026, 12, 1, 1, 2, 3, tzinfo=timezone.utc).isoformat(),
        "x-caredesk-reason": f"RuntimeError: customer {code} is poisoned\nTraceback (most recent call last): …",
        **headers})
    with connect(settings) as connection:
        BatchPublisher(connection, dead_letter_exchange(settings)).publish([message])
    return str(envelope.id)


def test_an_administrator_lists_shows_and_replays_dead_letters(settings, client, bearer):
    queue = queue_name(settings, "replicate_customer")
    first, second, third = (dead_letter(settings, queue, code) for code in ("P-1", "P-2", "P-3"))
    auth = bearer(ADMINISTRATOR)

    queues = client.get("/api/v1/cases/dead-letters", headers=auth)
    assert queues.status_code == 200
    counts = {item["handler"]: item["count"] for item in queues.json["items"]}
    assert counts["replicate_customer"] == 3 and set(counts.values()) == {0, 3}
    [described] = [item for item in queues.json["items"] if item["handler"] == "replicate_customer"]
    assert described["queue"] == queue and "customer.created.v1" in described["events"]

    listed = client.get("/api/v1/cases/dead-letters/replicate_customer", headers=auth)
    assert listed.status_code == 200 and listed.json["count"] == 3
    assert (listed.json["total"], listed.json["page"], listed.json["links"]) == (3, 1, {"next": None, "previous": None})
    second_page = client.get("/api/v1/cases/dead-letters/replicate_customer?per_page=2&page=2", headers=auth).json
    assert [item["message_id"] for item in second_page["items"]] == [third] and second_page["links"]["next"] is None
    assert second_page["links"]["previous"] == "/api/v1/cases/dead-letters/replicate_customer?per_page=2&page=1"
    assert [item["message_id"] for item in listed.json["items"]] == [first, second, third]
    assert listed.json["items"][0] | {"message_id": None} == {
        "message_id": None, "event_type": "customer.created", "event_version": 1, "attempts": 5,
        "dead_at": "2026-12-01T01:02:03+00:00", "reason": ["RuntimeError: customer P-1 is poisoned"]}

    shown = client.get(f"/api/v1/cases/dead-letters/replicate_customer/{second}", headers=auth)
    assert shown.status_code == 200
    assert shown.json["body"]["data"]["code"] == "P-2" and shown.json["body"]["data"]["name"] == "Дмитрий Иванов"
    assert shown.json["headers"]["x-caredesk-original-routing-key"] == "customer.created.v1"
    assert shown.json["full_reason"].startswith("RuntimeError: customer P-2 is poisoned\nTraceback")
    assert ready_messages(settings, queue + ".dead") == 3  # reading takes nothing away

    replayed = client.post(f"/api/v1/cases/dead-letters/replicate_customer/{second}/replay", headers=auth)
    assert replayed.status_code == 200 and replayed.json == {"queue": queue, "replayed": 1, "remaining": 2}
    assert ready_messages(settings, queue) == 1 and ready_messages(settings, queue + ".dead") == 2
    again = client.post(f"/api/v1/cases/dead-letters/replicate_customer/{second}/replay", headers=auth)
    assert again.status_code == 404 and again.json["type"].endswith("not-found")
    assert client.get(f"/api/v1/cases/dead-letters/replicate_customer/{second}", headers=auth).status_code == 404

    everything = client.post("/api/v1/cases/dead-letters/replicate_customer/replay", headers=auth)
    assert everything.status_code == 200 and everything.json == {"queue": queue, "replayed": 2, "remaining": 0}
    assert ready_messages(settings, queue) == 3 and ready_messages(settings, queue + ".dead") == 0
    assert client.get("/api/v1/cases/dead-letters/replicate_customer", headers=auth).json["items"] == []


def test_one_request_replays_the_oldest_500_and_says_how_many_still_wait(settings, client, bearer, monkeypatch):
    """A replay stays short whatever waits: the oldest REPLAYED_AT_MOST go back, the rest next time."""
    from services.kit import dead_letters_api

    monkeypatch.setattr(dead_letters_api, "REPLAYED_AT_MOST", 2)
    queue = queue_name(settings, "replicate_customer")
    oldest = [dead_letter(settings, queue, f"P-{n}") for n in range(3)]
    first = client.post("/api/v1/cases/dead-letters/replicate_customer/replay", headers=bearer(ADMINISTRATOR))
    assert first.json == {"queue": queue, "replayed": 2, "remaining": 1}
    listed = client.get("/api/v1/cases/dead-letters/replicate_customer", headers=bearer(ADMINISTRATOR)).json
    assert [item["message_id"] for item in listed["items"]] == oldest[2:]
    second = client.post("/api/v1/cases/dead-letters/replicate_customer/replay", headers=bearer(ADMINISTRATOR))
    assert second.json == {"queue": queue, "replayed": 1, "remaining": 0}


@pytest.mark.parametrize("principal", [
    make_principal(level=2, permissions=frozenset({"manage_users"})),
    make_principal(level=1, permissions=frozenset({"manage_queues"})),
], ids=["branch-administrator", "company-user-without-manage_users"])
def test_dead_letters_refused_to_anyone_but_a_company_administrator(settings, client, bearer, principal):
    queue = queue_name(settings, "replicate_customer")
    message_id = dead_letter(settings, queue, "P-9")
    auth = bearer(principal)
    for method, path in [("GET", ""), ("GET", "/replicate_customer"), ("GET", f"/replicate_customer/{message_id}"),
                         ("POST", f"/replicate_customer/{message_id}/replay"), ("POST", "/replicate_customer/replay")]:
        answer = client.open("/api/v1/cases/dead-letters" + path, method=method, headers=auth)
        assert answer.status_code == 403, (method, path)
        assert answer.json["type"].endswith("dead-letters-for-administrators")
    assert ready_messages(settings, queue + ".dead") == 1
    assert client.get("/api/v1/cases/dead-letters").status_code == 401


def test_a_path_names_only_this_services_queues(settings, client, bearer):
    auth = bearer(ADMINISTRATOR)
    unknown = client.get("/api/v1/cases/dead-letters/notify_queue_members", headers=auth)  # a notifications handler
    assert unknown.status_code == 404 and unknown.json["type"].endswith("no-such-queue")
    assert client.post("/api/v1/cases/dead-letters/nothing/replay", headers=auth).status_code == 404
    assert client.get("/api/v1/cases/dead-letters/replicate_customer/not-an-id", headers=auth).status_code == 404
    missing = client.get(f"/api/v1/cases/dead-letters/replicate_customer/{uuid.uuid4()}", headers=auth)
    assert missing.status_code == 404


def test_a_broker_that_does_not_answer_is_a_503_not_a_500(tmp_path, key_pair, bearer):
    database = migrated_sqlite_database(MIGRATIONS, tmp_path / "cases.sqlite3")
    nowhere = load_settings("cases", data_dir=tmp_path, public_key_file=key_pair[1], database_url=database,
                            broker_url="amqp://guest:guest@127.0.0.1:9/")  # nothing listens on port 9
    client, auth = create_app(nowhere).test_client(), bearer(ADMINISTRATOR)
    for method, path in [("GET", ""), ("GET", "/replicate_customer"), ("GET", f"/replicate_customer/{uuid.uuid4()}"),
                         ("POST", "/replicate_customer/replay")]:
        answer = client.open("/api/v1/cases/dead-letters" + path, method=method, headers=auth)
        assert answer.status_code == 503, (method, path, answer.json)
        assert answer.json["type"].endswith("dependency-down") and answer.headers["Retry-After"] == "5"
