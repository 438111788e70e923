"""The card page over the gateway's composed card (GET /customer-cards/{id} and ?caller=): one call
for the customer and its parts, a part its service did not give shown as unavailable while the rest
of the card works, the survey answers, and the consents' history on demand."""
from __future__ import annotations

import threading
import uuid

import pytest

from gateway.console.api_client import Answer, Api, ServiceDown, SignedOut
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_interaction_panel import CARD, CUSTOMER, FakeCustomers, composed
from tests.unit.console.test_console import sign_in

CASES_DOWN = {"unavailable": True, "service": "cases", "reason": "unreachable", "status": 503,
              "detail": "The cases service is not reachable; nothing was changed. Try again."}
SATISFIED = {"answers": 3, "average": 4.33, "latest": [
    {"case_id": str(uuid.uuid4()), "case_number": "CS-000412", "score": 5, "comment": "Muy amable la agente",
     "answered_at": "2026-11-20T15:00:00+00:00"},
    {"case_id": str(uuid.uuid4()), "case_number": "CS-000398", "score": 3, "comment": None,
     "answered_at": "2026-11-10T15:00:00+00:00"}]}


@pytest.fixture
def customers(console, monkeypatch):
    sign_in(console, lang="es", tz="America/Bogota")
    fake = FakeCustomers()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(api, method, path, **kwargs), method, path))
    return fake


def reads(fake: FakeCustomers) -> list[str]:
    return [path for method, path, _json, _if_match in fake.sent if method == "GET"]


def test_the_card_comes_from_the_composed_card_and_its_parts_are_not_asked_again(console, customers):
    page = console.get(f"/customers/{CUSTOMER}")
    assert page.status_code == 200
    asked = reads(customers)
    assert f"customer-cards/{CUSTOMER}" in asked
    assert not [path for path in asked if path in (f"customers/{CUSTOMER}", "cases", f"customers/{CUSTOMER}/consents",
                                                   f"customers/{CUSTOMER}/financial-summary",
                                                   f"customers/{CUSTOMER}/offers")]
    assert 'name="etag" value="&#34;7&#34;"' in page.get_data(as_text=True), "the version is the forms' If-Match"


def test_a_part_whose_service_is_down_is_shown_unavailable_and_the_rest_of_the_card_works(console, customers):
    customers.answers[("GET", f"customer-cards/{CUSTOMER}")] = Answer(200, composed(CARD, open_cases=CASES_DOWN))
    answer = console.get(f"/customers/{CUSTOMER}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="unavailable-parts"' in page and 'data-part="open_cases"' in page
    assert "Casos abiertos: el servicio de casos no respondió." in page
    assert "Los casos no están disponibles en este momento." in page
    assert "José Pérez" in page and "+573152223344" in page, "master data and lines are still there"


def test_a_whole_card_says_nothing_is_missing(console, customers):
    page = console.get(f"/customers/{CUSTOMER}").get_data(as_text=True)
    assert 'id="unavailable-parts"' not in page


def test_the_survey_answers_are_on_the_card(console, customers):
    card = CARD | {"satisfaction": SATISFIED}
    customers.answers[("GET", f"customer-cards/{CUSTOMER}")] = Answer(200, composed(card))
    page = console.get(f"/customers/{CUSTOMER}").get_data(as_text=True)
    section = page[page.index('id="satisfaction"'):]
    section = section[:section.index("</section>")]
    assert "CS-000412" in section and "Muy amable la agente" in section and "CS-000398" in section
    assert "4,33" in section, "the average written the Spanish way"


def test_the_consents_history_is_read_only_when_asked_for(console, customers):
    history = f"customers/{CUSTOMER}/consents/history"
    console.get(f"/customers/{CUSTOMER}")
    assert history not in reads(customers)
    customers.answers[("GET", history)] = Answer(200, {"total": 1, "page": 1, "per_page": 20, "items": [
        {"id": str(uuid.uuid4()), "customer_id": CUSTOMER, "contact_id": None, "contact_name": None,
         "kind": "marketing", "granted": False, "channel": "phone", "note": "Llamó para pedirlo",
         "recorded_at": "2026-11-29T14:00:00+00:00", "recorded_by": str(uuid.uuid4()), "recorded_by_name": "Ana Restrepo"}]})
    page = console.get(f"/customers/{CUSTOMER}?consents=history").get_data(as_text=True)
    assert history in reads(customers)
    table = page[page.index('class="consent-history"'):]
    table = table[:table.index("</table>")]
    assert "Llamó para pedirlo" in table and "Ana Restrepo" in table and "Retirado" in table
    assert "29/11/2026" in table or "29/11/26" in table, "the date in the user's language"
    assert "9:00" in table, "14:00 UTC is 9:00 in Bogotá, the user's time zone"


def test_the_telephony_link_opens_the_card_composed_by_the_callers_number(console, customers):
    customers.answers[("GET", "customer-cards")] = Answer(200, composed(CARD))
    answer = console.get("/call?number=315 222 3344")
    assert answer.status_code == 200
    assert "José Pérez" in answer.get_data(as_text=True)
    assert "Llama desde el 315 222 3344" in answer.get_data(as_text=True)
    assert [path for path in reads(customers) if path.startswith("customer")][0] == "customer-cards"


def test_the_pages_other_reads_are_asked_while_the_composed_card_is_on_its_way(console, customers, monkeypatch):
    """The card waits for its slowest read, not for their sum: the composed card is held back here
    until every other read of the page has been asked, which would never happen one after another."""
    others = {f"customers/{CUSTOMER}/notes", f"customers/{CUSTOMER}/attachments", "customers/attachment-types",
              "customers/interaction-reasons", "customers/contact-points", "notifications/unread"}
    all_asked = threading.Event()
    answer_of = customers.call

    def call(api, method, path, **kwargs):
        if path == f"customer-cards/{CUSTOMER}":
            assert all_asked.wait(timeout=10), f"not asked alongside the card: {others - set(reads(customers))}"
        answer = answer_of(api, method, path, **kwargs)
        if others <= set(reads(customers)):
            all_asked.set()
        return answer
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs: enveloped(call(api, method, path, **kwargs),
                                                                                   method, path))
    page = console.get(f"/customers/{CUSTOMER}")
    assert page.status_code == 200 and "José Pérez" in page.get_data(as_text=True)


@pytest.mark.parametrize("failure, status", [(SignedOut(), 302), (ServiceDown("customers"), 503)])
def test_a_read_started_beside_the_card_fails_the_page_as_it_did_when_asked_in_turn(console, customers, monkeypatch,
                                                                                    failure, status):
    answer_of = customers.call

    def call(api, method, path, **kwargs):
        if path == "customers/attachment-types":
            raise failure
        return answer_of(api, method, path, **kwargs)
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs: enveloped(call(api, method, path, **kwargs),
                                                                                   method, path))
    answer = console.get(f"/customers/{CUSTOMER}")
    assert answer.status_code == status
    if status == 302:
        assert "/signin" in answer.headers["Location"], "signed out: sign in again"
