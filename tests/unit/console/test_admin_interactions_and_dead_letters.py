"""The reason tree, macros, articles, points of contact and dead letters in the console, the services
answered by a fake: every page renders, each change carries the If-Match of the record shown, a
refusal lands at its field, and nothing is replayed before the confirmation."""
from __future__ import annotations

import uuid

import pytest

from gateway.console.api_client import Answer, Api
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, sign_in

# Fixed ids: they name parametrized tests, which every pytest-xdist worker must collect alike.
ROOT, LEAF, MACRO, ARTICLE, POINT, LETTER = (str(uuid.UUID(int=number)) for number in range(1, 7))
REASONS = [
    {"id": ROOT, "parent_id": None, "name": "Facturación", "path": ["Facturación"], "script": "", "is_retired": False,
     "version": 1},
    {"id": LEAF, "parent_id": ROOT, "name": "Doble cobro", "path": ["Facturación", "Doble cobro"],
     "script": "Pida el número de factura.", "is_retired": False, "version": 3},
]
ARTICLE_BODY = {"id": ARTICLE, "reason_id": LEAF, "title": "Cómo tramitar un doble cobro", "body": "1. Pida la factura.",
                "version": 2, "updated_by": None, "updated_at": "2026-11-30T10:00:00+00:00"}
LETTER_BODY = {"message_id": LETTER, "event_type": "customer.created", "event_version": 1, "attempts": 5,
               "dead_at": "2026-12-01T01:02:03+00:00", "reason": ["RuntimeError: boom"],
               "full_reason": "RuntimeError: boom\nTraceback …",
               "headers": {"x-caredesk-failed-queue": "cases.replicate_customer", "x-death": [{"count": 1}]},
               "body": {"type": "customer.created", "data": {"code": "P-1", "name": "Дмитрий"}}}


class FakeServices:
    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self.answers: dict[tuple[str, str], Answer] = {}

    def call(self, method, path, *, json=None, params=None, if_match=None, **_kwargs) -> Answer:
        self.sent.append((method, path, json, if_match))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if method != "GET":
            return Answer(200, {"id": str(uuid.uuid4()), "name": "Saved", "version": 2, "queue": "cases.replicate_customer",
                                "replayed": 1, "remaining": 0}, '"2"')
        return Answer(200, self.read(path), '"2"')

    @staticmethod
    def read(path: str):
        pages = {
            "customers/interaction-reasons": REASONS,
            "customers/interaction-macros": [{"id": MACRO, "reason_id": LEAF, "name": "Reenvío", "is_retired": False,
                                              "body": "{customer_name}: factura reenviada", "version": 4}],
            "customers/knowledge-articles": {"items": [ARTICLE_BODY], "total": 1, "page": 1, "per_page": 25},
            f"customers/knowledge-articles/{ARTICLE}": ARTICLE_BODY,
            "customers/contact-points": [{"id": POINT, "name": "Maiakovskaia", "region": "Moscú", "is_retired": False,
                                          "version": 5}],
            "cases/dead-letters": [{"handler": "replicate_customer", "queue": "cases.replicate_customer",
                                    "events": ["customer.created.v1"], "count": 1}],
            "cases/dead-letters/replicate_customer": {
                "handler": "replicate_customer", "queue": "cases.replicate_customer", "events": ["customer.created.v1"],
                "count": 1, "items": [{key: LETTER_BODY[key] for key in (
                    "message_id", "event_type", "event_version", "attempts", "dead_at", "reason")}]},
            f"cases/dead-letters/replicate_customer/{LETTER}": LETTER_BODY,
            "notifications/unread": {"unread": 0},
        }
        return pages.get(path, [])

    def writes(self) -> list[tuple]:
        return [sent for sent in self.sent if sent[0] != "GET"]


@pytest.fixture
def services(console, monkeypatch):
    sign_in(console, lang="es")
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], level=1, permissions=["manage_users"])
    fake = FakeServices()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(method, path, **kwargs), method, path))
    return fake


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_of(client, "/admin"), **data})


@pytest.mark.parametrize("path", ["/admin", "/admin/reasons", f"/admin/reasons/{LEAF}", f"/admin/articles/{ARTICLE}",
                                  "/admin/contact-points", "/admin/dead-letters",
                                  "/admin/dead-letters/cases/replicate_customer",
                                  f"/admin/dead-letters/cases/replicate_customer/{LETTER}"])
def test_every_new_page_renders_in_spanish(console, services, path):
    page = console.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert '<html lang="es"' in page.get_data(as_text=True)


def test_the_reason_page_shows_the_tree_path_macros_and_articles(console, services):
    text = console.get(f"/admin/reasons/{LEAF}").get_data(as_text=True)
    assert "Facturación › Doble cobro" in text and "Reenvío" in text and "Cómo tramitar un doble cobro" in text
    assert 'name="etag" value="&quot;3&quot;"' in text  # the reason's version, for If-Match


