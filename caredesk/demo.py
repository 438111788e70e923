"""Demo data, loaded through the public API like any client would: departments, users, queues,
customers with accented names from the seeds' countries, and one case waiting in Delivery."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import requests

DEMO_PASSWORD = "caredesk-demo"
# How long the demo waits for events to carry users, customers and invoices to the services that
# need them: seconds on an idle machine, far more on a busy one.
REPLICATION_WAIT_SECONDS = 120.0
DEPARTMENTS = [("front-office", "Front office"), ("delivery", "Delivery"), ("billing", "Billing"),
               ("technical", "Technical")]
CUSTOMERS = [("C-1001", "person", "José Pérez Gómez"), ("C-1002", "person", "Nguyễn Văn An"),
             ("C-1003", "person", "Дмитрий Иванов"), ("C-1004", "company", "Distribuidora Andina S.A.S."),
             ("C-1005", "person", "María Fernanda López")]
# Master data, lines and flashes per customer code, so the card shows what the seeds describe.
DETAILS = {
    "C-1001": {"country": "CO", "tax_number": "79845123", "region": "Bogotá D.C.", "language": "es-CO",
               "address": "Calle 72 # 10-34, apto 502", "phone": "601 3456789", "phone2": "310 555 1234",
               "email": "jose.perez@example.co", "salesperson": "ana.front"},
    "C-1002": {"country": "VN", "region": "Hà Nội", "language": "vi", "phone": "+84 912 345 678"},
    "C-1003": {"country": "RU", "region": "Москва", "language": "ru", "phone": "+7 916 123 45 67"},
    "C-1004": {"country": "CO", "tax_number": "900123456-7", "region": "Antioquia", "language": "es-CO",
               "phone": "604 4445566", "salesperson": "ana.front"},
}
LINES = {
    "C-1001": [{"number": "315 222 3344", "tariff_plan": "Plan Conectado 30 GB", "iccid": "8957101234567890120",
                "pin": "1234", "network_standard": "4G", "billing_group": "1"}],
    "C-1003": [{"number": "+7 916 123 45 67", "tariff_plan": "Безлимит Плюс", "iccid": "8984012345678901234",
                "pin": "4321", "network_standard": "LTE"}],
}
FLASHES = {
    "C-1001": [{"text": "Reclamo abierto por doble cobro en octubre: no ofrecer cambio de plan hasta resolverlo."},
               {"text": "SIM reportada como dañada; la nueva va por mensajería.", "line": "+573152223344"}],
}


class Client:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, self.base + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response

    def login(self, username: str, password: str) -> None:
        token = self.call("POST", "/api/v1/auth/login", json={"username": username, "password": password}).json()
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"


def load_demo_data(base_url: str) -> None:
    admin = Client(base_url)
    admin.login(os.environ.get("CAREDESK_ADMIN_USERNAME", "admin"),
                os.environ.get("CAREDESK_ADMIN_PASSWORD", "caredesk-admin"))
    if any(d["code"] == "delivery" for d in admin.call("GET", "/api/v1/directory/departments?per_page=200").json()["items"]):
        return
    branch = next(b for b in admin.call("GET", "/api/v1/directory/branches?per_page=200").json()["items"]
                  if b["code"] == "hq")
    departments = {code: admin.call("POST", "/api/v1/directory/departments", json={"code": code, "name": name}).json()
                   for code, name in DEPARTMENTS}
    users = [
        ("ana.front", "Ana Restrepo", 3, "front-office", [], ["edit_customers"], "es"),
        ("boris.delivery", "Boris Sokolov", 3, "delivery", ["delivery"], [], "ru"),
        ("linh.billing", "Trần Thị Linh", 3, "billing", ["billing"], [], "vi"),
        ("sofia.supervisor", "Sofía Vargas", 2, "delivery", ["delivery", "billing"], ["manage_queues"], "es"),
    ]
    created = {}
    for username, full_name, level, department, queues, permissions, _ in users:
        created[username] = admin.call("POST", "/api/v1/directory/users", json={
            "username": username, "full_name": full_name, "password": DEMO_PASSWORD, "level": level,
            "email": f"{username}@caredesk.example", "branch_id": branch["id"],
            "department_id": departments[department]["id"], "queues": queues, "permissions": permissions}).json()
    for username, *_, language in users:
        _choose_language(base_url, username, language)
    calendar = admin.call("POST", "/api/v1/queues/calendars", json={
        "code": "bogota", "name": "Bogotá office hours", "time_zone": "America/Bogota",
        "working_days": [0, 1, 2, 3, 4], "hours": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "holidays": ["2026-12-08", "2026-12-25"]}).json()
    for code, name in (("delivery", "Delivery"), ("billing", "Billing"), ("technical", "Technical")):
        queue = _when_replicated(lambda: admin.http.post(admin.base + "/api/v1/queues", timeout=30, json={
            "code": code, "name": name, "department_id": departments[code]["id"],
            "supervisor_id": created["sofia.supervisor"]["id"], "calendar_id": calendar["id"]}))
        admin.call("PUT", f"/api/v1/queues/{queue['id']}/sla", headers={"If-Match": f'"{queue["version"]}"'}, json={"policies": [
            {"priority": "urgent", "acceptance_minutes": 30, "resolution_minutes": 240},
            {"priority": "high", "acceptance_minutes": 120, "resolution_minutes": 480},
            {"priority": "normal", "acceptance_minutes": 480, "resolution_minutes": 1440},
            {"priority": "low", "acceptance_minutes": 960, "resolution_minutes": 2880}]})
    admin.call("POST", "/api/v1/case-types", json={
        "code": "sim-delivery", "name": "SIM card delivery by courier", "queue": "delivery",
        "default_priority": "high", "form": [
            {"name": "address", "label": "Delivery address", "type": "text", "required": True},
            {"name": "delivery_date", "label": "Delivery date", "type": "date", "required": True}]})
    # The front office registers customers, so they belong to its department and Ana reaches them.
    front_office = Client(base_url)
    front_office.login("ana.front", DEMO_PASSWORD)
    customers = [_create_customer(admin, front_office, code, kind, name, created) for code, kind, name in CUSTOMERS]
    admin.call("POST", "/api/v1/case-types", json={
        "code": "billing-claim", "name": "Billing claim", "queue": "billing", "default_priority": "normal",
        "form": [{"name": "invoice_number", "label": "Invoice number", "type": "string", "required": True},
                 {"name": "amount", "label": "Amount claimed", "type": "decimal"}]})
    _interaction_catalogues(admin)
    case = _create_case_when_replicated(admin, customers[0]["id"], SIM_DELIVERY)
    admin.call("POST", f"/api/v1/cases/{case['id']}/dispatch")
    _cases_in_each_state(base_url, customers)
    _payment_reminders(admin, customers[0])


def _payment_reminders(admin: Client, customer: dict) -> None:
    """Seed 001's reminders for the first customer: an invoice due in seven days and one seven days
    overdue, reminders and after-due notices on; the day's job runs at once, so the local mail
    catcher shows the reminder and the notice."""
    today = datetime.now(timezone.utc).date()
    invoices = [(number, today + timedelta(days=due_in)) for number, due_in in (("FV-71001", 7), ("FV-70950", -7))]
    admin.call("POST", "/api/v1/customers/billing/imports", json={"kind": "invoices", "rows": [
        {"invoice_number": number, "customer_code": customer["code"], "issue_date": (due - timedelta(days=30)).isoformat(),
         "due_date": due.isoformat(), "amount": "89900.00", "currency": "COP"} for number, due in invoices]})
    concepts = admin.call("GET", "/api/v1/notifications/reminders/concepts?per_page=200").json()["items"]
    before = next(c["id"] for c in concepts if c["kind"] == "before_due" and c["days"] == 7)
    after = next(c["id"] for c in concepts if c["kind"] == "after_due" and c["days"] == 7)
    path = f"/api/v1/notifications/reminders/settings/{customer['id']}"
    _when_replicated(lambda: admin.http.put(admin.base + path, timeout=30, headers={"If-Match": '"0"'}, json={
        "active": True, "concept_id": before, "after_due_active": True, "after_due_concept_id": after}),
        accept=200, waiting=(404, 422))
    deadline = time.monotonic() + REPLICATION_WAIT_SECONDS  # the receivables reach the notifications service by their events
    while admin.call("POST", "/api/v1/notifications/reminders/run", json={}).json()["due"] < len(invoices):
        if time.monotonic() > deadline:
            raise RuntimeError("the demo invoices did not reach the reminder job")
        time.sleep(0.2)


# The interaction panel's catalogues (seed 004): reasons with their scripts, macros and articles, one
# retired reason that is no longer offered, and the flows or points of contact.
REASONS = [
    ("Facturación", None, "", []),
    ("Doble cobro", "Facturación",
     "Confirme el número de factura y el valor cobrado dos veces. No ofrezca cambio de plan mientras el reclamo "
     "esté abierto.",
     [("Reclamo registrado", "Se registró el reclamo por doble cobro de {customer_name} ({customer_code}). "
                             "Respuesta en 5 días hábiles. Atendió {agent_name}, {today}.")]),
    ("Cambio de ciclo de facturación", "Facturación", "Explique que el nuevo ciclo aplica desde la próxima factura.", []),
    ("SIM y equipos", None, "", []),
    ("SIM dañada", "SIM y equipos", "Verifique el PIN de la línea antes de pedir la SIM nueva.",
     [("Envío de SIM", "Se enviará una SIM nueva para la línea {line_number} por mensajería.")]),
    ("Promoción navideña 2025", None, "Promoción terminada.", []),
]
RETIRED_REASONS = {"Promoción navideña 2025"}
CONTACT_POINTS = [("Línea de atención 01 8000", "Nacional"), ("Oficina Chapinero", "Bogotá D.C."),
                  ("Офис «Маяковская»", "Москва")]
ARTICLES = [("Doble cobro", "Cómo tramitar un doble cobro",
             "1. Pida el número de factura.\n2. Verifique el doble cargo en el estado de cuenta.\n"
             "3. Cree un caso de reclamo de facturación con el valor cobrado dos veces.")]


def _interaction_catalogues(admin: Client) -> None:
    ids: dict[str, str] = {}
    for name, parent, script, macros in REASONS:
        reason = admin.call("POST", "/api/v1/customers/interaction-reasons",
                            json={"name": name, "parent_id": ids.get(parent), "script": script}).json()
        ids[name] = reason["id"]
        for macro_name, body in macros:
            admin.call("POST", "/api/v1/customers/interaction-macros",
                       json={"reason_id": reason["id"], "name": macro_name, "body": body})
        if name in RETIRED_REASONS:
            admin.call("PATCH", f"/api/v1/customers/interaction-reasons/{reason['id']}", json={"is_retired": True},
                       headers={"If-Match": f'"{reason["version"]}"'})
    for name, region in CONTACT_POINTS:
        admin.call("POST", "/api/v1/customers/contact-points", json={"name": name, "region": region})
    for reason, title, body in ARTICLES:
        admin.call("POST", "/api/v1/customers/knowledge-articles",
                   json={"reason_id": ids[reason], "title": title, "body": body})


SIM_DELIVERY = {"type": "sim-delivery", "subject": "Deliver the new SIM card",
                "description": "Customer asked for delivery to the home address.",
                "custom_fields": {"address": "Calle 72 # 10-34, apto 502", "delivery_date": "2026-12-01"}}


def _claim(invoice: str) -> dict:
    return {"type": "billing-claim", "subject": "Charged twice in October",
            "custom_fields": {"invoice_number": invoice, "amount": "45900"}}


def _cases_in_each_state(base_url: str, customers: list[dict]) -> None:
    """Ana's cases as the people of seed 004 leave them: a draft, one returned by Delivery, one in
    work and one closed by Billing, so each page has something to show."""
    ana, boris, linh = Client(base_url), Client(base_url), Client(base_url)
    for client, username in ((ana, "ana.front"), (boris, "boris.delivery"), (linh, "linh.billing")):
        client.login(username, DEMO_PASSWORD)
    _create_case_when_replicated(ana, customers[2]["id"], _claim("FV-88231"))
    returned = _create_case_when_replicated(ana, customers[4]["id"], SIM_DELIVERY | {"priority": "urgent"})
    ana.call("POST", f"/api/v1/cases/{returned['id']}/dispatch")
    taken = boris.call("POST", "/api/v1/cases/take-next", json={"queue": "delivery"}).json()
    boris.call("POST", f"/api/v1/cases/{taken['id']}/reject",
               json={"reason": "La dirección no tiene número de apartamento."})
    for index, customer in enumerate((customers[3], customers[0])):
        claim = _create_case_when_replicated(ana, customer["id"], _claim(f"FV-9000{index}"))
        ana.call("POST", f"/api/v1/cases/{claim['id']}/dispatch")
        taken = linh.call("POST", "/api/v1/cases/take-next", json={"queue": "billing"}).json()
        linh.call("POST", f"/api/v1/cases/{taken['id']}/accept")
    linh.call("POST", f"/api/v1/cases/{taken['id']}/close", json={"resolution": "Credit note issued for the double charge."})


def _create_customer(admin: Client, registrar: Client, code: str, kind: str, name: str, users: dict) -> dict:
    """A customer registered by the front office, with its master data; the administrator adds its
    lines (with PIN and SIM) and flashes ending in a month."""
    details = dict(DETAILS.get(code, {}))
    salesperson = details.pop("salesperson", None)
    if salesperson:
        details["salesperson_id"] = users[salesperson]["id"]
    response = registrar.call("POST", "/api/v1/customers", json={"code": code, "kind": kind, "name": name, **details})
    customer, etag = response.json(), response.headers["ETag"]
    lines = {}
    for line in LINES.get(code, []):
        response = admin.call("POST", f"/api/v1/customers/{customer['id']}/lines", json=line, headers={"If-Match": etag})
        lines[response.json()["number"]], etag = response.json()["id"], response.headers["ETag"]
    ends_at = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    for flash in FLASHES.get(code, []):
        body = {"text": flash["text"], "ends_at": ends_at, "line_id": lines.get(flash.get("line"))}
        etag = admin.call("POST", f"/api/v1/customers/{customer['id']}/flashes", json=body,
                          headers={"If-Match": etag}).headers["ETag"]
    return customer


def _create_case_when_replicated(client: Client, customer_id: str, case: dict) -> dict:
    """The cases service learns of a customer from its event; wait for it to arrive."""
    payload = {"customer_id": customer_id, **case}
    return _when_replicated(lambda: client.http.post(client.base + "/api/v1/cases", json=payload, timeout=30))


def _choose_language(base_url: str, username: str, language: str) -> None:
    """Each demo user reads their mail in their own language, so the local mail catcher shows a
    dispatched case reaching Boris in Russian and Linh in Vietnamese."""
    user = Client(base_url)
    user.login(username, DEMO_PASSWORD)
    _when_replicated(lambda: user.http.put(user.base + "/api/v1/notifications/preferences/me", timeout=30,
                                           json={"language": language, "email": True}), accept=200)


def _when_replicated(create, timeout: float = REPLICATION_WAIT_SECONDS, accept: int = 201, waiting=(401, 422)) -> dict:
    """A service resolves the users and customers a body names in its replica of them, which the
    directory's and customers' events fill: a 422 (or a 401 from a service that has not yet seen the
    user) may only mean they have not arrived yet."""
    deadline = time.monotonic() + timeout
    while True:
        response = create()
        if response.status_code == accept:
            return response.json()
        if response.status_code not in waiting or time.monotonic() > deadline:
            raise RuntimeError(f"creating demo data failed: {response.status_code} {response.text}")
        time.sleep(0.2)
