"""The card's interaction panel in a real browser, each flow in two languages with screenshots: seed
003's call that did not reach the customer (only the attempt is kept, nothing of the card changes)
and seed 004's interaction written with a macro, seen at once by a colleague, closed with a reason."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.e2e

CARD_PARTS = ("#master", "#phones", "#contacts", "#lines", "#flashes", "#notes")


def open_card(person, query: str) -> str:
    person.page.fill("#global-q", query)
    person.page.press("#global-q", "Enter")
    person.page.wait_for_url(re.compile(r"/customers/"))
    if person.page.locator(".flash-banner").count():
        person.page.locator(".flash-banner button").click()
    return person.page.url.split("?")[0].split("#")[0]


def serious_violations(person) -> list:
    """axe-core's serious and critical findings on the page as it is now."""
    violations = Axe().run(person.page).response["violations"]
    return [(v["id"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]


def card_text(person) -> dict:
    return {part: person.page.locator(part).inner_text() for part in CARD_PARTS}


@pytest.mark.parametrize("language", ["es", "vi"])
def test_seed_003_a_call_that_did_not_reach_the_customer_keeps_only_the_attempt(agent, language):
    ana = agent(language).sign_in("ana.front")
    card_url = open_card(ana, "C-1003")
    before = card_text(ana)
    line = ana.page.locator("#lines h3 a.dial").first
    number = line.inner_text()
    assert line.get_attribute("href").startswith("tel:"), "the click-to-call link is the provider's action"

    ana.page.check("input[name=i_customer_reached][value=no]")
    assert not ana.page.locator("#f-i_comments").is_visible(), "only the attempt's fields stay"
    assert not ana.page.locator("#f-i_reason_id").is_visible()
    ana.page.select_option("#f-i_direction", "outbound")
    ana.page.select_option("#f-i_channel", "phone")
    ana.page.fill("#f-i_dialled_number", number)
    ana.shot("003-attempt-form")
    assert not serious_violations(ana)
    ana.page.locator("#interaction-form button[name=save]").click()

    assert "success" in ana.page.locator("p.notice").first.get_attribute("class")
    panel = ana.page.locator("#interaction")
    assert "status-closed" in panel.locator("h2 .status").get_attribute("class")
    kept = panel.locator("dl.facts").inner_text()
    assert number in kept
    assert ana.page.locator("#interactions li").first.locator("strong").first.is_visible()
    assert number in ana.page.locator("#interactions li").first.inner_text()
    ana.shot("003-attempt-kept")
    assert not serious_violations(ana)

    ana.go(card_url.removeprefix(ana.base))
    assert card_text(ana) == before, "nothing of the card changes when the customer was not reached"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_seed_004_an_interaction_written_with_a_macro_is_seen_by_a_colleague_and_closed_with_a_reason(agent, language):
    ana = agent(language).sign_in("ana.front")
    card_url = open_card(ana, "315 222 3344")
    ana.page.select_option("#f-i_contact_point_id", label="Oficina Chapinero (Bogotá D.C.)")
    ana.page.fill("#f-i_contact_person", "José Pérez Gómez")
    ana.page.fill("#f-i_comments", f"Llamada sobre la factura ({language}).")

    ana.page.locator("#interaction-form button[name=close]").click()  # no reason yet: refused at the field
    refused = ana.page.locator(".field.invalid:has(#f-i_reason_id) .error")
    assert refused.is_visible()
    assert ana.page.input_value("#f-i_comments") == f"Llamada sobre la factura ({language})."
    ana.shot("004-close-refused-without-reason")
    assert not serious_violations(ana), "the refused form with its error at the field"

    ana.page.select_option("#f-i_reason_id", label="Facturación › Doble cobro")
    ana.page.locator("button[name=apply_reason]").click()
    guidance = ana.page.locator(".guidance")
    assert "Confirme el número de factura" in guidance.inner_text()
    assert "Cómo tramitar un doble cobro" in guidance.inner_text()
    guidance.locator("button[name=macro]").first.click()
    comment = ana.page.input_value("#f-i_comments")
    assert comment.startswith(f"Llamada sobre la factura ({language}).\n")
    assert "José Pérez Gómez (C-1001)" in comment and "Ana Restrepo" in comment, "the macro is filled in"
    ana.page.fill("#f-i_topic", f"Doble cobro ({language})")
    ana.page.fill("#f-i_dialogue", "4:30")
    ana.shot("004-interaction-with-macro")
    ana.page.locator("#interaction-form button[name=save]").click()
    assert "success" in ana.page.locator("p.notice").first.get_attribute("class")
    assert ana.page.input_value("#f-i_comments") == comment
    assert ana.page.input_value("#f-i_dialogue") == "4:30"

    sofia = agent(language).sign_in("sofia.supervisor")  # saved, so a colleague sees it at once
    sofia.go(card_url.removeprefix(sofia.base))
    if sofia.page.locator(".flash-banner").count():
        sofia.page.locator(".flash-banner button").click()
    latest = sofia.page.locator("#interactions li").first
    assert f"Doble cobro ({language})" in latest.inner_text()
    assert "status-open" in latest.locator(".status").get_attribute("class")
    sofia.shot("004-colleague-sees-the-open-interaction")

    ana.page.locator("#interaction-form button[name=close]").click()
    assert "success" in ana.page.locator("p.notice").first.get_attribute("class")
    facts = ana.page.locator("#interaction dl.facts").inner_text()
    assert "Facturación › Doble cobro" in facts and "Oficina Chapinero" in facts and "José Pérez Gómez" in facts
    ana.shot("004-interaction-closed")
    assert not serious_violations(ana)