def test_a_macro_is_saved_with_its_version_and_a_refusal_is_shown_at_its_text(console, services):
    services.answers[("PATCH", f"customers/interaction-macros/{MACRO}")] = Answer(
        422, {"errors": {"body": ["Unknown placeholders: {customer}"]}})
    page = post(console, f"/admin/reasons/{LEAF}/macros/{MACRO}", {"etag": '"4"', "name": "Reenvío",
                                                                    "body": "Hola {customer}"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'aria-invalid="true"' in text and "Hola {customer}" in text
    [(method, path, body, if_match)] = services.writes()
    assert (method, if_match) == ("PATCH", '"4"') and body == {"name": "Reenvío", "body": "Hola {customer}",
                                                               "is_retired": False}


def test_a_reason_changed_meanwhile_is_shown_as_saved(console, services):
    services.answers[("PATCH", f"customers/interaction-reasons/{LEAF}")] = Answer(412, {"detail": "stale"})
    page = post(console, f"/admin/reasons/{LEAF}", {"etag": '"2"', "name": "Otro", "script": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 412 and 'value="Doble cobro"' in text


def test_a_point_of_contact_is_saved_with_its_version(console, services):
    assert post(console, f"/admin/contact-points/{POINT}", {"etag": '"5"', "name": "Maiakovskaia",
                                                            "region": "Moscú", "is_retired": "1"}).status_code == 302
    assert services.writes() == [("PATCH", f"customers/contact-points/{POINT}",
                                  {"name": "Maiakovskaia", "region": "Moscú", "is_retired": True}, '"5"')]


def test_an_article_gets_a_new_version_from_the_version_read(console, services):
    assert post(console, f"/admin/articles/{ARTICLE}", {"etag": '"2"', "reason_id": LEAF, "title": "Doble cobro",
                                                        "body": "Nuevo texto"}).status_code == 302
    assert services.writes() == [("PATCH", f"customers/knowledge-articles/{ARTICLE}",
                                  {"title": "Doble cobro", "body": "Nuevo texto", "reason_id": LEAF}, '"2"')]


def test_nothing_is_replayed_before_the_confirmation(console, services):
    asked = post(console, "/admin/dead-letters/cases/replicate_customer/replay", {"message_id": LETTER})
    assert asked.status_code == 302 and asked.location.endswith(f"/replicate_customer/{LETTER}?confirm=one")
    asked_all = post(console, "/admin/dead-letters/cases/replicate_customer/replay", {})
    assert asked_all.location.endswith("/admin/dead-letters/cases/replicate_customer?confirm=all")
    assert services.writes() == []
    confirm = console.get(f"/admin/dead-letters/cases/replicate_customer/{LETTER}?confirm=one").get_data(as_text=True)
    assert 'id="confirm-one"' in confirm and "&#34;name&#34;: &#34;Дмитрий&#34;" in confirm  # the event, pretty-printed
    done = post(console, "/admin/dead-letters/cases/replicate_customer/replay", {"message_id": LETTER, "confirmed": "yes"})
    assert done.status_code == 302
    assert services.writes() == [("POST", f"cases/dead-letters/replicate_customer/{LETTER}/replay", None, None)]
    assert post(console, "/admin/dead-letters/billing/x/replay", {"confirmed": "yes"}).status_code == 404
    assert post(console, "/admin/dead-letters/cases/x/replay", {"message_id": "../../auth", "confirmed": "yes"}
                ).status_code == 404


def test_dead_letters_are_for_company_level_administrators(console, services):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], level=2)
    assert console.get("/admin/dead-letters").status_code == 403
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], level=1, permissions=["manage_queues"])
    assert console.get("/admin/dead-letters/cases/replicate_customer").status_code == 403
    assert not [sent for sent in services.sent if "dead-letters" in sent[1]]


def test_the_users_language_is_sent_with_the_users_version(console, services):
    user_id = str(uuid.uuid4())
    saved = {"id": user_id, "full_name": "Ana", "email": None, "level": 3, "branch_id": ROOT, "department_id": None,
             "permissions": [], "queues": [], "is_active": True, "language": None, "version": 6}
    services.answers[("GET", f"directory/users/{user_id}")] = Answer(200, saved, '"6"')
    services.answers[("PATCH", f"directory/users/{user_id}")] = Answer(200, saved | {"language": "vi"}, '"7"')
    form = {"etag": '"6"', "full_name": "Ana", "email": "", "level": "3", "branch_id": ROOT, "department_id": "",
            "is_active": "1", "language": "vi"}
    assert post(console, f"/admin/users/{user_id}", form).status_code == 302
    assert services.writes() == [("PATCH", f"directory/users/{user_id}", {"language": "vi"}, '"6"')]
    page = console.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'id="f-language"' in page


def test_a_replay_of_a_large_queue_says_how_many_still_wait(console, services):
    services.answers[("POST", "cases/dead-letters/replicate_customer/replay")] = Answer(
        200, {"queue": "cases.replicate_customer", "replayed": 500, "remaining": 1200})
    done = post(console, "/admin/dead-letters/cases/replicate_customer/replay", {"confirmed": "yes"})
    page = console.get(done.location).get_data(as_text=True)
    assert "Devueltos a la cola cases.replicate_customer: 500." in page and "Siguen en espera: 1200" in page
