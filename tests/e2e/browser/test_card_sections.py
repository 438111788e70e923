"""The customer card's further sections in a real browser, each in two languages with screenshots:
the financial summary (seed 004's "Fin. info"), a file attached and downloaded back, a consent
withdrawn, an offer recorded and its outcome learnt, and seed 002's follow-up scheduled from an
interaction with a colleague taking part and the supervisor in copy."""
from __future__ import annotations

import os
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.test_interactions import open_card, serious_violations
from tests.e2e.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

# A system started by the tests has the e2e administrator; one already running (CAREDESK_TEST_CONSOLE_URL)
# may have another password.
ADMIN = os.environ.get("CAREDESK_TEST_ADMIN_PASSWORD", ADMIN_PASSWORD)


def _section_ok(person, section: str) -> None:
    notice = person.page.locator("p.notice").first
    assert "success" in (notice.get_attribute("class") or ""), notice.inner_text()
    assert person.page.url.endswith("#" + section)


@pytest.mark.parametrize("language", ["es", "vi"])
def test_card_shows_money_and_keeps_files_consents_and_offers(agent, language):
    ana = agent(language).sign_in("ana.front")
    card_url = open_card(ana, "C-1001")

    finance = ana.page.locator("#finance")
    assert finance.locator("dd.owes").count() == 1, "the demo customer owes two invoices"
    assert finance.locator("tr.overdue").count() == 1, "one of them is past its due date"
    assert "FV-70950" in finance.locator("tr.overdue").inner_text()
    assert "89" in finance.locator("dl").inner_text() and "900" in finance.locator("dl").inner_text()
    finance.screenshot(path=str(ana.shots / f"{language}-card-finance.png"))

    # A file on the customer account, then downloaded back byte for byte.
    content = f"Contrato firmado {uuid.uuid4()}\n".encode()
    attachments = ana.page.locator("#attachments")
    attachments.locator("summary").click()
    attachments.locator("#f-att-file").set_input_files(
        {"name": "contrato.txt", "mimeType": "text/plain", "buffer": content})
    attachments.locator("#f-att-type").select_option("5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0005")
    attachments.locator("#f-att-description").fill("Contrato firmado en oficina")
    attachments.locator("button[type=submit]").click()
    _section_ok(ana, "attachments")
    link = ana.page.locator("#attachments table a", has_text="contrato.txt").first
    with ana.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "contrato.txt"
    assert open(download.value.path(), "rb").read() == content

    # A file too big or of no type is refused at the field: here, no file at all.
    ana.page.locator("#attachments summary").click()
    ana.page.locator("#attachments button[type=submit]").click()
    assert ana.page.locator("#attachments .field.invalid #f-att-file").count() == 1
    ana.shot("card-attachment-refused")
    ana.page.goto(card_url)

    # The customer withdraws the payment reminders by phone.
    consents = ana.page.locator("#consents")
    consents.locator("summary").click()
    consents.locator("#f-consent-kind").select_option("payment_reminders")
    consents.locator("input[name=granted][value=no]").check()
    consents.locator("#f-consent-channel").select_option("phone")
    consents.locator("#f-consent-note").fill("Llamó para pedirlo")
    consents.locator("button[type=submit]").click()
    _section_ok(ana, "consents")
    rows = ana.page.locator("#consents tbody tr")
    recorded = [rows.nth(i) for i in range(rows.count()) if rows.nth(i).locator("td .meta").count() == 0]
    assert any(row.locator(".tag.danger").count() for row in recorded), "withdrawn by a record, not the default"

    # An offer: refused without a campaign (shown at the field), then recorded and its outcome learnt.
    offers = ana.page.locator("#offers")
    offers.locator("summary").click()
    offers.locator("#f-product").fill("Plan 20 GB")
    offers.locator("form.grid-form button[type=submit]").click()
    assert ana.page.locator("#offers .field.invalid #f-campaign").count() == 1
    assert ana.page.locator("#f-product").input_value() == "Plan 20 GB", "what was typed is kept"
    campaign = f"Navidad {uuid.uuid4().hex[:6]}"
    ana.page.fill("#f-campaign", campaign)
    ana.page.select_option("#f-offer-channel", "whatsapp")
    ana.page.locator("#offers form.grid-form button[type=submit]").click()
    _section_ok(ana, "offers")
    offer = ana.page.locator("#offers li", has_text=campaign)
    offer.locator("select").select_option("accepted")
    offer.locator("button[type=submit]").click()
    _section_ok(ana, "offers")
    assert ana.page.locator("#offers li", has_text=campaign).locator("select").input_value() == "accepted"
    ana.page.locator("#consents summary").click()
    ana.shot("card-sections")
    assert not serious_violations(ana)


@pytest.mark.parametrize("language", ["es", "ru"])
def test_seed_002_follow_up_with_a_colleague_and_the_supervisor_in_copy(agent, language):
    admin = agent(language).sign_in("admin", ADMIN)
    open_card(admin, "C-1003")
    admin.page.fill("#f-i_contact_person", "Jorge")
    admin.page.fill("#f-i_comments", "Agendamos capacitación de facturación")
    admin.page.locator("#interaction-form button[name=save]").click()
    admin.page.wait_for_url(re.compile(r"interaction="))

    followups = admin.page.locator("#followups")
    followups.locator(":scope > details > summary").click()
    followups.locator("#f-date").fill("2026-12-15")
    followups.locator("#f-time").fill("10:30")
    followups.locator("#f-subject").fill("Capacitación de facturación")
    followups.locator("#f-participant_ids").select_option(label="Ana Restrepo")
    followups.locator("#f-copy_ids").select_option(label="Sofía Vargas")
    assert followups.locator("#f-time_zone").input_value() == "America/Bogota", "the user's own zone"
    admin.shot("002-followup-form")
    assert not serious_violations(admin)
    followups.locator(":scope > details .actions button[type=submit]").click()

    notice = admin.page.locator("p.notice").first
    assert "success" in notice.get_attribute("class")
    assert "10:30" in notice.inner_text() or "10:30" in admin.page.locator("#followups li").first.inner_text()
    scheduled = admin.page.locator("#followups li").first.inner_text()
    assert "Capacitación de facturación" in scheduled and "Ana Restrepo" in scheduled and "Sofía Vargas" in scheduled
    admin.shot("002-followup-scheduled")

    # Moved half an hour later, then called off: it stays listed as cancelled.
    scheduled = admin.page.locator("#followups li").first
    scheduled.locator("summary").click()
    assert scheduled.locator("input[type=time]").input_value() == "10:30", "shown in the follow-up's own zone"
    scheduled.locator("input[type=time]").fill("11:00")
    scheduled.locator("button[name=move]").click()
    # The form posts and the card comes back: wait for the new page's content, not the old one's.
    expect(admin.page.locator("#followups li").first).to_contain_text("11:00")
    assert "success" in admin.page.locator("p.notice").first.get_attribute("class")
    admin.page.locator("#followups li").first.locator("summary").click()
    admin.page.locator("#followups li").first.locator("button[name=cancel]").click()
    expect(admin.page.locator("#followups li").first.locator(".tag.danger")).to_have_count(1)
    admin.shot("002-followup-cancelled")

    # A follow-up without a day or a subject is refused at those fields, and nothing is scheduled.
    admin.page.locator("#followups > details > summary").click()
    admin.page.locator("#followups > details .actions button[type=submit]").click()
    assert admin.page.locator("#followups .field.invalid #f-date").count() == 1
    assert admin.page.locator("#followups .field.invalid #f-subject").count() == 1
    assert admin.page.locator("#followups li").count() == 1
