"""Every console page in all four languages: no message left in English where a translation exists,
no serious or critical axe-core violation, and every page on a 390-pixel phone."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.messages.pofile import read_po

import gateway.console

pytestmark = pytest.mark.e2e

TRANSLATIONS = Path(gateway.console.__file__).parent / "translations"
SERIOUS = {"serious", "critical"}


def english_phrases(language: str) -> list[re.Pattern]:
    """Source messages of three words or more whose translation differs: seeing one means a string
    was shown untranslated."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    phrases = []
    for message in catalogue:
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = message.string[0] if isinstance(message.string, tuple) else message.string
        if source and translated != source and len(source.split()) >= 3:
            phrases.append(re.compile(".+?".join(re.escape(part) for part in re.split(r"%\(\w+\)s", source))))
    return phrases


def visit_every_page(person) -> list[str]:
    """Opens each page the supervisor can reach, yields its name after it loaded."""
    person.go("/search?q=an")
    assert person.page.locator("table.results a").count() == 2
    yield "search"
    person.go("/search?q=gomez")  # one hit opens its card
    person.page.wait_for_url(re.compile(r"/customers/"))
    card = person.page.url
    yield "card-with-flashes"
    person.go(card.removeprefix(person.base) + "?history=week")
    yield "card-history"
    person.go(card.removeprefix(person.base) + "?consents=history#consent-history")
    assert person.page.locator("#consent-history").count() == 1
    yield "card-consents-history"
    person.go(card.removeprefix(person.base) + "#interaction")  # the interaction panel with a reason chosen
    person.page.select_option("#f-i_reason_id", label="Facturación › Doble cobro")
    with person.page.expect_navigation():  # loaded, stylesheet included: on a busy machine it lags the DOM
        person.page.locator("button[name=apply_reason]").click()
    assert person.page.locator(".guidance button[name=macro]").count() == 1
    yield "card-interaction-reason"
    article = person.page.locator(".guidance .articles a").first.get_attribute("href")
    person.go(article)
    yield "article"
    person.go(card.removeprefix(person.base) + "/cases/new?type=sim-delivery")
    yield "case-new"
    person.go("/prospect")
    person.page.wait_for_url(re.compile(r"/customers/"))
    yield "prospect"
    for path, name in (("/desk", "desk"), ("/queues", "queues"), ("/dashboard", "dashboard"), ("/folder?box=created", "folder"),
                       ("/cases?go=1", "case-search"), ("/inbox", "inbox"), ("/call?number=3000000000", "caller"),
                       ("/account", "account"), ("/reports/notes?go=1&group_by=department", "notes-report"),
                       ("/sales-agents", "sales-agents-refused")):
        person.go(path)
        yield name
    person.go("/cases?go=1")
    person.page.locator("table.cases a").first.click()
    person.page.wait_for_url(re.compile(r"/cases/[0-9a-f-]+$"))
    yield "case"


@pytest.mark.parametrize("language", ["es", "en", "ru", "vi"])
def test_every_page_renders_in_the_language_with_nothing_left_untranslated(agent, language):
    person = agent(language).sign_in("sofia.supervisor")
    phrases = english_phrases(language) if language != "en" else []
    axe = Axe()
    serious = {}
    for name in visit_every_page(person):
        assert person.page.locator("html").get_attribute("lang") == language, name
        text = person.page.locator("body").inner_text()
        leftovers = [pattern.pattern for pattern in phrases if pattern.search(text)]
        assert not leftovers, f"{name} shows English: {leftovers}"
        if language == "es":
            violations = axe.run(person.page).response["violations"]
            serious[name] = [(v["id"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS]
        person.shot(f"page-{name}")
    print(f"axe serious/critical violations per page ({language}): {serious}")
    assert not any(serious.values()), serious


def test_every_page_fits_a_phone(agent):
    person = agent("es", width=390).sign_in("sofia.supervisor")
    overflows = {}
    for name in visit_every_page(person):
        overflows[name] = person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        person.shot(f"phone-{name}")
    print(f"pixels wider than a 390-pixel phone, per page: {overflows}")
    assert not {name: pixels for name, pixels in overflows.items() if pixels > 0}, overflows
