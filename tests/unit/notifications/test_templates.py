"""Templates: four shipped languages, each recipient in their own, administrators' edits validated
(refused with the line that fails), previews with sample data, and users' channel choices."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.notifications.deliveries.models import Delivery
from services.notifications.models import Notification
from services.notifications.templates.defaults import DEFAULTS, SAMPLES
from services.notifications.templates.models import LANGUAGES
from services.notifications.templates.rendering import render, template_errors
from tests.conftest import make_principal
from tests.unit.notifications.conftest import HANDLER, case_event, deliver, dispatched, user_event

API = "/api/v1/notifications"


def test_every_shipped_template_renders_its_sample_in_four_distinct_languages():
    for (template, _channel), texts in DEFAULTS.items():
        assert set(texts) == set(LANGUAGES), template
        rendered = {language: render({"subject": subject, "body_text": body}, SAMPLES[template])
                    for language, (subject, body) in texts.items()}
        for language, (subject, body) in texts.items():
            assert template_errors({"subject": subject, "body_text": body}, SAMPLES[template]) == {}, template
        assert len({message.subject for message in rendered.values()}) == 4, template
        number = {"case": "2026-000042", "payment": "F-2026-00123", "followup": "2026-12-02 10:00",
                  "survey": "2026-000042"}[
            template.split(".")[0]]  # the case's, the invoice's, the follow-up's
        assert all(number in message.subject for message in rendered.values()), template


def person(consumer, name: str, *, email: str | None, queues=()):
    event = user_event(name, list(queues))
    event.data.update(email=email, full_name=name.title())
    deliver(consumer, event, HANDLER["replicate_user"])
    return uuid.UUID(event.data["id"])


def test_each_member_is_told_in_their_language_and_by_the_channels_they_chose(worker, bearer):
    consumer, app = worker
    client = app.test_client()
    people = {language: person(consumer, f"user-{language}", email=f"{language}@caredesk.test", queues=["delivery"])
              for language in LANGUAGES}
    for language, user_id in people.items():
        chosen = client.put(f"{API}/preferences/me", json={"language": language, "email": language != "vi"},
                            headers=bearer(make_principal(user_id=user_id)))
        assert chosen.status_code == 200 and chosen.get_json()["language"] == language
    deliver(consumer, dispatched(), HANDLER["notify_queue_members"])

    with consumer.database.session() as session:
        notices = {row.recipient: row.subject for row in session.scalars(select(Notification))}
        mails = {row.recipient: (row.language, row.subject) for row in session.scalars(select(Delivery))}
    assert notices[str(people["es"])] == "Caso 2026-000001 en espera en la cola Delivery"
    assert notices[str(people["en"])] == "Case 2026-000001 is waiting in Delivery"
    assert notices[str(people["ru"])] == "Кейс 2026-000001 ждёт в очереди «Delivery»"
    assert notices[str(people["vi"])] == "Yêu cầu 2026-000001 đang chờ trong hàng đợi Delivery"
    assert notices["delivery"] == notices[str(people["es"])]  # the queue's own notice: the company's language
    assert mails == {str(people[language]): (language, notices[str(people[language])]) for language in ("es", "en", "ru")}


def test_the_company_language_is_set_by_an_administrator_and_used_for_those_who_chose_none(worker, bearer):
    consumer, app = worker
    client = app.test_client()
    assert client.get(f"{API}/settings", headers=bearer(make_principal())).get_json() == {"default_language": "es"}
    refused = client.put(f"{API}/settings", json={"default_language": "ru"}, headers=bearer(make_principal(level=3)))
    assert refused.status_code == 403
    bad = client.put(f"{API}/settings", json={"default_language": "fr"}, headers=bearer(make_principal()))
    assert bad.status_code == 422 and "default_language" in bad.get_json()["errors"]
    admin = bearer(make_principal())
    etag = client.get(f"{API}/settings", headers=admin).headers["ETag"]
    assert client.put(f"{API}/settings", json={"default_language": "ru"}, headers=admin).status_code == 428
    saved = client.put(f"{API}/settings", json={"default_language": "ru"}, headers=admin | {"If-Match": etag})
    assert saved.status_code == 200 and saved.headers["ETag"] != etag

    initiator = person(consumer, "olga", email="olga@caredesk.test")
    event = case_event("case.rejected", reason="нет адреса", initiator_id=str(initiator))
    deliver(consumer, event, HANDLER["notify_case_participants"])
    with consumer.database.session() as session:
        delivery = session.scalar(select(Delivery))
    assert (delivery.language, delivery.subject) == ("ru", "Кейс 2026-000001 возвращён вам")
    assert "Причина: нет адреса" in delivery.body_text


@pytest.fixture
def editor(bearer):
    return bearer(make_principal(permissions=frozenset({"manage_templates"})))


def test_an_administrator_edits_a_template_and_the_next_messages_use_it(worker, bearer, editor):
    consumer, app = worker
    client = app.test_client()
    url = f"{API}/templates/case.closed/email/es"
    current = client.get(url, headers=editor)
    assert current.get_json()["is_default"] is True and current.headers["ETag"] == '"0"'
    texts = {"subject": "Caso {{ case.number }} resuelto",
             "body_text": "Hola {{ recipient.name }}:\n{{ case.resolution }}",
             "body_html": "<p>{{ case.resolution }}</p>"}
    assert client.put(url, json=texts, headers=bearer(make_principal()) | {"If-Match": '"0"'}).status_code == 403
    saved = client.put(url, json=texts, headers=editor | {"If-Match": '"0"'})  # creating: "0" or nothing
    assert saved.status_code == 200 and saved.get_json()["version"] == 1 and saved.headers["ETag"] == '"1"'
    assert client.put(url, json=texts, headers=editor).status_code == 428  # replacing needs the ETag
    assert client.put(url, json=texts, headers=editor | {"If-Match": '"0"'}).status_code == 412

    initiator = person(consumer, "ana", email="ana@caredesk.test")
    event = case_event("case.closed", resolution="SIM <entregada>", initiator_id=str(initiator))
    deliver(consumer, event, HANDLER["notify_case_participants"])
    with consumer.database.session() as session:
        delivery = session.scalar(select(Delivery))
    assert delivery.subject == "Caso 2026-000001 resuelto"
    assert delivery.body_text == "Hola Ana:\nSIM <entregada>"
    assert delivery.body_html == "<p>SIM &lt;entregada&gt;</p>"  # HTML escapes the event's text

    assert client.delete(url, headers=editor).status_code == 428
    reset = client.delete(url, headers=editor | {"If-Match": '"1"'})
    assert reset.status_code == 200 and reset.get_json()["is_default"] is True


@pytest.mark.parametrize("texts,field,line", [
    ({"subject": "ok", "body_text": "uno\ndos\n{% if case.number %}sin cerrar"}, "body_text", 3),
    ({"subject": "{{ case.numbr }}", "body_text": "x"}, "subject", 1),
    ({"subject": "x", "body_text": "a\n{{ case.__class__.__mro__ }}"}, "body_text", 2),
])
def test_a_template_that_does_not_render_is_refused_with_its_line(worker, editor, texts, field, line):
    client = worker[1].test_client()
    refused = client.put(f"{API}/templates/case.rejected/email/en", json=texts, headers=editor | {"If-Match": '"0"'})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    [message] = refused.get_json()["errors"][field]
    assert message.startswith(f"line {line}:")
    preview = client.post(f"{API}/templates/case.rejected/email/en/preview", json={"texts": texts}, headers=editor)
    assert preview.status_code == 422
    assert client.get(f"{API}/templates/case.rejected/email/en", headers=editor).get_json()["is_default"] is True


def test_preview_renders_sample_data_and_unknown_templates_are_not_found(worker, editor):
    client = worker[1].test_client()
    preview = client.post(f"{API}/templates/case.rejected/email/vi/preview", json={}, headers=editor)
    assert preview.status_code == 200
    assert preview.get_json()["subject"] == "Yêu cầu 2026-000042 đã bị trả lại cho bạn"
    assert client.get(f"{API}/templates/case.unknown/email/es", headers=editor).status_code == 404
    assert client.get(f"{API}/templates/case.closed/email/fr", headers=editor).status_code == 404
    first = client.get(f"{API}/templates", headers=editor, query_string={"per_page": 50}).get_json()
    assert first["total"] == len(DEFAULTS) * 4 and len(first["items"]) == 50 and first["links"]["next"]
    listed = first["items"] + client.get(first["links"]["next"], headers=editor).get_json()["items"]
    assert len(listed) == len(DEFAULTS) * 4 and len({(t["template"], t["channel"], t["language"]) for t in listed}) == len(listed)


def test_my_preferences_are_created_without_if_match_and_replaced_with_it(worker, bearer):
    client = worker[1].test_client()
    me = bearer(make_principal())
    first = client.get(f"{API}/preferences/me", headers=me)
    assert first.headers["ETag"] == '"0"'
    created = client.put(f"{API}/preferences/me", json={"language": "ru", "email": False}, headers=me)
    assert created.status_code == 200 and created.headers["ETag"] == '"1"'
    assert client.put(f"{API}/preferences/me", json={"language": "en"}, headers=me).status_code == 428
    assert client.put(f"{API}/preferences/me", json={"language": "en"}, headers=me | {"If-Match": '"0"'}).status_code == 412
    replaced = client.put(f"{API}/preferences/me", json={"language": "en"}, headers=me | {"If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.get_json()["language"] == "en" and replaced.headers["ETag"] == '"2"'
    assert client.get(f"{API}/preferences/me", headers=me | {"If-None-Match": '"2"'}).status_code == 304
