"""The survey page (seed 004's polls answered from a browser): the link a customer receives opens a
server-rendered form in the customer's language (es, en, ru, vi), with no JavaScript, answered by a
plain form post to the same signed URL; the answer is kept once and published as
survey.answered.v1; a changed link, an expired one and a second answer get pages of their own.
API clients on the same URL still get JSON. Also through the gateway, without login."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from services.kit.db import utcnow
from services.notifications.surveys.models import Survey
from services.notifications.surveys.page import TEXTS
from tests import reminder_events as events
from tests.catchers import free_port
from tests.unit.notifications.test_surveys import closed_case, feed, link_path, the_delivery

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "en-GB,en;q=0.9"}


class Page(HTMLParser):
    """What a test reads of a page: the tags with their attributes, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(" ".join(data.split()))

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def words(self) -> str:
        return " ".join(self.text)


def survey_link(worker, language: str) -> str:
    customer = uuid.uuid4()
    feed(worker, events.addresses(customer, name="Cliente", language=language, email="cliente@example.com"))
    closed_case(worker, customer, number="2026-000123")
    return link_path(the_delivery(worker))


def answered_events(worker) -> list[dict]:
    database = worker[0].database
    with database.session() as session:
        return [envelope["data"] for key, envelope in session.execute(
            select(database.outbox.c.routing_key, database.outbox.c.envelope)) if key == "survey.answered.v1"]


@pytest.mark.parametrize("language", ["es", "en", "ru", "vi"])
def test_the_link_opens_a_form_in_the_customers_language_without_javascript(worker, language):
    path = survey_link(worker, language)
    response = worker[1].test_client().get(path, headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Language"] == language and response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "form-action 'self'" in policy
    html = response.get_data(as_text=True)
    page = Page(html)
    assert page.all("html")[0]["lang"] == language and "<script" not in html
    texts = TEXTS[language]
    assert texts["heading"] in page.words and texts["intro"].format(case="2026-000123") in page.words
    [form] = page.all("form")
    assert form["method"] == "post" and form["action"] == ""
    assert sorted(int(radio["value"]) for radio in page.all("input", type="radio", name="score")) == [1, 2, 3, 4, 5]
    assert all(texts[f"score_{n}"] in page.words for n in range(1, 6))
    assert page.all("textarea", name="comment")[0]["maxlength"] == "2000"
    others = {a["hreflang"] for a in page.all("a") if "hreflang" in a}
    assert others == {"es", "en", "ru", "vi"} - {language}


def test_a_customer_answers_from_the_browser_once_and_sees_the_thanks(worker):
    client = worker[1].test_client()
    path = survey_link(worker, "ru")
    assert TEXTS["vi"]["heading"] in Page(client.get(f"{path}?lang=vi", headers=BROWSER).get_data(as_text=True)).words

    missing = client.post(path, headers=BROWSER, data={"comment": "Курьер опоздал <b>на час</b>"})
    assert missing.status_code == 422 and missing.mimetype == "text/html"
    page = Page(missing.get_data(as_text=True))
    assert TEXTS["ru"]["error_score"] in page.words
    assert "Курьер опоздал <b>на час</b>" in page.words  # what was typed is kept, as text
    assert "<b>на час</b>" not in missing.get_data(as_text=True)
    too_long = client.post(path, headers=BROWSER, data={"score": "9", "comment": "x" * 2001})
    assert too_long.status_code == 422
    assert {TEXTS["ru"]["error_score"], TEXTS["ru"]["error_comment"]} <= set(Page(too_long.get_data(as_text=True)).text)
    assert answered_events(worker) == []

    sent = client.post(path, headers=BROWSER, data={"score": "4", "comment": "Курьер опоздал, но всё решили"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(path)
    thanks = client.get(path, headers=BROWSER)
    words = Page(thanks.get_data(as_text=True)).words
    assert thanks.status_code == 200 and TEXTS["ru"]["thanks"] in words
    assert TEXTS["ru"]["answered"].format(case="2026-000123", score=4) in words
    assert "Курьер опоздал, но всё решили" in words and not Page(thanks.get_data(as_text=True)).all("form")

    again = client.post(path, headers=BROWSER, data={"score": "1"})
    assert again.status_code == 409 and TEXTS["ru"]["already"] in Page(again.get_data(as_text=True)).words
    [answer] = answered_events(worker)
    assert (answer["score"], answer["comment"], answer["case_number"]) == (4, "Курьер опоздал, но всё решили",
                                                                           "2026-000123")
    api = client.get(path)  # an API client on the same URL: JSON as before
    assert api.mimetype == "application/json" and api.get_json()["score"] == 4


def test_a_changed_or_expired_link_gets_a_page_saying_so(worker):
    client = worker[1].test_client()
    path = survey_link(worker, "es")
    token = path.rsplit("/", 1)[1]
    tampered = path[:-len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.get(tampered, headers=BROWSER | {"Accept-Language": "vi"})
    assert refused.status_code == 404 and refused.mimetype == "text/html"
    assert TEXTS["vi"]["missing"] in Page(refused.get_data(as_text=True)).words
    assert client.post(tampered, headers=BROWSER, data={"score": "5"}).status_code == 404
    with worker[0].database.engine.begin() as connection:
        connection.execute(update(Survey.__table__).values(expires_at=utcnow() - timedelta(minutes=1)))
    gone = client.post(path, headers=BROWSER | {"Accept-Language": "es"}, data={"score": "5"})
    assert gone.status_code == 410 and TEXTS["es"]["expired"] in Page(gone.get_data(as_text=True)).words
    assert answered_events(worker) == []


def test_the_page_is_answered_through_the_gateway_without_login(worker, component_settings, key_pair):
    from gateway import create_app
    from gateway.settings import load_gateway_settings

    path = survey_link(worker, "en")
    server = make_server("127.0.0.1", free_port(), worker[1], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = create_app(load_gateway_settings(service=component_settings("gateway"), private_key_file=key_pair[0]))
        gateway.extensions["caredesk.service_urls"]["notifications"] = f"http://127.0.0.1:{server.server_port}"
        client = gateway.test_client()
        shown = client.get(path, headers=BROWSER)
        assert shown.status_code == 200 and TEXTS["en"]["heading"] in Page(shown.get_data(as_text=True)).words
        sent = client.post(path, headers=BROWSER, data={"score": "5", "comment": "Quick and kind"})
        assert sent.status_code == 303
        thanks = client.get(path, headers=BROWSER)
        assert TEXTS["en"]["answered"].format(case="2026-000123", score=5) in Page(thanks.get_data(as_text=True)).words
    finally:
        server.shutdown()
    with worker[0].database.session() as session:
        assert session.scalar(select(Survey.score)) == 5
