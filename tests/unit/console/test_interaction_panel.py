"""The card's interaction panel through Flask's test client, with the customers API answered by a fake:
what each button sends, the reason tree offered, macros filled into the comment, the attempt of a
customer not reached, and refusals shown at their fields."""
from __future__ import annotations

import re
import uuid

import pytest

from gateway.console import interactions
from gateway.console.api_client import Answer, Api
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, sign_in

CUSTOMER = str(uuid.uuid4())
LINE = str(uuid.uuid4())
CONTACT = str(uuid.uuid4())
INTERACTION = str(uuid.uuid4())
ROOT, LEAF, RETIRED_ROOT, UNDER_RETIRED, MACRO = (str(uuid.uuid4()) for _ in range(5))
REASONS = [
    {"id": ROOT, "parent_id": None, "name": "Facturación", "path": ["Facturación"], "script": "", "is_retired": False},
    {"id": LEAF, "parent_id": ROOT, "name": "Doble cobro", "path": ["Facturación", "Doble cobro"],
     "script": "Confirme la factura.", "is_retired": False},
    {"id": RETIRED_ROOT, "parent_id": None, "name": "Promoción", "path": ["Promoción"], "script": "",
     "is_retired": True},
    {"id": UNDER_RETIRED, "parent_id": RETIRED_ROOT, "name": "Navidad", "path": ["Promoción", "Navidad"],
     "script": "", "is_retired": False},
]
MATERIAL = {"reason": REASONS[1], "articles": [{"id": str(uuid.uuid4()), "title": "Cómo tramitar", "version": 2}],
            "macros": [{"id": MACRO, "reason_id": LEAF, "name": "Reclamo registrado", "body": "Reclamo de {customer_name}",
                        "text": "Reclamo de José Pérez"}]}
CARD = {"id": CUSTOMER, "code": "C-1001", "kind": "person", "name": "José Pérez", "status": "active",
        "country": "CO", "tax_number": "79845123", "created_at": "2026-11-01T10:00:00+00:00",
        "updated_at": "2026-11-02T10:00:00+00:00", "flashes": [], "other_phones": [], "is_prospect": False,
        "contacts": [{"id": CONTACT, "name": "Lucía", "role": "", "phones": ["+573105551234"], "email": None,
                      "receives_notices": False}],
        "lines": [{"id": LINE, "number": "+573152223344", "status": "active", "tariff_plan": "Plan 30 GB",
                   "tariff_effective_on": "2026-01-01", "tariff_history": [], "service_type": "voice",
                   "network_standard": "4G", "iccid": None, "activated_on": None, "has_pin": False,
                   "status_changed_at": "2026-01-01T00:00:00+00:00"}],
        "latest_interactions": [], "version": 7}


def composed(card: dict, **parts) -> dict:
    """The card as the gateway composes it (GET /customer-cards/{id}): the lists taken out of the
    customer, then its further parts, each whole unless given here (an unavailable marker, say)."""
    lists = ("flashes", "lines", "contacts", "latest_interactions")
    body = {"id": card["id"], **{name: card.get(name, []) for name in lists},
            "customer": {key: value for key, value in card.items() if key not in lists},
            "open_cases": {"items": [], "total": 0, "page": 1, "per_page": 20},
            "financial_summary": {"currency": None}, "consents": {"items": []},
            "offers": {"items": [], "total": 0, "page": 1, "per_page": 5}} | parts
    body["unavailable_parts"] = [name for name, part in parts.items() if isinstance(part, dict) and part.get("unavailable")]
    return body


def saved(**overrides) -> dict:
    return {"id": INTERACTION, "number": 41, "customer_id": CUSTOMER, "status": "open", "customer_reached": True,
            "direction": "inbound", "channel": "phone", "line_id": None, "contact_point_id": None,
            "contact_person": "", "reason_id": None, "topic": "", "comments": "", "inputs": "", "pending_items": "",
            "solution": "", "protocol_applied": "", "dialled_number": "", "started_at": "2026-11-30T12:00:00+00:00",
            "ended_at": None, "dialogue_seconds": None, "card_opened_at": "2026-11-30T12:00:00+00:00",
            "card_open_seconds": 60, "duration_seconds": None, "agent_name": "Ana", "created_at":
            "2026-11-30T12:00:00+00:00", "closed_at": None, "version": 3, "reason": None, "macros": [],
            "articles": [], "followups": []} | overrides


