"""Issue 14, the supervisor dashboard in a real browser: Sofía reads her queues' charts and tables,
drills into the cases past a deadline and reassigns one; in two languages, with screenshots, and
axe-core finding no serious or critical violation on the pages she walks through.

Breaches are made deterministic: the Delivery queue runs on a round-the-clock calendar with a
one-minute acceptance target for urgent cases, and the test runs the SLA check itself (the periodic
job's function on the cases database) at an instant past those targets, instead of waiting for the
minute-by-minute job."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from unittest import mock

import pytest
from playwright.sync_api import expect

from caredesk.demo import DEMO_PASSWORD, SIM_DELIVERY, Client, load_demo_data
from services.cases import clock
from services.cases.models import Base
from services.cases.queues.history import take_snapshots
from services.cases.sla.check import check_sla
from services.kit.db import Database
from tests.e2e.browser.pages import AxeFigures
from tests.e2e.conftest import ADMIN_PASSWORD, _run_system

pytestmark = pytest.mark.e2e

BUSY_MACHINE_MS = 60_000
WORDS = {"es": {"assigned": "Caso asignado."}, "en": {"assigned": "Case assigned."}}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """A fresh system with the demo data, and the cases database its SLA check runs on."""
    from caredesk.supervisor import stop_system

    folder = tmp_path_factory.mktemp("dashboard")
    processes, url = _run_system(folder, {})
    try:
        with mock.patch.dict(os.environ, {"CAREDESK_ADMIN_PASSWORD": ADMIN_PASSWORD}):
            load_demo_data(url)
        database = Database(f"sqlite:///{folder / 'var' / 'cases.sqlite3'}", Base.metadata)
        yield url, database
        database.dispose()
    finally:
        stop_system(processes)


@pytest.fixture(scope="module")
def console_url(system):
    return system[0]


@pytest.fixture(scope="module")
def delivery_on_a_tight_target(system):
    """Delivery around the clock, urgent cases to be accepted within one minute."""
    url, _database = system
    admin = Client(url)
    admin.login("admin", ADMIN_PASSWORD)
    calendar = admin.call("POST", "/api/v1/queues/calendars", json={
        "code": "round-the-clock", "name": "Round the clock", "time_zone": "UTC",
        "working_days": [0, 1, 2, 3, 4, 5, 6], "hours": [{"start": "00:00", "end": "24:00"}], "holidays": []}).json()
    delivery = next(q for q in admin.call("GET", "/api/v1/queues").json()["items"] if q["code"] == "delivery")
    etag = admin.call("GET", f"/api/v1/queues/{delivery['id']}").headers["ETag"]
    changed = admin.call("PATCH", f"/api/v1/queues/{delivery['id']}", json={"calendar_id": calendar["id"]},
                         headers={"If-Match": etag})
    admin.call("PUT", f"/api/v1/queues/{delivery['id']}/sla", headers={"If-Match": changed.headers["ETag"]}, json={"policies": [
        {"priority": "urgent", "acceptance_minutes": 1, "resolution_minutes": 60},
        {"priority": "high", "acceptance_minutes": 120, "resolution_minutes": 480}]})
    return delivery


def breached_cases(system, count: int) -> list[str]:
    """Ana dispatches urgent SIM deliveries; the SLA check run two minutes ahead marks them breached."""
    url, database = system
    ana = Client(url)
    ana.login("ana.front", DEMO_PASSWORD)
    customer = ana.call("GET", "/api/v1/customers/search", params={"q": "C-1001"}).json()["items"][0]
    numbers = []
    for _ in range(count):
        case = ana.call("POST", "/api/v1/cases", json={"customer_id": customer["id"], **SIM_DELIVERY,
                                                       "priority": "urgent"}).json()
        numbers.append(ana.call("POST", f"/api/v1/cases/{case['id']}/dispatch").json()["number"])
    marked = check_sla(database, now=clock.now() + timedelta(minutes=2))
    assert marked["acceptance_breach"] >= count, marked
    take_snapshots(database, minutes=1)
    return numbers


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_supervisor_reads_the_dashboard_drills_into_the_breached_cases_and_reassigns_one(
        agent, system, delivery_on_a_tight_target, language):
    breached_cases(system, 2)
    figures = AxeFigures("dashboard")
    sofia = agent(language).sign_in("sofia.supervisor")
    sofia.context.set_default_timeout(BUSY_MACHINE_MS)
    page = sofia.page

    page.locator("header nav a[href='/dashboard']").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    now_table = page.locator("#now-table")
    expect(now_table).to_contain_text("Delivery")
    expect(page.locator("#chart-states svg")).to_have_count(1)
    expect(page.locator("#chart-depth svg")).to_have_count(1)
    expect(page.locator("#chart-acceptance-attainment svg")).to_have_count(1)
    assert page.locator("#chart-states svg a").count() >= 1  # the bars lead to their cases
    figures.check(sofia, "overview")

    breached_link = now_table.locator("tr", has_text="Delivery").locator("a.breached")
    assert int(re.sub(r"\D", "", breached_link.inner_text().split("—")[0])) >= 2
    breached_link.click()
    page.wait_for_url(re.compile(r"/cases\?.*breached=true"))
    expect(page.locator("#c-breached")).to_have_value("true")
    rows = page.locator("table.cases tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2 and page.locator("table.cases .status.breached").count() == rows.count()
    figures.check(sofia, "breached-cases")

    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    page.select_option("#assignee", label="Boris Sokolov")
    figures.check(sofia, "case-before-reassign")
    with page.expect_navigation():
        page.locator("form:has(#assignee) button[type=submit]").click()
    expect(page.locator("p.notice.success")).to_contain_text(WORDS[language]["assigned"])
    page.select_option("#new-priority", "high")
    with page.expect_navigation():
        page.locator("#priority-form button[type=submit]").click()
    expect(page.locator("p.notice.success")).to_have_count(1)
    expect(page.locator("#new-priority")).to_have_value("high")
    figures.check(sofia, "case-reassigned")

    sofia.go("/dashboard")
    boris = page.locator("table.holders", has=page.locator("caption", has_text="Delivery")).locator("tr", has_text="Boris Sokolov")
    expect(boris.locator("td").first).not_to_have_text("0")
    figures.check(sofia, "holders")

    print(f"axe serious/critical violations on the dashboard pages ({language}): {figures.pages}")
    assert not any(figures.pages.values()), figures.pages
