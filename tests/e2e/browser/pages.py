"""What the browser tests of several pages share: axe-core's figures per page with a screenshot of
each, and submitting a form and waiting for the page it brings back."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

SERIOUS = {"serious", "critical"}


class AxeFigures:
    """axe-core's serious and critical violations per page checked, each page also screenshotted
    as ``<prefix>-<name>``."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.axe, self.pages = prefix, Axe(), {}

    def check(self, person, name: str) -> None:
        violations = self.axe.run(person.page).response["violations"]
        self.pages[name] = [(item["id"], item["impact"], len(item["nodes"])) for item in violations
                            if item["impact"] in SERIOUS]
        person.shot(f"{self.prefix}-{name}")


def submit(person, form_selector: str) -> None:
    """Press the form's (last) submit button and wait for the page the post brings back."""
    with person.page.expect_navigation():
        person.page.locator(f"{form_selector} button[type=submit]").last.click()
