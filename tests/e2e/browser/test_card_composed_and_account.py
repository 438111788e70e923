"""In a real browser, each in two languages with screenshots and axe-core: the card as the gateway
composes it (opened at once by the telephony link, with the satisfaction and open cases parts, and
the consents' history after a consent is withdrawn); seed 002's follow-up with people found by a
name typed without accents; and the language and time zone chosen under My account following the
user to another browser."""
from __future__ import annotations

import os
import re

import pytest

from tests.e2e.browser.test_interactions import serious_violations
from tests.e2e.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

ADMIN = os.environ.get("CAREDESK_TEST_ADMIN_PASSWORD", ADMIN_PASSWORD)


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_telephony_link_opens_the_composed_card_with_satisfaction_and_the_consents_history(agent, language):
    ana = agent(language).sign_in("ana.front")
    ana.go("/call?number=315%20222%203344")  # the line typed with spaces, as a softphone may pass it
    assert "/call" in ana.page.url, "the card is shown at once, without a further redirect"
    if ana.page.locator(".flash-banner").count():
        ana.page.locator(".flash-banner button").click()
    assert ana.page.locator("h1").inner_text() == "José Pérez Gómez"
    assert ana.page.locator("#unavailable-parts").count() == 0, "every service answered: nothing marked missing"
    assert ana.page.locator("#satisfaction").count() == 1 and ana.page.locator("#cases").count() == 1
    assert ana.page.locator("#finance dd.owes").count() == 1, "the financial summary part of the composed card"

    consents = ana.page.locator("#consents")
    consents.locator("details > summary").click()
    consents.locator("#f-consent-kind").select_option("marketing")
    consents.locator("input[name=granted][value=no]").check()
    consents.locator("#f-consent-channel").select_option("phone")
    consents.locator("#f-consent-note").fill(f"Pidió no recibir ofertas ({language})")
    consents.locator("button[type=submit]").click()
    assert "success" in ana.page.locator("p.notice").first.get_attribute("class")
    ana.page.locator("#consents a[href*='consents=history']").click()
    ana.page.wait_for_url(re.compile(r"consents=history"))
    history = ana.page.locator("table.consent-history tbody tr")
    assert history.count() >= 1
    newest = history.first.inner_text()
    assert f"Pidió no recibir ofertas ({language})" in newest and "Ana Restrepo" in newest
    assert ana.page.locator("table.consent-history tbody tr").first.locator(".tag.danger").count() == 1
    ana.page.locator("#consent-history").scroll_into_view_if_needed()
    ana.shot("card-consent-history")
    assert not serious_violations(ana)


@pytest.mark.parametrize("language", ["vi", "es"])
def test_seed_002_people_are_found_by_a_name_typed_without_accents(agent, language):
    admin = agent(language).sign_in("admin", ADMIN)
    admin.go("/search?q=C-1003")
    admin.page.wait_for_url(re.compile(r"/customers/"))
    if admin.page.locator(".flash-banner").count():
        admin.page.locator(".flash-banner button").click()
    admin.page.fill("#f-i_contact_person", "Jorge")
    admin.page.fill("#f-i_comments", "Sesión de seguimiento")
    admin.page.locator("#interaction-form button[name=save]").click()
    admin.page.wait_for_url(re.compile(r"interaction="))

    followups = admin.page.locator("#followups")
    followups.locator(":scope > details > summary").click()
    followups.locator("#f-subject").fill(f"Revisión de facturas {language}")
    followups.locator("#f-date").fill("2026-12-16")
    followups.locator("#f-time").fill("09:15")
    followups.locator("#f-people_q").fill("sofia vargas")
    followups.locator("#f-people_q").press("Enter")  # Enter in the finder looks people up, schedules nothing
    followups = admin.page.locator("#followups")
    assert followups.locator("#f-subject").input_value() == f"Revisión de facturas {language}", "nothing typed is lost"
    assert [o.strip() for o in followups.locator("#f-copy_ids option").all_inner_texts()] == ["Sofía Vargas"]
    followups.locator("#f-copy_ids").select_option(label="Sofía Vargas")
    followups.locator("#f-people_q").fill("tran thi")
    followups.locator("button[name=find_people]").click()
    followups = admin.page.locator("#followups")
    assert "Trần Thị Linh" in followups.locator("#f-participant_ids").inner_text()
    assert followups.locator("#f-copy_ids").input_value(), "Sofía stays chosen in copy"
    followups.locator("#f-participant_ids").select_option(label="Trần Thị Linh")
    admin.shot("002-people-found")
    assert not serious_violations(admin)
    followups.locator("form.grid-form > .actions button[type=submit]").click()

    assert "success" in admin.page.locator("p.notice").first.get_attribute("class")
    scheduled = admin.page.locator("#followups li", has_text=f"Revisión de facturas {language}").inner_text()
    assert "Trần Thị Linh" in scheduled and "Sofía Vargas" in scheduled
    admin.shot("002-people-scheduled")


@pytest.mark.parametrize(("language", "username"), [("ru", "boris.delivery"), ("vi", "linh.billing")])
def test_language_and_time_zone_chosen_under_my_account_follow_the_user_to_another_browser(agent, language,
                                                                                          username):
    first = agent("en").sign_in(username)
    first.go("/account")
    first.page.select_option("#f-language", language)
    first.page.select_option("#f-time_zone", "Asia/Ho_Chi_Minh")
    first.page.locator("#preferences button[type=submit]").click()
    assert first.page.locator("html").get_attribute("lang") == language

    other = agent("en")  # another browser: English, in Bogotá, no cookie of the first one
    other.sign_in(username)  # the sign-in page offered English and it was left as it was
    assert other.page.locator("html").get_attribute("lang") == language, "the language kept on the user"
    other.go("/account")
    assert other.page.locator("#f-time_zone").input_value() == "Asia/Ho_Chi_Minh", "the zone kept on the user"
    other.go("/inbox")
    other.shot("account-followed-inbox")
    assert not serious_violations(other)

    # Back to the demo's zone, so later tests see the user's dates as before.
    other.go("/account")
    other.page.select_option("#f-time_zone", "America/Bogota")
    other.page.locator("#preferences button[type=submit]").click()
    assert other.page.locator("#f-time_zone").input_value() == "America/Bogota"
