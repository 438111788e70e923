"""Seed 001 in a real browser, each flow in two languages with screenshots: notes written by users of
different levels and the notes report each of them sees (exactly what the API lets them see), with
"last three per customer", "group by department", paging and the .xlsx download read back; and the
bulk change of preferred sales agent with its preview, confirmation and result, refused to a user
without the permission."""
from __future__ import annotations

import io
import os
import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests.e2e.browser.conftest import TIME_ZONE
from tests.e2e.browser.test_every_page import english_phrases
from tests.e2e.browser.test_interactions import serious_violations
from tests.e2e.conftest import ADMIN_PASSWORD, ApiClient

pytestmark = pytest.mark.e2e

ADMIN = os.environ.get("CAREDESK_TEST_ADMIN_PASSWORD", ADMIN_PASSWORD)
DEMO_PASSWORD = "caredesk-demo"


def api(console_url: str, username: str) -> ApiClient:
    return ApiClient(console_url).login(username, ADMIN if username == "admin" else DEMO_PASSWORD)


def customer_id(client: ApiClient, code: str) -> str:
    found = client.get("/api/v1/customers/search", params={"q": code, "by": "code"}).json()["items"]
    return next(item["id"] for item in found if item["code"] == code)


def report_total(client: ApiClient, **params) -> int:
    response = client.get("/api/v1/customers/notes-report", params={"tz": TIME_ZONE, **params})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def untranslated(person) -> list[str]:
    text = person.page.locator("body").inner_text()
    return [pattern.pattern for pattern in english_phrases(person.language) if pattern.search(text)]


def found_count(person) -> int:
    return int(re.sub(r"\D", "", person.page.locator("#report-title").inner_text()))


@pytest.mark.parametrize("language", ["es", "ru"])
def test_seed_001_notes_report_with_every_option_and_the_xlsx(agent, console_url, language):
    ana, sofia_api = api(console_url, "ana.front"), api(console_url, "sofia.supervisor")
    marker = uuid.uuid4().hex[:8]
    crowded = customer_id(ana, "C-1005")
    for index in range(27):  # more than a page of one customer's notes
        assert ana.post(f"/api/v1/customers/{crowded}/notes", json={
            "text": f"Llamada {index} {marker}", "location": "Oficina", "next_treatment": "Volver a llamar"}).ok
    assert sofia_api.post(f"/api/v1/customers/{customer_id(sofia_api, 'C-1004')}/notes", json={
        "text": f"Revisión de cartera {marker}", "location": "Gerencia", "next_treatment": ""}).ok
    today = datetime.now(ZoneInfo(TIME_ZONE)).date().isoformat()

    # Ana (level 3) writes one more on the card itself, then runs the report of today.
    person = agent(language).sign_in("ana.front")
    person.go(f"/customers/{crowded}#notes")
    person.page.locator("#notes summary").click()
    person.page.fill("#notes #f-text", f"Nota desde la ficha {marker}")
    person.page.locator("#notes button[type=submit]").last.click()
    assert "success" in person.page.locator("p.notice").first.get_attribute("class")

    person.page.locator("header nav a[href$='/reports/notes']").click()
    person.page.fill("#r-from", today)
    person.page.fill("#r-to", today)
    person.page.locator("form.filters button[type=submit]").click()
    assert found_count(person) == report_total(ana, **{"from": today, "to": today}), "exactly what the API lets Ana see"
    assert person.page.locator("table.report tbody tr").count() == 25
    person.shot("001-notes-report-page-1")
    assert not serious_violations(person)
    assert not untranslated(person)
    person.page.locator("nav.pager a[rel=next]").click()
    assert "page=2" in person.page.url and person.page.locator("table.report tbody tr").count() >= 1

    # An unknown customer code is refused at its field.
    person.go("/reports/notes?go=1&customer=NO-SUCH-CODE")
    assert person.page.locator(".field.invalid #r-customer").count() == 1

    # The same customer, last three notes only: three rows whatever was written.
    person.go(f"/reports/notes?go=1&customer=C-1005&last_three=1&from={today}")
    assert person.page.locator("table.report tbody tr").count() == 3
    assert found_count(person) == 3
    person.shot("001-notes-report-last-three")

    # Sofía (level 2) sees her branch: grouped by department, each heading with its count.
    sofia = agent(language).sign_in("sofia.supervisor")
    sofia.go("/reports/notes")
    sofia.page.fill("#r-from", today)
    sofia.page.check("input[name=group_by]")
    sofia.page.check("input[name=last_three]")
    sofia.page.locator("form.filters button[type=submit]").click()
    total = report_total(sofia_api, **{"from": today, "last_three": "true", "group_by": "department"})
    assert found_count(sofia) == total
    assert sofia.page.locator("section h3").count() >= 1, "a heading per department"
    sofia.shot("001-notes-report-grouped")
    assert not serious_violations(sofia)

    # The .xlsx, with the progress shown while it arrives, read back: one row per note and a header.
    with sofia.page.expect_download() as download:
        sofia.page.locator("#xlsx").click()
    sofia.page.wait_for_function("document.getElementById('xlsx-progress').textContent.length > 0")
    progress = sofia.page.locator("#xlsx-progress").inner_text()
    assert re.search(r"\d", progress), progress
    workbook = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == total + 1
    sofia.shot("001-notes-report-downloaded")


