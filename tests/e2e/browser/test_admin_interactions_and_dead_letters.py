"""Issue 14, the rest of administration in a real browser: an administrator builds a reason under
another one, gives it a script, a macro (a wrong placeholder refused at the text first) and a
knowledge article with a second version found without its accents, adds a flow/point of contact,
sets a user's language, and reads and replays dead letters (one after its confirmation, then the
rest of the queue); in Spanish and English, with screenshots, and axe-core finding no serious or
critical violation on any of these pages."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from services.kit.messaging.consumer import ATTEMPTS_HEADER
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, dead_letter_exchange, queue_name
from services.kit.settings import load_settings
from tests.e2e.browser.pages import AxeFigures, submit
from tests.e2e.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

BUSY_MACHINE_MS = 60_000
WORDS = {
    "es": {"parent": "Facturación", "reason": "Doble cobro", "script": "Pida el número de factura y la fecha del cobro.",
           "macro": "Reenvío de factura", "bad_macro": "Se informó a {cliente} el {today}.",
           "good_macro": "Se informó a {customer_name} el {today} que la factura se reenvía.",
           "title": "Cómo tramitar un doble cobro", "body": "1. Pida el número de factura.\n2. Verifique el cargo doble.",
           "body_2": "1. Pida el número de factura.\n2. Verifique el cargo doble.\n3. Cree un caso de reclamo de facturación.",
           "search": "TRAMITAR cobro", "point": "Oficina Maiakovskaia", "region": "Moscú"},
    "en": {"parent": "Billing", "reason": "Double charge", "script": "Ask for the invoice number and the date charged.",
           "macro": "Invoice resent", "bad_macro": "Told {client} on {today}.",
           "good_macro": "Told {customer_name} on {today} that the invoice is sent again.",
           "title": "Handling a double charge", "body": "1. Ask for the invoice number.\n2. Check the double charge.",
           "body_2": "1. Ask for the invoice number.\n2. Check the double charge.\n3. Open a billing claim case.",
           "search": "HANDLING charge", "point": "Mayakovskaya office", "region": "Moscow"},
}


def _dead_letter(data_dir, code: str) -> str:
    """A customer.created event in cases.replicate_customer.dead, as the consumer leaves one after
    its last try; replayed, the cases service applies it."""
    settings = load_settings("cases", data_dir=data_dir, exchange="caredesk.events")
    queue = queue_name(settings, "replicate_customer")
    envelope = Envelope(type="customer.created", version=1, producer="customers", correlation_id=str(uuid.uuid4()),
                        data={"id": str(uuid.uuid4()), "version": 1, "code": code, "name": "Дмитрий Иванов",
                              "branch_id": None, "department_id": None, "salesperson_id": None, "created_by": None,
                              "region": "Moscú", "lines": []})
    message = OutgoingMessage(routing_key=queue, body=envelope.to_dict(), message_id=str(envelope.id), headers={
        ATTEMPTS_HEADER: 5, "x-caredesk-failed-queue": queue, "x-caredesk-original-routing-key": "customer.created.v1",
        "x-caredesk-dead-at": datetime.now(timezone.utc).isoformat(),
        "x-caredesk-reason": "OperationalError: database is locked\nTraceback (most recent call last): …"})
    with connect(settings) as connection:
        BatchPublisher(connection, dead_letter_exchange(settings)).publish([message])
    return str(envelope.id)


@pytest.mark.parametrize("language", ["es", "en"])
def test_an_administrator_builds_a_reason_with_macro_script_and_article_a_flow_and_replays_dead_letters(
        agent, console_system, language):
    _url, data_dir = console_system
    if data_dir is None:
        pytest.skip("set CAREDESK_DATA_DIR to the running system's folder to put dead letters in its broker")
    words, suffix = WORDS[language], f"{language}-{uuid.uuid4().hex[:6]}"  # names unique on a system kept running
    title = f"{words['title']} {suffix}"  # the demo data has an article of the same title
    figures = AxeFigures("admin")
    admin = agent(language).sign_in("admin", ADMIN_PASSWORD)
    admin.context.set_default_timeout(BUSY_MACHINE_MS)
    page = admin.page

    # The reason tree: a parent, then the reason under it.
    admin.go("/admin/reasons")
    figures.check(admin, "reasons")
    page.fill("#f-name", f"{words['parent']} {suffix}")
    submit(admin, "#new-reason form")
    page.wait_for_url(re.compile(r"/admin/reasons/[0-9a-f-]{36}$"))
    admin.go("/admin/reasons")
    page.fill("#f-name", f"{words['reason']} {suffix}")
    page.select_option("#f-parent_id", label=f"{words['parent']} {suffix}")
    page.fill("#f-script", words["script"])
    submit(admin, "#new-reason form")
    page.wait_for_url(re.compile(r"/admin/reasons/[0-9a-f-]{36}$"))
    reason_url = page.url
    expect(page.locator("h1 + p.meta")).to_contain_text(f"{words['parent']} {suffix} › {words['reason']} {suffix}")
    expect(page.locator("#r-script")).to_have_value(words["script"])

    # A macro with a placeholder that does not exist is refused at its text; then the right one.
    page.fill("#nm-name", words["macro"])
    page.fill("#nm-body", words["bad_macro"])
    submit(admin, "#new-macro")
    expect(page.locator("#nm-body[aria-invalid=true]")).to_have_count(1)
    expect(page.locator("#nm-body")).to_have_value(words["bad_macro"])
    figures.check(admin, "reason-macro-refused")
    page.fill("#nm-body", words["good_macro"])
    submit(admin, "#new-macro")
    expect(page.locator("#macros details summary")).to_contain_text(words["macro"])
    page.fill("#r-script", words["script"] + " ✓")
    submit(admin, "#reason form")
    expect(page.locator("#r-script")).to_have_value(words["script"] + " ✓")

    # A knowledge article of the reason, then its second version; the first stays readable.
    page.fill("#na-title", title)
    page.fill("#na-body", words["body"])
    submit(admin, "#new-article")
    page.wait_for_url(re.compile(r"/admin/articles/[0-9a-f-]{36}$"))
    article_url = page.url
    page.fill("#f-body", words["body_2"])
    submit(admin, "#article-form form")
    expect(page.locator("#versions ol li")).to_have_count(2)
    expect(page.locator("#versions .article-body")).to_have_text(words["body_2"])
    figures.check(admin, "article")
    page.locator("#versions ol a").first.click()
    expect(page.locator("#versions .article-body")).to_have_text(words["body"])
    admin.go(reason_url.removeprefix(admin.base))
    expect(page.locator("#articles li a")).to_have_text([title])
    figures.check(admin, "reason")
    admin.go(f"/admin/reasons?q={words['search']}+{suffix}#articles".replace(" ", "+"))
    expect(page.locator("#articles tbody th a")).to_have_text([title])  # capitals and accents ignored
    figures.check(admin, "reasons-search")
    assert article_url.endswith(page.locator("#articles tbody th a").get_attribute("href"))

    # A flow / point of contact, then its region changed.
    admin.go("/admin/contact-points")
    page.fill("#np-name", f"{words['point']} {suffix}")
    submit(admin, "#new-point form")
    row = page.locator("#points form", has=page.locator(f"input[value='{words['point']} {suffix}']"))
    expect(row).to_have_count(1)
    row.locator("input[name=region]").fill(words["region"])
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator("#points form", has=page.locator(f"input[value='{words['region']}']"))).not_to_have_count(0)
    figures.check(admin, "contact-points")

    # A user's language, set by the administrator.
    admin.go("/admin/users")
    page.locator("table a", has_text="Boris Sokolov").click()
    page.wait_for_url(re.compile(r"/admin/users/[0-9a-f-]{36}$"))
    page.select_option("#f-language", "ru")
    submit(admin, "section[aria-labelledby=user-title] form")
    expect(page.locator("#f-language")).to_have_value("ru")
    figures.check(admin, "user-language")

    # Dead letters: the overview counts them, one is read whole and replayed after the confirmation,
    # then the rest of the queue.
    first, second = _dead_letter(data_dir, f"DL-1-{suffix}"), _dead_letter(data_dir, f"DL-2-{suffix}")
    admin.go("/admin/dead-letters")
    link = page.locator("#cases a", has_text="replicate_customer")
    expect(link).to_have_count(1)
    figures.check(admin, "dead-letters")
    link.click()
    page.wait_for_url(re.compile(r"/admin/dead-letters/cases/replicate_customer$"))
    expect(page.locator(f"a[href$='{first}']")).to_have_count(1)
    figures.check(admin, "dead-letter-queue")
    page.locator(f"a[href$='{first}']").click()
    page.wait_for_url(re.compile(f"/{first}$"))
    expect(page.locator("#event pre")).to_contain_text(f'"code": "DL-1-{suffix}"')
    expect(page.locator("#reason pre")).to_contain_text("database is locked")
    expect(page.locator("#headers")).to_contain_text("x-caredesk-original-routing-key")
    figures.check(admin, "dead-letter")
    submit(admin, "#replay form")
    expect(page.locator("#confirm-one")).to_be_visible()
    figures.check(admin, "dead-letter-confirm")
    submit(admin, "#confirm-one form")
    page.wait_for_url(re.compile(r"/admin/dead-letters/cases/replicate_customer$"))
    expect(page.locator("p.notice.success")).to_contain_text("cases.replicate_customer")
    expect(page.locator(f"a[href$='{first}']")).to_have_count(0)
    expect(page.locator(f"a[href$='{second}']")).to_have_count(1)
    figures.check(admin, "dead-letter-replayed")
    submit(admin, "#replay-all form")
    expect(page.locator("#confirm-all")).to_be_visible()
    submit(admin, "#confirm-all form")
    expect(page.locator("p.notice.success")).to_be_visible()
    expect(page.locator(f"a[href$='{second}']")).to_have_count(0)
    figures.check(admin, "dead-letters-all-replayed")

    print(f"axe serious/critical violations on the new administration pages ({language}): {figures.pages}")
    assert not any(figures.pages.values()), figures.pages