class FakeCustomers:
    """The customers API as the panel uses it; ``answers`` maps (method, path) to what it says."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict | None, str | None]] = []
        self.answers: dict[tuple[str, str], Answer] = {}

    def call(self, api: Api, method: str, path: str, *, json=None, params=None, if_match=None,
             allow_signed_out=False) -> Answer:
        self.sent.append((method, path, json, if_match))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if method == "GET":
            return self._read(path)
        return Answer(500, {"detail": "unexpected"})

    def _read(self, path: str) -> Answer:
        if path == f"customers/{CUSTOMER}":
            return Answer(200, CARD, '"7"')
        if path == f"customer-cards/{CUSTOMER}":
            return Answer(200, composed(CARD))
        if path == "customers/interaction-reasons":
            return Answer(200, REASONS)
        if path == "customers/contact-points":
            return Answer(200, [{"id": str(uuid.uuid4()), "name": "Oficina Chapinero", "region": "Bogotá",
                                 "is_retired": False},
                                {"id": str(uuid.uuid4()), "name": "Cerrada", "region": "", "is_retired": True}])
        if path == f"customers/{CUSTOMER}/interaction-reasons/{LEAF}":
            return Answer(200, MATERIAL)
        if path.endswith("/dial") or "/dial/" in path:
            return Answer(200, {"provider": "sip", "number": "x", "action": "sip:+573152223344@pbx.example"})
        if path == f"customers/{CUSTOMER}/interactions/{INTERACTION}":
            return Answer(200, saved(), '"3"')
        if path == "notifications/unread":
            return Answer(200, {"unread": 0})
        return Answer(200, {"items": [], "total": 0, "page": 1, "per_page": 10})

    def posted(self, method: str, suffix: str) -> list[tuple]:
        return [sent for sent in self.sent if sent[0] == method and sent[1].endswith(suffix)]


@pytest.fixture
def customers(console, monkeypatch):
    sign_in(console, lang="es", tz="America/Bogota")
    fake = FakeCustomers()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(api, method, path, **kwargs), method, path))
    return fake


def post_panel(console, **fields):
    form = {"csrf_token": csrf_of(console, f"/customers/{CUSTOMER}"), "interaction_id": "", "etag": "",
            "i_customer_reached": "yes", "i_direction": "inbound", "i_channel": "phone", "i_line_id": "",
            "i_contact_point_id": "", "i_reason_id": "", "i_started_at": "2026-11-30T07:00", "i_ended_at": "",
            "i_dialogue": "", "i_card_opened_at": "2026-11-30T11:59:00+00:00", "i_contact_person": "",
            "i_topic": "", "i_comments": "", "i_inputs": "", "i_pending_items": "", "i_solution": "",
            "i_protocol_applied": "", "i_dialled_number": ""} | fields
    return console.post(f"/customers/{CUSTOMER}/interaction", data=form)


def test_only_leaves_of_the_tree_that_are_not_retired_are_offered():
    assert [reason["id"] for reason in interactions.offered_reasons(REASONS)] == [LEAF]


def test_the_card_offers_the_reason_leaves_the_open_points_of_contact_and_the_providers_dial_links(console, customers):
    page = console.get(f"/customers/{CUSTOMER}").get_data(as_text=True)
    reasons = re.search(r'<select id="f-i_reason_id".*?</select>', page, re.S).group(0)
    assert "Facturación › Doble cobro" in reasons and "Navidad" not in reasons and f'value="{ROOT}"' not in reasons
    points = re.search(r'<select id="f-i_contact_point_id".*?</select>', page, re.S).group(0)
    assert "Oficina Chapinero" in points and "Cerrada" not in points
    assert 'href="sip:+573152223344@pbx.example" class="dial"' in page
    assert "Nueva interacción" in page and "¿Se contactó al cliente?" in page


def test_choosing_a_reason_shows_its_script_macros_and_articles_and_saves_nothing(console, customers):
    page = post_panel(console, i_reason_id=LEAF, apply_reason="1").get_data(as_text=True)
    assert "Confirme la factura." in page and "Insertar «Reclamo registrado»" in page and "Cómo tramitar" in page
    assert not [sent for sent in customers.sent if sent[0] != "GET"]


def test_a_macro_adds_its_text_filled_in_for_the_customer_to_the_comment(console, customers):
    page = post_panel(console, i_reason_id=LEAF, i_comments="Llamó molesto.", macro=MACRO).get_data(as_text=True)
    comment = re.search(r'<textarea id="f-i_comments"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert comment == "Llamó molesto.\nReclamo de José Pérez"
    assert not [sent for sent in customers.sent if sent[0] != "GET"]


def test_saving_sends_the_form_in_the_users_time_zone_and_shows_the_saved_interaction(console, customers):
    customers.answers[("POST", f"customers/{CUSTOMER}/interactions")] = Answer(201, saved(), '"1"')
    answer = post_panel(console, save="1", i_reason_id=LEAF, i_topic="Doble cobro", i_dialogue="4:30")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/customers/{CUSTOMER}?interaction={INTERACTION}#interaction"
    (_method, _path, body, _etag), = customers.posted("POST", "/interactions")
    assert body["started_at"] == "2026-11-30T07:00:00-05:00" and body["dialogue_seconds"] == 270
    assert body["reason_id"] == LEAF and body["customer_reached"] is True and body["close"] is False


def test_a_customer_not_reached_leaves_only_the_attempt(console, customers):
    customers.answers[("POST", f"customers/{CUSTOMER}/interactions")] = Answer(
        201, saved(customer_reached=False, status="closed"), '"2"')
    answer = post_panel(console, save="1", i_customer_reached="no", i_direction="outbound",
                        i_dialled_number="+573152223344", i_comments="typed before the line went dead",
                        i_reason_id=LEAF)
    assert answer.status_code == 302
    (_method, _path, body, _etag), = customers.posted("POST", "/interactions")
    assert body["customer_reached"] is False
    assert set(body) - {"customer_reached", "close"} <= set(interactions.ATTEMPT_FIELDS)
    assert body["dialled_number"] == "+573152223344" and "comments" not in body and "reason_id" not in body
    assert not customers.posted("PATCH", "") and not [s for s in customers.sent if s[1] == f"customers/{CUSTOMER}"
                                                       and s[0] != "GET"], "the card itself is never written"


def test_closing_without_a_reason_is_refused_with_the_error_at_the_reason(console, customers):
    customers.answers[("POST", f"customers/{CUSTOMER}/interactions")] = Answer(422, {
        "type": "reason-required", "detail": "Choose a reason before closing the interaction",
        "errors": {"reason_id": ["Choose the reason of the interaction before closing it."]}})
    answer = post_panel(console, close="1", i_comments="Texto que se conserva")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'<p class="error" id="e-i_reason_id">Elija el motivo de la interacción antes de cerrarla.', page)
    assert 'aria-invalid="true" aria-describedby="e-i_reason_id"' in page
    assert "Texto que se conserva</textarea>" in page


def test_a_dialogue_length_that_is_not_minutes_and_seconds_is_refused_before_the_api(console, customers):
    answer = post_panel(console, save="1", i_dialogue="cuatro")
    assert answer.status_code == 422 and "Escriba minutos y segundos" in answer.get_data(as_text=True)
    assert not customers.posted("POST", "/interactions")


def test_saving_an_open_interaction_again_sends_its_version_and_someone_elses_save_is_told(console, customers):
    customers.answers[("PATCH", f"customers/{CUSTOMER}/interactions/{INTERACTION}")] = Answer(
        412, {"detail": "Interaction 41 changed since you read it; read it again."})
    answer = post_panel(console, save="1", interaction_id=INTERACTION, etag='"3"', i_comments="mi texto")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Otra persona acaba de modificar esta interacción" in page
    assert "mi texto</textarea>" in page
    (_method, _path, _body, if_match), = customers.posted("PATCH", INTERACTION)
    assert if_match == '"3"'


def test_new_closes_this_interaction_and_opens_the_next_for_another_contract(console, customers):
    other = str(uuid.uuid4())
    customers.answers[("PATCH", f"customers/{CUSTOMER}/interactions/{INTERACTION}")] = Answer(
        200, saved(reason_id=LEAF, version=4), '"4"')
    customers.answers[("GET", "customers/search")] = Answer(200, {"items": [{"id": other, "code": "C-1004"}]})
    opened = saved(id=str(uuid.uuid4()), number=42, customer_id=other)
    customers.answers[("POST", f"customers/{CUSTOMER}/interactions/{INTERACTION}/next")] = Answer(
        201, {"closed": saved(status="closed"), "opened": opened})
    answer = post_panel(console, new="1", interaction_id=INTERACTION, etag='"3"', i_reason_id=LEAF,
                        next_contract="c-1004")
    assert answer.status_code == 302 and answer.headers["Location"].startswith(f"/customers/{other}?interaction=")
    (_method, _path, body, if_match), = customers.posted("POST", "/next")
    assert if_match == '"4"' and body["customer_id"] == other


def test_an_unknown_contract_for_new_is_shown_at_its_field(console, customers):
    customers.answers[("GET", "customers/search")] = Answer(200, {"items": []})
    customers.answers[("PATCH", f"customers/{CUSTOMER}/interactions/{INTERACTION}")] = Answer(200, saved(), '"4"')
    page = post_panel(console, new="1", interaction_id=INTERACTION, etag='"3"', next_contract="C-9999")
    assert page.status_code == 422 and "Ningún cliente a su alcance tiene este código." in page.get_data(as_text=True)
    assert not customers.posted("POST", "/next")
