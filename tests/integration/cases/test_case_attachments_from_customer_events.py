"""An interaction's files travel with a case created from it, over the real RabbitMQ: a file is
uploaded to an interaction in the customers service (PostgreSQL), attachment.added.v1 goes through
its outbox, the relay and RabbitMQ to the cases service's replicate_attachment, and a case naming
the file's id carries it (shown on the case, sent in case.created.v1) while one naming another
interaction's file is refused."""
from __future__ import annotations

import dataclasses
import io
import uuid

import pytest
from sqlalchemy import select

from services.cases import create_app
from services.cases.models import CustomerAttachmentReadModel
from services.customers.attachments.storage import LocalDirectoryStore
from services.customers.attachments.use_cases import upload_attachment
from services.customers.interactions.schemas import InteractionCreateSchema
from services.customers.interactions.use_cases import open_interaction
from services.kit.messaging.consumer import ConsumerWorker
from services.kit.messaging.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from tests.integration.cases.test_routing_on_customer_events import _register
from tests.integration.conftest import wait_until
from tests.integration.kit.conftest import running
from tests.unit.cases.conftest import Api, make_people, setup_queue

pytestmark = pytest.mark.integration

REGISTRATION_PAPERS = uuid.UUID("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0002")  # seeded by the customers migrations
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_a_case_carries_the_files_of_the_interaction_it_was_created_from(customers, cases, key_pair, token_issuer,
                                                                         tmp_path):
    cases.declare_topology()
    people = make_people("delivery")
    front = people.initiator
    customer = _register(customers, people, code="F-1", region="Moscow", line="+79161234567")

    def uow() -> UnitOfWork:
        return UnitOfWork(customers.database, producer="customers", actor=str(front.user_id))

    def visit():
        return open_interaction(uow(), principal=front, customer_id=customer.id,
                                data=InteractionCreateSchema().load({"direction": "inbound", "channel": "office_visit"}))[1]

    def upload(interaction):
        return upload_attachment(uow(), LocalDirectoryStore(tmp_path / "files"), principal=front,
                                 customer_id=customer.id, data={"type_id": REGISTRATION_PAPERS,
                                                                "interaction_id": interaction.id},
                                 stream=io.BytesIO(PDF), filename="passport.pdf", max_bytes=1_000_000)

    this_visit, earlier_visit = visit(), visit()
    scan, earlier_scan = upload(this_visit), upload(earlier_visit)
    assert OutboxRelay(customers.database, customers.settings).relay_once() >= 2

    def replicated() -> set:
        with cases.database.session() as session:
            return set(session.scalars(select(CustomerAttachmentReadModel.id)))

    with running(ConsumerWorker(cases.database, cases.settings, cases.component.handlers)):
        wait_until(lambda: {scan.id, earlier_scan.id} <= replicated(), timeout=60,
                   what="the interaction's files to reach the cases service")

    app = create_app(dataclasses.replace(cases.settings, public_key_file=key_pair[1]))
    api = Api(app, token_issuer)
    setup_queue(api, people)
    body = {"customer_code": "F-1", "queue": "delivery", "subject": "Deliver a new SIM card",
            "interaction_id": str(this_visit.id)}
    refused = api.post("/cases", as_=front, json=body | {"attachment_ids": [str(earlier_scan.id)]})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"attachment_ids.0"}
    case = api.ok(api.post("/cases", as_=front, json=body | {"attachment_ids": [str(scan.id)]}), 201)
    assert [(item["name"], item["size_bytes"], item["sha256"], item["download_path"]) for item in case["attachments"]] == [
        ("passport.pdf", len(PDF), scan.sha256, f"/api/v1/customers/{customer.id}/attachments/{scan.id}/content")]
    with cases.database.session() as session:
        outbox = cases.database.outbox
        [created] = session.execute(select(outbox.c.envelope).where(outbox.c.routing_key == "case.created.v1")).scalars()
    assert created["data"]["attachment_ids"] == [str(scan.id)]
    app.extensions["caredesk"].database.dispose()
