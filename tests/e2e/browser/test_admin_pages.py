"""Issue 14, administration in a real browser: an administrator builds a queue with a business
calendar and SLA targets, a case type with a three-field form and a routing rule, and a front-office
user then creates and dispatches such a case; in two languages, with screenshots, and axe-core
finding no serious or critical violation on the administration pages."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.browser.pages import AxeFigures, submit
from tests.e2e.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

BUSY_MACHINE_MS = 60_000  # each save is a few API calls; on a loaded CI machine one may take longer than 15 s
WORDS = {
    "es": {"queue": "Reclamos Medellín", "type": "Reclamo de contrato", "fields": ("Número de contrato", "Motivo", "Fecha de la visita"),
           "choices": "Cobro doble\nTarifa equivocada", "choice": "Cobro doble"},
    "en": {"queue": "Contract claims", "type": "Contract claim", "fields": ("Contract number", "Reason", "Visit date"),
           "choices": "Double charge\nWrong tariff", "choice": "Double charge"},
}


@pytest.mark.parametrize("language", ["es", "en"])
def test_an_administrator_builds_a_queue_and_a_case_type_and_the_front_office_dispatches_such_a_case(agent, language):
    words, suffix = WORDS[language], f"{language}-{uuid.uuid4().hex[:6]}"  # codes unique on a system kept running
    figures = AxeFigures("admin")
    admin = agent(language).sign_in("admin", ADMIN_PASSWORD)
    admin.context.set_default_timeout(BUSY_MACHINE_MS)
    page = admin.page

    admin.go("/admin")
    figures.check(admin, "index")

    # A business calendar: Monday to Friday, 8 to 12 and 13 to 17 (the lunch break), Christmas off.
    admin.go("/admin/calendars")
    page.fill("#f-code", f"medellin-{suffix}")
    page.fill("#f-name", f"Medellín {suffix}")
    page.select_option("#f-time_zone", "America/Bogota")
    page.fill("#f-holidays", "2026-12-25\n2027-01-01")
    page.fill("#f-end_1", "26:00")  # a mistake the API names at the hours
    submit(admin, "#calendar-form form")
    assert page.locator("fieldset.invalid #f-end_1").count() == 1
    figures.check(admin, "calendar-refused")
    page.fill("#f-end_1", "17:00")
    submit(admin, "#calendar-form form")
    assert re.search(r"/admin/calendars/[0-9a-f-]{36}$", page.url)
    assert "2026-12-25" in page.locator("#f-holidays").input_value()
    figures.check(admin, "calendar")

    # The queue, on that calendar, with a supervisor; then SLA targets and a member.
    admin.go("/admin/queues")
    page.fill("#f-code", f"claims-{suffix}")
    page.fill("#f-name", words["queue"])
    page.select_option("#f-calendar_id", label=f"Medellín {suffix}")
    page.select_option("#f-supervisor_id", label="Sofía Vargas")
    submit(admin, "#new-queue form")
    assert re.search(r"/admin/queues/[0-9a-f-]{36}$", page.url)
    queue_url = page.url
    page.fill("#f-urgent_acceptance", "30")
    page.fill("#f-urgent_resolution", "0")  # refused at its own cell
    submit(admin, "#sla form")
    assert page.locator("#f-urgent_resolution[aria-invalid=true]").count() == 1
    figures.check(admin, "queue-sla-refused")
    page.fill("#f-urgent_resolution", "240")
    page.fill("#f-normal_acceptance", "120")
    page.fill("#f-normal_resolution", "2880")
    submit(admin, "#sla form")
    assert page.locator("#f-urgent_resolution").input_value() == "240"
    page.select_option("#f-add", label="Boris Sokolov")
    submit(admin, "#members form.inline")
    assert "Boris Sokolov" in page.locator("#members ul").inner_text()
    figures.check(admin, "queue")

    # The case type: its own queue is delivery; urgent cases are routed to the new queue.
    admin.go("/admin/case-types")
    figures.check(admin, "case-types")
    page.fill("#f-code", f"contract-claim-{suffix}")
    page.fill("#f-name", words["type"])
    page.select_option("#f-queue", "delivery")
    submit(admin, "#new-case-type form")
    assert re.search(r"/admin/case-types/[0-9a-f-]{36}$", page.url.split("#")[0])
    (contract, reason, visit) = words["fields"]
    page.fill("#b-label-0", contract)
    page.fill("#b-name-0", "contract_number")
    page.check("#b-required-0")
    page.fill("#b-label-1", reason)
    page.fill("#b-name-1", "reason")
    page.select_option("#b-type-1", "choice")  # without its choices first: refused at the row
    page.check("#b-required-1")
    page.fill("#b-label-2", visit)
    page.fill("#b-name-2", "visit_date")
    page.select_option("#b-type-2", "date")
    submit(admin, "#form form")
    assert page.locator("#b-choices-1[aria-invalid=true]").count() == 1
    figures.check(admin, "form-builder-refused")
    page.fill("#b-choices-1", words["choices"])
    submit(admin, "#form form")
    assert page.locator("#b-label-2").input_value() == visit
    page.select_option("#r-priority", "urgent")
    page.select_option("#r-rule_queue", f"claims-{suffix}")
    submit(admin, "#routing form.grid-form")
    assert words["queue"] in page.locator("#routing table").inner_text()
    figures.check(admin, "case-type")

    # The directory and the records pages, with a user's form, an API token shown once and the logs.
    admin.go("/admin/users")
    figures.check(admin, "users")
    page.locator("table a", has_text="Boris Sokolov").click()
    page.wait_for_url(re.compile(r"/admin/users/[0-9a-f-]{36}$"))
    assert page.locator("#lock").count() == 1 and f"claims-{suffix}" in page.locator("input[name=queues][checked]").evaluate_all(
        "boxes => boxes.map(box => box.value).join(' ')")
    figures.check(admin, "user")
    admin.go("/admin/units")
    figures.check(admin, "units")
    admin.go("/admin/api-tokens")
    page.fill("#f-name", f"Billing sync {suffix}")
    page.select_option("#f-user_id", label="Ana Restrepo")
    page.check("input[name=read_only]")
    submit(admin, "#new-token-form form")
    assert page.locator("#new-token").input_value().count(".") == 2  # a JWT, shown this once
    figures.check(admin, "api-token-shown-once")
    admin.go("/admin/audit?kind=user.")
    assert page.locator("table tbody tr").count() >= 1
    figures.check(admin, "audit")
    admin.go("/admin/deliveries")
    figures.check(admin, "deliveries")
    admin.go("/admin/catalogues")
    page.fill("#nt-name", f"Acta {suffix}")
    submit(admin, "#attachment-types form.inline:has(#nt-name)")
    assert page.locator("#attachment-types input[value='Acta %s']" % suffix).count() == 1
    figures.check(admin, "catalogues")
    admin.go("/admin/templates")
    figures.check(admin, "templates")
    page.locator("table a").first.click()
    page.wait_for_url(re.compile(r"/admin/templates/[^/]+/[^/]+/[^/]+$"))
    page.fill("#f-subject", page.locator("#f-subject").input_value() + " · {{ case.number }}")
    with page.expect_navigation():
        page.locator("button[name=preview]").click()
    assert "{{" not in page.locator("#preview dd").first.inner_text()  # rendered on sample data, not saved
    figures.check(admin, "template-preview")

    print(f"axe serious/critical violations on the administration pages ({language}): {figures.pages}")
    assert not any(figures.pages.values()), figures.pages

    # The front office creates such a case on a card and dispatches it: the rule sends it to the new queue.
    ana = agent(language).sign_in("ana.front")
    ana.context.set_default_timeout(BUSY_MACHINE_MS)
    ana.page.fill("#global-q", "315 222 3344")
    ana.page.press("#global-q", "Enter")
    ana.page.wait_for_url(re.compile(r"/customers/"))
    ana.page.locator("a.button.primary[href$='/cases/new']").click()
    ana.page.wait_for_load_state("load")
    ana.page.select_option("#f-type", f"contract-claim-{suffix}")
    ana.page.wait_for_selector("#f-cf_contract_number")
    assert ana.page.locator("#f-cf_reason option").count() >= 2 and ana.page.locator("#f-cf_visit_date").count() == 1
    ana.page.fill("#f-subject", words["type"])
    ana.page.select_option("#f-priority", "urgent")
    ana.page.fill("#f-cf_contract_number", "CT-20931")
    ana.page.select_option("#f-cf_reason", words["choice"])
    ana.page.fill("#f-cf_visit_date", "2026-12-14")
    ana.shot("admin-built-case-form")
    ana.page.click("button[name=dispatch]")
    ana.page.wait_for_url(re.compile(r"/cases/[0-9a-f-]+$"))
    assert "status-open_dispatch" in ana.page.locator("h1 + p.meta .status").first.get_attribute("class")
    assert words["queue"] in ana.page.locator("h1 + p.meta").inner_text()
    ana.shot("admin-built-case-dispatched")

    admin.go(queue_url.removeprefix(admin.base))
    assert "Boris Sokolov" in page.locator("#members").inner_text()
