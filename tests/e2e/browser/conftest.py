"""The console in Debian's chromium driven by Playwright: the whole system with the demo data, a
browser per module, pages in a chosen language and time zone, screenshots under test-artifacts/."""
from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import pytest

from caredesk.demo import DEMO_PASSWORD, load_demo_data
from tests.e2e.conftest import ADMIN_PASSWORD, _run_system

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIME_ZONE = "America/Bogota"


@pytest.fixture(scope="module")
def console_system(tmp_path_factory):
    """A fresh system with the demo data: its URL and its data folder (where the embedded broker
    keeps its file). CAREDESK_TEST_CONSOLE_URL points at one already running (such as `caredesk up`)
    to iterate on pages quickly, with CAREDESK_DATA_DIR as its folder."""
    from caredesk.supervisor import stop_system

    if os.environ.get("CAREDESK_TEST_CONSOLE_URL"):
        data_dir = os.environ.get("CAREDESK_DATA_DIR")
        yield os.environ["CAREDESK_TEST_CONSOLE_URL"], Path(data_dir) if data_dir else None
        return
    folder = tmp_path_factory.mktemp("console")
    processes, url = _run_system(folder, {})
    try:
        with mock.patch.dict(os.environ, {"CAREDESK_ADMIN_PASSWORD": ADMIN_PASSWORD}):
            load_demo_data(url)
        yield url, folder / "var"
    finally:
        stop_system(processes)


@pytest.fixture(scope="module")
def console_url(console_system) -> str:
    return console_system[0]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        pytest.fail(reason) if os.environ.get("CI") == "true" else pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """test-artifacts/screenshots/ (CAREDESK_TEST_ARTIFACTS moves it), kept after the run for CI to collect."""
    folder = Path(os.environ.get("CAREDESK_TEST_ARTIFACTS") or ARTIFACTS) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Agent:
    """One person at one browser: signs in in a language and keeps screenshots of what they saw."""

    def __init__(self, browser, base_url: str, shots: Path, *, language: str, width: int = 1280) -> None:
        self.base, self.shots, self.language = base_url, shots, language
        self.context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id=TIME_ZONE,
                                           locale={"es": "es-CO", "en": "en-US", "ru": "ru-RU", "vi": "vi-VN"}[language])
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> "Agent":
        self.page.goto(self.base + "/")
        self.page.select_option("#lang", self.language)
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.press("#password", "Enter")
        self.page.wait_for_url(re.compile(r"/desk$"))
        return self

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{self.language}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def notice(self) -> str:
        return self.page.locator("p.notice").first.inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def agent(browser, console_url, screenshots):
    opened = []

    def open_agent(language: str, **kwargs) -> Agent:
        opened.append(Agent(browser, console_url, screenshots, language=language, **kwargs))
        return opened[-1]

    yield open_agent
    for person in opened:
        person.close()
