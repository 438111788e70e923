"""Calendar (seeds 002, 003): a scheduled follow-up becomes an invitation e-mail with a text/calendar
part (METHOD:REQUEST, the agent organiser, participants, copies as NON-PARTICIPANT, a stable UID);
a change is a REQUEST with a higher SEQUENCE and a cancel METHOD:CANCEL; private and team feeds
are read without login by their revocable token (also through the gateway). Every .ics is parsed
back with the icalendar library."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select
from werkzeug.serving import make_server

from services.kit.messaging.envelope import Envelope
from services.notifications.deliveries.models import Delivery
from services.notifications.deliveries.use_cases import send_delivery
from services.notifications.models import Notification
from services.notifications.runtime import build_runtime
from tests import reminder_events as events
from tests.catchers import MailCatcher, free_port
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, deliver, user_event

DEPARTMENT = uuid.uuid4()
STARTS = datetime.now(timezone.utc).replace(microsecond=0, second=0) + timedelta(days=2)


@pytest.fixture
def smtp():
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def runtime(worker, smtp):
    consumer, _ = worker
    consumer.settings.extra.update(smtp_host="127.0.0.1", smtp_port=smtp.port, mail_from="caredesk@caredesk.test",
                                   public_url="https://crm.example.com")
    return build_runtime(consumer.settings, database=consumer.database)


def person(worker, username, email, *, department=DEPARTMENT, level=3):
    event = user_event(username, [])
    event.data.update(email=email, full_name=username.title(), department_id=str(department), level=level)
    assert deliver(worker[0], event, HANDLER["replicate_user"]).acked
    return make_principal(user_id=uuid.UUID(event.data["id"]), username=username, level=level, department_id=department)


@pytest.fixture
def team(worker, runtime):
    return {name: person(worker, name, f"{name}@caredesk.test") for name in ("ana", "boris", "olga", "sup")} | {
        "outsider": person(worker, "ivan", "ivan@caredesk.test", department=uuid.uuid4())}


def followup_data(team, **changes) -> dict:
    return {"id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()), "customer_code": "C-1001",
            "interaction_id": str(uuid.uuid4()), "interaction_number": 42,
            "organiser_id": str(team["ana"].user_id), "starts_at": STARTS.isoformat(),
            "ends_at": (STARTS + timedelta(minutes=30)).isoformat(), "time_zone": "America/Bogota",
            "subject": "Llamar por la portabilidad", "location": "Oficina Centro",
            "participant_ids": [str(team["boris"].user_id)],
            "copy_ids": [str(team["olga"].user_id), str(team["sup"].user_id)]} | changes


def envelope(name: str, data: dict) -> Envelope:
    return Envelope(type=name, version=1, producer="customers", correlation_id="t", data=data)


UPDATES = HANDLER["followup_updates"]


def sent_invitations(runtime, smtp, event_id) -> dict[str, Calendar]:
    """Send the event's deliveries to the SMTP server; each recipient's text/calendar part, parsed."""
    with runtime.database.session() as session:
        ids = session.scalars(select(Delivery.id).where(Delivery.event_id == event_id)).all()
    before = len(smtp.messages)
    for delivery_id in ids:
        assert send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy).status == "sent"
    found = {}
    for message in smtp.messages[before:]:
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") in ("REQUEST", "CANCEL")
        found[message["To"]] = Calendar.from_ical(part.get_payload(decode=True))
    return found


def vevent(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def attendees(event) -> dict[str, str]:
    values = event.get("attendee")
    values = values if isinstance(values, list) else [values]
    return {str(value).removeprefix("mailto:"): str(value.params["ROLE"]) for value in values}


def test_a_scheduled_followup_is_an_invitation_with_the_agent_the_participants_and_the_copies(
        worker, runtime, smtp, team):
    data = followup_data(team)
    scheduled = envelope("followup.scheduled", data)
    assert deliver(worker[0], scheduled, HANDLER["followup_invitations"]).acked
    assert deliver(worker[0], scheduled, HANDLER["followup_invitations"]).acked  # redelivered: nothing more
    invitations = sent_invitations(runtime, smtp, scheduled.id)
    assert set(invitations) == {"ana@caredesk.test", "boris@caredesk.test", "olga@caredesk.test", "sup@caredesk.test"}
    for calendar in invitations.values():
        assert calendar["METHOD"] == "REQUEST"
        event = vevent(calendar)
        assert str(event["UID"]) == f"followup-{data['id']}@caredesk" and int(event["SEQUENCE"]) == 0
        assert str(event["ORGANIZER"]) == "mailto:ana@caredesk.test" and event["ORGANIZER"].params["CN"] == "Ana"
        assert attendees(event) == {"boris@caredesk.test": "REQ-PARTICIPANT", "olga@caredesk.test": "NON-PARTICIPANT",
                                    "sup@caredesk.test": "NON-PARTICIPANT"}
        assert event.decoded("DTSTART") == STARTS and str(event["LOCATION"]) == "Oficina Centro"
    mail = next(m for m in smtp.messages if m["To"] == "olga@caredesk.test")
    text = mail.get_body(("plain",)).get_content()
    local = STARTS.astimezone(__import__("zoneinfo").ZoneInfo("America/Bogota"))
    assert f"{local:%Y-%m-%d %H:%M} (America/Bogota)" in mail["Subject"] and "en copia" in text
    with runtime.database.session() as session:
        told = set(session.scalars(select(Notification.recipient).where(Notification.event_id == scheduled.id)))
    assert told == {str(team[name].user_id) for name in ("boris", "olga", "sup")}


def test_a_change_raises_the_sequence_and_a_cancel_is_method_cancel_with_the_same_uid(worker, runtime, smtp, team):
    data = followup_data(team)
    assert deliver(worker[0], envelope("followup.scheduled", data), HANDLER["followup_invitations"]).acked
    later = STARTS + timedelta(days=1)
    changed = envelope("followup.changed", data | {"sequence": 1, "starts_at": later.isoformat(),
                                                   "ends_at": (later + timedelta(hours=1)).isoformat(),
                                                   "copy_ids": [str(team["sup"].user_id)]})
    assert deliver(worker[0], changed, UPDATES).acked
    updates = sent_invitations(runtime, smtp, changed.id)
    assert updates["boris@caredesk.test"]["METHOD"] == "REQUEST"
    event = vevent(updates["boris@caredesk.test"])
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART") == later
    assert str(event["UID"]) == f"followup-{data['id']}@caredesk"
    assert attendees(event) == {"boris@caredesk.test": "REQ-PARTICIPANT", "sup@caredesk.test": "NON-PARTICIPANT"}
    assert updates["olga@caredesk.test"]["METHOD"] == "CANCEL"  # taken off the copies

    stale = envelope("followup.changed", data | {"sequence": 1, "subject": "old news"})
    assert deliver(worker[0], stale, UPDATES).acked
    assert sent_invitations(runtime, smtp, stale.id) == {}
    cancelled = envelope("followup.cancelled", changed.data | {"sequence": 2})
    assert deliver(worker[0], cancelled, UPDATES).acked
    cancels = sent_invitations(runtime, smtp, cancelled.id)
    assert set(cancels) == {"ana@caredesk.test", "boris@caredesk.test", "sup@caredesk.test"}
    for calendar in cancels.values():
        event = vevent(calendar)
        assert calendar["METHOD"] == "CANCEL" and int(event["SEQUENCE"]) == 2 and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == f"followup-{data['id']}@caredesk"


def test_private_and_team_feeds_are_read_by_token_without_login_and_regenerating_revokes(
        worker, runtime, team, bearer):
    client = worker[1].test_client()
    mine = followup_data(team)
    theirs = followup_data(team, organiser_id=str(team["outsider"].user_id), participant_ids=[], copy_ids=[])
    for data in (mine, theirs):
        assert deliver(worker[0], envelope("followup.scheduled", data), HANDLER["followup_invitations"]).acked
    customer = uuid.uuid4()
    invoice = events.receivable(customer, due=date.today() + timedelta(days=5), invoice="F-77",
                                agent=team["olga"].user_id)
    elsewhere = events.receivable(customer, due=date.today() + timedelta(days=5), invoice="F-78",
                                  agent=team["outsider"].user_id)
    for event in (invoice, elsewhere):
        assert deliver(worker[0], event, HANDLER["receivables_read_model"]).acked

    boris = team["boris"]
    assert client.get("/api/v1/notifications/calendar/feeds/me", headers=bearer(boris)).status_code == 404
    made = client.post("/api/v1/notifications/calendar/feeds/me", headers=bearer(boris)).get_json()
    assert made["url"] == "https://crm.example.com" + made["path"]
    assert client.get("/api/v1/notifications/calendar/feeds/me", headers=bearer(boris)).get_json() == made
    answer = client.get(made["path"])  # no Authorization header
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    feed = Calendar.from_ical(answer.data)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [f"followup-{mine['id']}@caredesk"]

    renewed = client.post("/api/v1/notifications/calendar/feeds/me/regenerate", headers=bearer(boris)).get_json()
    assert renewed["path"] != made["path"]
    gone = client.get(made["path"])
    assert gone.status_code == 404 and gone.content_type == "application/problem+json"
    assert client.get(renewed["path"]).status_code == 200

    team_feed = client.post("/api/v1/notifications/calendar/feeds/department", headers=bearer(team["sup"])).get_json()
    events_of_team = {str(e["UID"]): e for e in Calendar.from_ical(client.get(team_feed["path"]).data).walk("VEVENT")}
    assert set(events_of_team) == {f"followup-{mine['id']}@caredesk", f"receivable-{invoice.data['id']}@caredesk"}
    due = events_of_team[f"receivable-{invoice.data['id']}@caredesk"]
    assert due.decoded("DTSTART") == date.today() + timedelta(days=5) and "F-77" in str(due["SUMMARY"])
    level_4 = make_principal(level=4, department_id=DEPARTMENT)
    assert client.post("/api/v1/notifications/calendar/feeds/department/regenerate",
                       headers=bearer(level_4)).status_code == 403


def test_the_gateway_forwards_a_feed_without_login(worker, runtime, team, bearer, component_settings, key_pair):
    from gateway import create_app
    from gateway.settings import load_gateway_settings

    notifications = worker[1]
    port = free_port()
    server = make_server("127.0.0.1", port, notifications, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = create_app(load_gateway_settings(service=component_settings("gateway"), private_key_file=key_pair[0]))
        gateway.extensions["caredesk.service_urls"]["notifications"] = f"http://127.0.0.1:{port}"
        made = notifications.test_client().post("/api/v1/notifications/calendar/feeds/me",
                                                headers=bearer(team["ana"])).get_json()
        answer = gateway.test_client().get(made["path"])
        assert answer.status_code == 200 and Calendar.from_ical(answer.data)["X-WR-CALNAME"]
        assert gateway.test_client().get("/api/v1/notifications/calendar/feeds/me").status_code == 401
    finally:
        server.shutdown()