def agent_row(person, name: str):
    return person.page.locator("table.agents tbody tr").filter(has=person.page.locator("th", has_text=name))


def _preferred_agent(admin: ApiClient, code: str, agent_id: str) -> None:
    path = f"/api/v1/customers/{customer_id(admin, code)}"
    etag = admin.get(path).headers["ETag"]
    response = admin.http.patch(admin.base + path, json={"preferred_sales_agent_id": agent_id},
                                headers={"If-Match": etag}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("language", ["es", "vi"])
def test_seed_001_bulk_change_of_preferred_sales_agent(agent, console_url, language):
    admin_api = api(console_url, "admin")
    users = {user["username"]: user for user in admin_api.get("/api/v1/directory/users").json()["items"]}
    for code in ("C-1002", "C-1003"):
        _preferred_agent(admin_api, code, users["linh.billing"]["id"])
    _preferred_agent(admin_api, "C-1004", users["boris.delivery"]["id"])

    # Without the permission there is no link and the page says why.
    ana = agent(language).sign_in("ana.front")
    assert ana.page.locator("header nav a[href$='/sales-agents']").count() == 0
    assert ana.go("/sales-agents").status == 403
    ana.shot("001-sales-agents-refused")

    admin = agent(language).sign_in("admin", ADMIN)
    admin.page.locator("header nav a[href$='/sales-agents']").click()
    linh_row = agent_row(admin, "Trần Thị Linh")
    held = int(re.sub(r"\D", "", linh_row.locator("td.num").inner_text()))
    assert held >= 2
    admin.shot("001-sales-agents")
    assert not serious_violations(admin)
    assert not untranslated(admin)

    # Nothing chosen: told so, nothing proposed.
    admin.page.locator("form button[type=submit].primary").click()
    assert "error" in admin.page.locator("p.notice").first.get_attribute("class")

    linh_row = agent_row(admin, "Trần Thị Linh")
    linh_row.locator("select").select_option(label="Sofía Vargas")
    admin.page.locator("form button[type=submit].primary").click()
    admin.page.wait_for_url(re.compile(r"/sales-agents/changes/"))
    assert int(re.sub(r"\D", "", admin.page.locator("#moves-total").inner_text())) == held
    admin.shot("001-sales-agents-preview")
    assert not serious_violations(admin)
    assert not untranslated(admin)
    assert all(a_customer["preferred_sales_agent_id"] == users["linh.billing"]["id"] for a_customer in (
        admin_api.get(f"/api/v1/customers/{customer_id(admin_api, code)}").json() for code in ("C-1002", "C-1003"))), \
        "nothing moves before the confirmation"

    admin.page.locator("#confirm-change").click()
    assert "success" in admin.page.locator("p.notice").first.get_attribute("class")
    assert int(re.sub(r"\D", "", admin.page.locator("#moves-total").inner_text())) == held
    admin.shot("001-sales-agents-result")
    assert not untranslated(admin)
    for code in ("C-1002", "C-1003"):
        moved = admin_api.get(f"/api/v1/customers/{customer_id(admin_api, code)}").json()
        assert moved["preferred_sales_agent_id"] == users["sofia.supervisor"]["id"]
    admin.go("/sales-agents")
    assert agent_row(admin, "Trần Thị Linh").count() == 0
