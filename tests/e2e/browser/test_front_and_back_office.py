"""Seed 004's and seed 000's flows in a real browser, each in two languages, with screenshots."""
from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.e2e


def _wait_for_unread_notice(person, timeout_ms: int = 30_000) -> None:
    waited = 0
    while True:
        person.go("/inbox")
        if person.page.locator("li.unread").count():
            assert person.page.locator("#unread-count").is_visible()
            return
        assert waited < timeout_ms, "no notice arrived in the inbox"
        person.page.wait_for_timeout(500)
        waited += 500


def _case_status(person) -> str:
    return person.page.locator("h1 + p.meta .status").first.get_attribute("class")


@pytest.mark.parametrize("language", ["es", "ru"])
def test_seed_004_sim_delivery_case_from_card_to_closed(agent, language):
    ana = agent(language).sign_in("ana.front")
    ana.page.fill("#global-q", "315 222 3344")  # the line, typed with spaces
    ana.page.press("#global-q", "Enter")
    ana.page.wait_for_url(re.compile(r"/customers/"))
    banner = ana.page.locator(".flash-banner")
    assert banner.is_visible() and "doble cobro" in banner.inner_text()
    ana.shot("004-card-flash-banner")
    banner.get_by_role("button").click()
    assert ana.page.locator(".flash-banner").count() == 0
    assert "doble cobro" in ana.page.locator("#flashes").inner_text()

    ana.page.locator("a.button.primary[href$='/cases/new']").click()
    # The type select submits on change once the page's script has run; a test is faster than a person.
    ana.page.wait_for_load_state("load")
    ana.page.select_option("#f-type", "sim-delivery")  # shows the type's form at once
    ana.page.wait_for_selector("#f-cf_address")
    ana.page.fill("#f-subject", "SIM")
    ana.page.select_option("#f-priority", "urgent")
    ana.page.select_option("#f-line", "+573152223344")
    ana.page.fill("#f-cf_delivery_date", "2026-12-10")
    ana.shot("004-case-form")
    ana.page.click("button[name=dispatch]")
    ana.page.wait_for_url(re.compile(r"/cases/[0-9a-f-]+$"))
    case_url = ana.page.url
    assert ana.page.locator(".field.invalid #f-cf_address").count() == 1, "the missing field is shown in red"
    assert ana.page.locator(".field.invalid #f-cf_delivery_date").count() == 0
    assert "status-open " in _case_status(ana) + " "
    ana.shot("004-dispatch-refused")
    ana.page.fill("#f-cf_address", "Calle 72 # 10-34, apto 502")
    ana.page.click("button[name=dispatch]")
    assert "status-open_dispatch" in _case_status(ana)
    number = re.search(r"\d+", ana.page.locator("h1").inner_text()).group(0)

    boris = agent(language).sign_in("boris.delivery")
    boris.go("/queues")
    boris.shot("004-queues")
    boris.page.locator("form[action$='/take-next'] button").first.click()
    assert boris.page.url == case_url and number in boris.page.locator("h1").inner_text()
    boris.page.locator("details:has(form[action$='/reject']) summary").click()
    boris.page.fill("#reject-reason", "Falta el barrio y el teléfono de quien recibe.")
    boris.page.locator("form[action$='/reject'] button[type=submit]").click()
    assert "status-open_reject" in _case_status(boris)

    _wait_for_unread_notice(ana)  # the return reaches the initiator's inbox through the events
    ana.shot("004-inbox-returned")
    ana.page.locator("form[action$='/read-all'] button").click()
    assert ana.page.locator("li.unread").count() == 0 and ana.page.locator("#unread-count").count() == 0

    ana.go("/folder?box=returned")
    ana.shot("004-folder-returned")
    ana.page.locator(f"a[href='{case_url.removeprefix(ana.base)}']").click()
    assert "barrio" in ana.page.locator("dd.reason").inner_text()
    ana.page.fill("#f-cf_address", "Calle 72 # 10-34, apto 502, barrio Quinta Camacho; recibe Lucía 3105551234")
    ana.page.click("button[name=dispatch]")
    assert "status-open_dispatch" in _case_status(ana)

    boris.go("/queues")
    boris.page.locator("form[action$='/take-next'] button").first.click()
    assert boris.page.url == case_url
    boris.page.locator("form[action$='/accept'] button").click()
    boris.page.locator("details:has(form[action$='/close']) summary").click()
    boris.page.fill("#close-resolution", "SIM entregada y activada.")
    boris.page.locator("form[action$='/close'] button[type=submit]").click()
    assert "status-closed" in _case_status(boris)
    timeline = boris.page.locator("ol.timeline li")
    assert timeline.count() >= 8
    boris.shot("004-case-closed")


@pytest.mark.parametrize("language,mobile", [("en", "311 444 5566"), ("vi", "311 444 5577")])
def test_seed_000_master_data_by_tax_number_with_a_refused_phone_and_the_weeks_history(agent, language, mobile):
    ana = agent(language).sign_in("ana.front")
    ana.page.fill("#global-q", "79845123")
    ana.page.press("#global-q", "Enter")
    ana.page.wait_for_url(re.compile(r"/customers/"))
    card_url = ana.page.url
    if ana.page.locator(".flash-banner").count():
        ana.page.locator(".flash-banner button").click()

    ana.page.fill("#f-phone2", "310 555 12A4")
    ana.page.locator("#master button[type=submit]").click()
    refused = ana.page.locator(".field.invalid:has(#f-phone2) .error")
    assert refused.is_visible(), "the phone's error is shown at the field"
    assert ana.page.input_value("#f-phone2") == "310 555 12A4"
    ana.shot("000-phone-refused")
    ana.page.fill("#f-phone2", mobile)
    ana.page.locator("#master button[type=submit]").click()
    assert "notice success" in ana.page.locator("p.notice").first.get_attribute("class")

    ana.page.fill("#phones #f-label", "Oficina")
    ana.page.fill("#phones #f-number", "601 2223344")
    ana.page.locator("#phones button[type=submit]").last.click()
    assert "+576012223344" in ana.page.locator("#phones").inner_text()

    ana.page.locator("#notes summary").click()  # seed 001's note, written from the card
    ana.page.fill("#notes #f-text", f"Actualizó teléfonos ({language})")
    ana.page.fill("#notes #f-next_treatment", "Llamar el lunes")
    ana.page.locator("#notes button[type=submit]").last.click()
    assert f"Actualizó teléfonos ({language})" in ana.page.locator("#notes").inner_text()

    colleague = ana.context.new_page()  # the same card open twice: the second save is told kindly
    colleague.goto(card_url)
    ana.page.reload()
    mark = uuid.uuid4().hex[:4]
    address, region = f"Carrera 7 # 80-12 ({mark})", f"Cundinamarca ({mark})"
    colleague.fill("#f-address", address)
    colleague.locator("#master button[type=submit]").click()
    ana.page.fill("#f-region", region)
    ana.page.locator("#master button[type=submit]").click()
    assert ana.page.locator("#master .notice.error").is_visible()
    assert ana.page.input_value("#f-region") == region, "the user's typing is kept"
    assert ana.page.input_value("#f-address") == address
    ana.shot("000-saved-by-someone-else")
    colleague.close()

    ana.page.select_option("#history-period", "week")
    ana.page.locator("#history button[type=submit]").click()
    history = ana.page.locator("#history table").inner_text()
    assert mobile.replace(" ", "") in history.replace(" ", ""), "the new phone 2 is in this week's changes"
    ana.shot("000-history-week")
