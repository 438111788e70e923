"""Satisfaction surveys (seed 004): a closed case sends the customer a survey by e-mail or SMS in its
language, unless it withdrew its "surveys" consent; the signed link is read and answered without
login, once; a tampered link is refused as missing and an expired one as gone; the answer is
published as survey.answered.v1 through the outbox."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from services.kit.db import utcnow
from services.notifications.deliveries.models import Delivery
from services.notifications.surveys.models import Survey
from tests import reminder_events as events
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, case_event, deliver

SURVEY = HANDLER["satisfaction_surveys"]


def closed_case(worker, customer_id, number="2026-000077"):
    event = case_event("case.closed", resolution="SIM entregada", number=number)
    event.data["customer"]["id"] = str(customer_id)
    assert deliver(worker[0], event, SURVEY).acked
    return event


def feed(worker, *envelopes):
    handlers = {name: handler for handler in HANDLER.values() for name in handler.events}
    for envelope in envelopes:
        assert deliver(worker[0], envelope, handlers[envelope.name]).acked


def the_delivery(worker) -> Delivery:
    with worker[0].database.session() as session:
        [delivery] = session.scalars(select(Delivery).where(Delivery.template == "survey.request")).all()
        return delivery


def link_path(delivery: Delivery) -> str:
    url = next(word for word in delivery.body_text.split() if "/surveys/answer/" in word)
    return url[url.index("/api/"):]


def test_a_closed_case_sends_a_survey_whose_signed_link_is_answered_once_without_login(worker):
    consumer, app = worker
    customer = uuid.uuid4()
    feed(worker, events.addresses(customer, name="Linh", language="vi", email="linh@example.com"))
    event = closed_case(worker, customer)
    assert deliver(consumer, event, SURVEY).acked  # redelivered: still one survey
    delivery = the_delivery(worker)
    assert (delivery.channel, delivery.address, delivery.language) == ("email", "linh@example.com", "vi")
    assert delivery.subject == "Quý khách đánh giá thế nào? Yêu cầu 2026-000077"
    path = link_path(delivery)
    client = app.test_client()
    shown = client.get(path)  # no Authorization header
    assert shown.status_code == 200 and shown.get_json()["case_number"] == "2026-000077"
    assert shown.get_json()["answered"] is False

    token = path.rsplit("/", 1)[1]
    tampered = path[:-len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.get(tampered)
    assert refused.status_code == 404 and refused.content_type == "application/problem+json"
    bad = client.post(path, json={"score": 7, "comment": "x" * 3000})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"score", "comment"}
    answered = client.post(path, json={"score": 4, "comment": "Rất nhanh, cảm ơn!"})
    assert answered.status_code == 200 and answered.get_json()["score"] == 4
    assert client.post(path, json={"score": 1}).status_code == 409

    database = consumer.database
    with database.session() as session:
        [row] = session.execute(select(database.outbox.c.routing_key, database.outbox.c.envelope)).all()
    body = row.envelope if isinstance(row.envelope, dict) else json.loads(row.envelope)
    assert row.routing_key == "survey.answered.v1"
    assert body["data"]["score"] == 4 and body["data"]["case_number"] == "2026-000077"
    assert body["data"]["comment"] == "Rất nhanh, cảm ơn!" and body["data"]["case_id"] == event.data["id"]


def test_an_expired_link_is_gone(worker, monkeypatch):
    consumer, app = worker
    customer = uuid.uuid4()
    feed(worker, events.addresses(customer))
    closed_case(worker, customer)
    path = link_path(the_delivery(worker))
    with consumer.database.engine.begin() as connection:
        connection.execute(update(Survey.__table__).values(expires_at=utcnow() - timedelta(minutes=1)))
    gone = app.test_client().post(path, json={"score": 5})
    assert gone.status_code == 410

    # a link whose signature is older than the survey's validity, whatever the row says
    import itsdangerous.timed
    with consumer.database.engine.begin() as connection:
        connection.execute(update(Survey.__table__).values(expires_at=utcnow() + timedelta(days=1)))
    from services.notifications.surveys.links import token_for
    from services.notifications.surveys.models import SurveySettings
    with consumer.database.session() as session:
        settings, survey_id = session.get(SurveySettings, 1), session.scalar(select(Survey.id))
        real = itsdangerous.timed.TimestampSigner.get_timestamp
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                            lambda self: real(self) - 15 * 86400)
        old = token_for(settings, survey_id)
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", real)
    assert app.test_client().get(f"/api/v1/notifications/surveys/answer/{old}").status_code == 410


def test_withdrawn_consent_sends_nothing_and_the_sms_channel_goes_to_the_mobile(worker, bearer):
    consumer, app = worker
    refusing, texting = uuid.uuid4(), uuid.uuid4()
    feed(worker, events.addresses(refusing), events.consent(refusing, granted=False, kind="surveys"),
         events.addresses(texting, language="ru", mobile="+79161234567"))
    closed_case(worker, refusing, number="2026-000001")
    with consumer.database.session() as session:
        assert session.scalars(select(Survey)).all() == []

    client = app.test_client()
    admin = make_principal(level=1)
    read = client.get("/api/v1/notifications/surveys/settings", headers=bearer(admin))
    current, etag = read.get_json(), read.headers["ETag"]
    assert current["channel"] == "email" and current["valid_days"] == 14
    bad = client.put("/api/v1/notifications/surveys/settings", headers=bearer(admin),
                     json={"channel": "pigeon", "valid_days": 0, "link_base": "not a url"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"channel", "valid_days", "link_base"}
    assert client.put("/api/v1/notifications/surveys/settings", headers=bearer(make_principal(level=2)),
                      json=current | {"channel": "sms"}).status_code == 403
    change = current | {"channel": "sms", "link_base": "https://crm.example.com"}
    assert client.put("/api/v1/notifications/surveys/settings", headers=bearer(admin), json=change).status_code == 428
    assert client.put("/api/v1/notifications/surveys/settings", headers=bearer(admin) | {"If-Match": '"99"'},
                      json=change).status_code == 412
    saved = client.put("/api/v1/notifications/surveys/settings", headers=bearer(admin) | {"If-Match": etag}, json=change)
    assert saved.status_code == 200 and saved.headers["ETag"] != etag
    closed_case(worker, texting, number="2026-000002")
    delivery = the_delivery(worker)
    assert (delivery.channel, delivery.address, delivery.language) == ("sms", "+79161234567", "ru")
    assert "https://crm.example.com/api/v1/notifications/surveys/answer/" in delivery.body_text
    assert delivery.body_text.startswith("Ваше обращение 2026-000002 закрыто.")


def test_the_gateway_forwards_the_answer_link_without_login(worker, component_settings, key_pair):
    import threading

    from werkzeug.serving import make_server

    from gateway import create_app
    from gateway.settings import load_gateway_settings
    from tests.catchers import free_port

    consumer, notifications = worker
    customer = uuid.uuid4()
    feed(worker, events.addresses(customer))
    closed_case(worker, customer)
    path = link_path(the_delivery(worker))
    port = free_port()
    server = make_server("127.0.0.1", port, notifications, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = create_app(load_gateway_settings(service=component_settings("gateway"), private_key_file=key_pair[0]))
        gateway.extensions["caredesk.service_urls"]["notifications"] = f"http://127.0.0.1:{port}"
        client = gateway.test_client()
        assert client.get(path).status_code == 200
        assert client.post(path, json={"score": 5}).get_json()["answered"] is True
        assert client.get("/api/v1/notifications/surveys/settings").status_code == 401
    finally:
        server.shutdown()
