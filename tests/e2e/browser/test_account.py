"""My account in a real browser, in two languages with screenshots: language and time zone chosen
(the page answers in the new language, dates in the new zone), the outgoing mail account refused at
its field then saved and tested through the local mail catcher, the calendar feed made, read, copied
and given a new address (the old one stops)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.browser.test_interactions import serious_violations

pytestmark = pytest.mark.e2e

SMTP_OFFSET = 10  # the local mail catcher listens next to the gateway (caredesk.supervisor)


@pytest.mark.parametrize(("language", "username"), [("es", "ana.front"), ("vi", "linh.billing")])
def test_my_account_language_zone_mailbox_and_calendar_feed(agent, console_url, language, username):
    person = agent(language).sign_in(username)
    person.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=person.base)
    person.page.locator("header .who a.name").click()
    person.page.wait_for_url("**/account")
    assert person.page.locator("#f-time_zone").input_value() == "America/Bogota", "the browser's zone at sign-in"
    person.shot("account")
    assert not serious_violations(person)

    # English and Ho Chi Minh City for a moment: the page answers in English, then back.
    person.page.select_option("#f-language", "en")
    person.page.select_option("#f-time_zone", "Asia/Ho_Chi_Minh")
    person.page.locator("#preferences button[type=submit]").click()
    assert person.page.locator("html").get_attribute("lang") == "en"
    assert person.notice() == "Your preferences are saved."
    assert person.page.locator("#f-time_zone").input_value() == "Asia/Ho_Chi_Minh"
    person.page.select_option("#f-language", language)
    person.page.select_option("#f-time_zone", "America/Bogota")
    person.page.locator("#preferences button[type=submit]").click()
    assert person.page.locator("html").get_attribute("lang") == language
    assert person.page.locator("#f-email").is_checked()

    # The mail account: a sender that is no address is refused at its field, nothing else lost.
    smtp_port = urlsplit(console_url).port + SMTP_OFFSET
    person.page.fill("#f-host", "127.0.0.1")
    person.page.fill("#f-port", str(smtp_port))
    person.page.select_option("#f-security", "none")
    person.page.fill("#f-sender", "not an address")
    person.page.locator("#mailbox form.grid-form button[type=submit]").click()
    assert person.page.locator("#mailbox .field.invalid #f-sender").count() == 1
    assert person.page.locator("#f-port").input_value() == str(smtp_port)
    person.shot("account-mailbox-refused")
    person.page.fill("#f-sender", f"{username}@caredesk.example")
    person.page.fill("#f-sender_name", "Caredesk")
    person.page.locator("#mailbox form.grid-form button[type=submit]").click()
    assert "success" in person.page.locator("p.notice").first.get_attribute("class")
    person.page.locator("#send-test").click()
    notice = person.page.locator("p.notice").first
    assert "success" in notice.get_attribute("class"), notice.inner_text()
    assert f"{username}@caredesk.example" in notice.inner_text()
    assert person.page.locator("#mailbox .tag.ok").count() == 1
    person.shot("account-mailbox-tested")

    # The calendar feed: made, readable by a calendar application without signing in, copied, renewed.
    if person.page.locator("#feed-url").count() == 0:
        person.page.locator("#feed button.primary").click()
    url = person.page.locator("#feed-url").input_value()
    calendar = person.context.request.get(url)
    assert calendar.ok and "BEGIN:VCALENDAR" in calendar.text()
    person.page.locator("button[data-copy]").click()
    assert person.page.evaluate("navigator.clipboard.readText()") == url
    person.shot("account-feed")
    person.page.locator("#feed button[name=regenerate]").click()
    renewed = person.page.locator("#feed-url").input_value()
    assert renewed != url
    assert person.context.request.get(url).status == 404, "the old address stops at once"
    assert person.context.request.get(renewed).ok
    assert not serious_violations(person)
