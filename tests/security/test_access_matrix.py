"""Access control as a matrix built from each service's OpenAPI document, on PostgreSQL.

Every route that takes an id is in ROUTES (the test fails on one that is not, so a new route
cannot escape): how to fill its ids with records of branch A. Principals of levels 1-4 in
branches A and B call every operation. Whoever does not reach the record must get exactly the
answer a missing id gets (same status, same body: nothing says it exists), none of its data, and
no change to any table; whoever reaches it gets more than a 404 on a read. Routes of company-wide
configuration (queues, calendars, case types, templates) are listed in COMPANY_WIDE: they are
guarded by permission, not by record scope, and answered the same for everyone.
"""
from __future__ import annotations

import io
import json
import uuid

import pytest

from gateway.models import Branch, Department
from services.cases.models import CustomerReadModel
from services.notifications.models import Notification
from tests.conftest import make_principal
from tests.security.conftest import fingerprint, register_users, without_correlation

pytestmark = pytest.mark.integration

BRANCH_A, BRANCH_B = uuid.uuid4(), uuid.uuid4()
DEPT_A, DEPT_B = uuid.uuid4(), uuid.uuid4()
MARKER = "Zoltan Markerov"
PERMISSIONS = frozenset({"edit_customers", "bulk_change_sales_agent", "manage_queues", "manage_users"})
CREATOR = make_principal(username="creator", level=4, branch_id=BRANCH_A, department_id=DEPT_A,
                         permissions=PERMISSIONS)
PRINCIPALS = {f"level {level}, branch {name}": make_principal(
    username=f"l{level}{name.lower()}", level=level, branch_id=branch,
    department_id=DEPT_B if level == 3 else DEPT_A, permissions=PERMISSIONS)
    for name, branch in (("A", BRANCH_A), ("B", BRANCH_B)) for level in (1, 2, 3, 4)}
# who reaches the branch-A records created by CREATOR (level 3 of A sits in another department)
REACHES = {"level 1, branch A", "level 2, branch A", "level 1, branch B"}
LEVEL_1 = {"level 1, branch A", "level 1, branch B"}  # the only ones who see a queue's notices without being members

ROUTES = {
    "customers": {
        "/api/v1/customers/{customer_id}": ("customer_id",),
        "/api/v1/customers/{customer_id}/history": ("customer_id",),
        "/api/v1/customers/{customer_id}/flashes": ("customer_id",),
        "/api/v1/customers/{customer_id}/phones": ("customer_id",),
        "/api/v1/customers/{customer_id}/phones/{phone_id}": ("customer_id", "phone_id"),
        "/api/v1/customers/{customer_id}/contacts": ("customer_id",),
        "/api/v1/customers/{customer_id}/contacts/{contact_id}": ("customer_id", "contact_id"),
        "/api/v1/customers/{customer_id}/lines": ("customer_id",),
        "/api/v1/customers/{customer_id}/lines/{line_id}": ("customer_id", "line_id"),
        "/api/v1/customers/{customer_id}/lines/{line_id}/pin": ("customer_id", "line_id"),
        "/api/v1/customers/{customer_id}/lines/{line_id}/pin/verify": ("customer_id", "line_id"),
        "/api/v1/customers/{customer_id}/lines/{line_id}/dial": ("customer_id", "line_id"),
        "/api/v1/customers/{customer_id}/contacts/{contact_id}/dial/{index}": ("customer_id", "contact_id", "index"),
        "/api/v1/customers/{customer_id}/notes": ("customer_id",),
        "/api/v1/customers/{customer_id}/notes/{note_id}": ("customer_id", "note_id"),
        "/api/v1/customers/{customer_id}/note-deletions": ("customer_id",),
        "/api/v1/customers/{customer_id}/interactions": ("customer_id",),
        "/api/v1/customers/{customer_id}/financial-summary": ("customer_id",),
        "/api/v1/customers/{customer_id}/consents": ("customer_id",),
        "/api/v1/customers/{customer_id}/consents/history": ("customer_id",),
        "/api/v1/customers/{customer_id}/offers": ("customer_id",),
        "/api/v1/customers/{customer_id}/offers/{offer_id}": ("customer_id", "offer_id"),
        "/api/v1/customers/{customer_id}/attachments": ("customer_id",),
        "/api/v1/customers/{customer_id}/attachments/{attachment_id}": ("customer_id", "attachment_id"),
        "/api/v1/customers/{customer_id}/attachments/{attachment_id}/content": ("customer_id", "attachment_id"),
        "/api/v1/customers/{customer_id}/interactions/{interaction_id}": ("customer_id", "interaction_id"),
        **{f"/api/v1/customers/{{customer_id}}/interactions/{{interaction_id}}/{action}": (
            "customer_id", "interaction_id") for action in ("close", "next", "followups")},
        **{f"/api/v1/customers/{{customer_id}}/interactions/{{interaction_id}}/followups/{{followup_id}}{action}": (
            "customer_id", "interaction_id", "followup_id") for action in ("", "/cancel")},
        # a reason of the catalogue, read for this customer: only the customer is the record here
        "/api/v1/customers/{customer_id}/interaction-reasons/{reason_id}": ("customer_id", "reason_id"),
    },
    "cases": {
        "/api/v1/cases/{case_id}": ("case_id",),
        **{f"/api/v1/cases/{{case_id}}/{action}": ("case_id",) for action in (
            "dispatch", "cancel", "take", "assign", "priority", "accept", "reject", "close", "reopen", "timeline", "comments", "tasks")},
        "/api/v1/cases/{case_id}/tasks/{task_id}": ("case_id", "task_id"),
        "/api/v1/cases/{case_id}/tasks/{task_id}/complete": ("case_id", "task_id"),
    },
    "notifications": {
        "/api/v1/notifications/{notification_id}/read": ("notification_id",),
        # a customer's reminder settings: managers and the customer's collections agent
        "/api/v1/notifications/reminders/settings/{customer_id}": ("customer_id",),
    },
    # the gateway's own routes (the console takes no id; login and tokens are not records of a branch)
    "gateway": {
        "/api/v1/directory/users/{user_id}": ("user_id",),
        "/api/v1/directory/users/{user_id}/sign-in-lock": ("user_id",),
    },
}
# Reached by whoever holds the permission, at any level and branch: no record scope to test.
COMPANY_WIDE = {
    "customers": {"/api/v1/customers/sales-agent-changes/{change_id}/confirm",  # the proposer's own (404 to others)
                  # dead letters: company-level administrators (manage_users) only, whatever the record
                  "/api/v1/customers/dead-letters/{handler}", "/api/v1/customers/dead-letters/{handler}/replay",
                  "/api/v1/customers/dead-letters/{handler}/{message_id}", "/api/v1/customers/dead-letters/{handler}/{message_id}/replay",
                  "/api/v1/customers/interaction-reasons/{reason_id}", "/api/v1/customers/contact-points/{contact_point_id}",
                  "/api/v1/customers/interaction-macros/{macro_id}",
                  "/api/v1/customers/knowledge-articles/{article_id}",
                  "/api/v1/customers/consent-kinds/{code}", "/api/v1/customers/attachment-types/{type_id}"},
    "cases": {"/api/v1/queues/calendars/{calendar_id}", "/api/v1/queues/{queue_id}",
              # dead letters: company-level administrators (manage_users) only, whatever the record
              "/api/v1/cases/dead-letters/{handler}", "/api/v1/cases/dead-letters/{handler}/replay",
              "/api/v1/cases/dead-letters/{handler}/{message_id}", "/api/v1/cases/dead-letters/{handler}/{message_id}/replay",
              "/api/v1/queues/{queue_id}/members", "/api/v1/queues/{queue_id}/sla",
              "/api/v1/queues/{queue_id}/statistics", "/api/v1/queues/{queue_id}/history",
              "/api/v1/case-types/{case_type_id}",
              "/api/v1/case-types/{case_type_id}/routing-rules",
              "/api/v1/case-types/{case_type_id}/routing-rules/{rule_id}"},
    "notifications": {"/api/v1/notifications/deliveries/{delivery_id}",
                      # dead letters: company-level administrators (manage_users) only, whatever the record
                      "/api/v1/notifications/dead-letters/{handler}", "/api/v1/notifications/dead-letters/{handler}/replay",
                      "/api/v1/notifications/dead-letters/{handler}/{message_id}", "/api/v1/notifications/dead-letters/{handler}/{message_id}/replay",
                      "/api/v1/notifications/deliveries/{delivery_id}/retry",
                      "/api/v1/notifications/templates/{template}/{channel}/{language}",
                      "/api/v1/notifications/templates/{template}/{channel}/{language}/preview",
                      "/api/v1/notifications/reminders/concepts/{concept_id}",
                      # read without login by the feed's token (the token is the key, not the caller)
                      "/api/v1/notifications/calendar/feed/{token}.ics",
                      # answered without login by the survey's signed link (the link is the key)
                      "/api/v1/notifications/surveys/answer/{token}"},
    # an integration's API token: company-level administrators (manage_users) only
    "gateway": {"/api/v1/auth/api-tokens/{token_id}"},
}
# Composed by the gateway from the services' answers to the caller's own token, so their scope is
# the services' (above); tests/integration/gateway/test_customer_cards.py checks the card out of
# reach answers as a missing one, by id and by caller number.
COMPOSED = {"/api/v1/customer-cards/{customer_id}", "/api/v1/customer-cards"}
METHODS = ("get", "post", "put", "patch", "delete")


def _records(apps, api) -> dict[str, str]:
    admin = make_principal(level=1, branch_id=BRANCH_A, department_id=DEPT_A, permissions=PERMISSIONS)
    people = [CREATOR, *PRINCIPALS.values()]
    for name in ("customers", "cases", "notifications"):
        register_users(apps[name], *people)
    with apps["gateway"].extensions["caredesk"].database.session() as session:
        session.add_all([Branch(id=branch, code=code, name=code) for code, branch in (("a", BRANCH_A), ("b", BRANCH_B))])
        session.add_all([Department(id=dep, code=code, name=code) for code, dep in (("da", DEPT_A), ("db", DEPT_B))])
        session.commit()
    user = api["gateway"].post("/api/v1/directory/users", as_=admin, json={
        "username": "zoltan", "full_name": MARKER, "password": "a long enough password", "level": 4,
        "branch_id": str(BRANCH_A), "department_id": str(DEPT_A)})
    assert user.status_code == 201, user.get_json()
    customers = api["customers"]
    card = customers.post("/api/v1/customers", as_=CREATOR, json={
        "code": "M-1", "kind": "person", "name": MARKER, "country": "CO",
        "other_phones": [{"label": "casa", "number": "+57 601 345 6789"}],
        "contacts": [{"name": f"{MARKER} Jr", "phones": ["+57 310 765 4321"]}]})
    assert card.status_code == 201, card.get_json()
    card = card.get_json()
    line = customers.post(f"/api/v1/customers/{card['id']}/lines", as_=admin, if_match=card["version"],
                          json={"number": "+57 300 123 4567", "tariff_plan": "Basic"})
    assert line.status_code == 201, line.get_json()

    note = customers.post(f"/api/v1/customers/{card['id']}/notes", as_=CREATOR, json={"text": MARKER})
    assert note.status_code == 201, note.get_json()
    interaction = customers.post(f"/api/v1/customers/{card['id']}/interactions", as_=CREATOR, json={
        "direction": "inbound", "channel": "phone", "comments": MARKER})
    assert interaction.status_code == 201, interaction.get_json()
    followup = customers.post(f"/api/v1/customers/{card['id']}/interactions/{interaction.get_json()['id']}/followups",
                              as_=CREATOR, json={"date": "2026-12-03", "time": "10:00", "time_zone": "America/Bogota",
                                                 "subject": MARKER})
    assert followup.status_code == 201, followup.get_json()
    offer = customers.post(f"/api/v1/customers/{card['id']}/offers", as_=CREATOR,
                           json={"campaign": MARKER, "channel": "phone"})
    assert offer.status_code == 201, offer.get_json()
    types = customers.get("/api/v1/customers/attachment-types", as_=CREATOR).get_json()["items"]
    attachment = customers.call("POST", f"/api/v1/customers/{card['id']}/attachments", as_=CREATOR,
                                content_type="multipart/form-data", data={
                                    "type_id": next(t["id"] for t in types if t["is_selectable"]),
                                    "interaction_id": interaction.get_json()["id"],
                                    "file": (io.BytesIO(MARKER.encode()), "marker.txt")})
    assert attachment.status_code == 201, attachment.get_json()

    with apps["cases"].extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=uuid.UUID(card["id"]), code="M-1", name=MARKER, branch_id=BRANCH_A,
                                      department_id=DEPT_A, created_by=CREATOR.user_id, source_version=1))
        session.commit()
    cases = api["cases"]
    assert cases.post("/api/v1/queues", as_=admin, json={"code": "delivery", "name": "Delivery"}).status_code == 201
    case = cases.post("/api/v1/cases", as_=CREATOR, json={"customer_code": "M-1", "queue": "delivery",
                                                          "subject": MARKER}).get_json()
    task = cases.post(f"/api/v1/cases/{case['id']}/tasks", as_=CREATOR, json={"title": MARKER}).get_json()

    notice = uuid.uuid4()
    with apps["notifications"].extensions["caredesk"].database.session() as session:
        session.add(Notification(id=notice, event_id=uuid.uuid4(), event_type="case.closed", channel="in_app",
                                 recipient_kind="user", recipient=str(CREATOR.user_id), subject=MARKER, body=MARKER))
        # a queue's notice: for the queue's members (none of the principals) and level 1
        session.add(Notification(id=uuid.uuid4(), event_id=uuid.uuid4(), event_type="case.dispatched", channel="in_app",
                                 recipient_kind="queue", recipient="delivery", subject=MARKER, body=MARKER))
        session.commit()
    return {"customer_id": card["id"], "phone_id": card["other_phones"][0]["id"],
            "contact_id": card["contacts"][0]["id"], "line_id": line.get_json()["id"], "case_id": case["id"],
            "task_id": task["id"], "notification_id": str(notice), "note_id": note.get_json()["id"],
            "interaction_id": interaction.get_json()["id"], "followup_id": followup.get_json()["id"], "reason_id": str(uuid.uuid4()), "index": "0",
            "user_id": user.get_json()["id"], "offer_id": offer.get_json()["id"],
            "attachment_id": attachment.get_json()["id"]}


def _shape(response, requested_id: str) -> tuple[int, str]:
    """Status and body, with the id that was asked for (which the detail may echo) blanked."""
    body = json.dumps(without_correlation(response.get_json()), sort_keys=True)
    return response.status_code, body.replace(requested_id, "<id>")


def test_every_id_route_answers_out_of_scope_as_missing(make_app, client_of):
    apps = {name: make_app(name) for name in ("customers", "cases", "notifications", "gateway")}
    api = {name: client_of(app) for name, app in apps.items()}
    ids = _records(apps, api)
    cells = reads_reached = 0
    for service, app in apps.items():
        document = app.test_client().get("/openapi.json").get_json()
        id_routes = {path for path in document["paths"] if "{" in path}
        unlisted = id_routes - set(ROUTES[service]) - COMPANY_WIDE[service] - COMPOSED
        assert not unlisted, f"{service}: add these routes to the access matrix: {sorted(unlisted)}"
        for path, names in ROUTES[service].items():
            filled = path.format(**{name: ids[name] for name in names})
            absent_id = str(uuid.uuid4())
            missing = path.format(**{name: ids[name] for name in names[1:]} | {names[0]: absent_id})
            for method in (m for m in document["paths"][path] if m in METHODS):
                for who, principal in PRINCIPALS.items():
                    reaches = who in REACHES if service != "notifications" else False
                    if reaches:
                        if method == "get" and "reason_id" not in names:
                            response = api[service].call("GET", filled, as_=principal)
                            assert response.status_code != 404, (service, path, who)
                            reads_reached += 1
                        continue
                    before = fingerprint(app)
                    body = None if method in ("get", "delete") else {}
                    out_of_reach = api[service].call(method.upper(), filled, as_=principal, json=body, if_match=1)
                    absent = api[service].call(method.upper(), missing, as_=principal, json=body, if_match=1)
                    assert out_of_reach.status_code < 500, (service, method, path, who)
                    assert _shape(out_of_reach, ids[names[0]]) == _shape(absent, absent_id), (service, method, path, who)
                    assert MARKER not in out_of_reach.get_data(as_text=True)
                    assert fingerprint(app) == before, (service, method, path, who)
                    cells += 1
    company_wide = sum(len(routes) for routes in COMPANY_WIDE.values())
    print(f"\naccess matrix: {cells} out-of-scope cells answered as missing with no change, {reads_reached} "
          f"in-scope reads reached, {len(PRINCIPALS)} principals; {company_wide} company-wide routes listed")


# Every list, search, count, export, report and statistics route (a GET without an id), with the
# queries that would find the branch-A records; ``True`` where whoever reaches them sees the marker.
LISTS = {
    "customers": {
        "/api/v1/customers": (["", "q=Zoltan", "q=M-1"], True),
        "/api/v1/customers/search": (["q=Zoltan", "q=M-1&by=code", "q=3001234567&by=line", "q=6013456789&by=phone",
                                      "q=3107654321&by=phone"], True),
        "/api/v1/customers/caller": (["number=%2B573001234567", "number=%2B576013456789", "number=%2B573107654321"], True),
        "/api/v1/customers/sales-agents": ([""], False),
        "/api/v1/customers/notes-report": (["", "customer_id={customer_id}", "branch_id={branch_a}",
                                            "author_id={creator}"], True),
        "/api/v1/customers/notes-report.xlsx": (["", "customer_id={customer_id}", "branch_id={branch_a}"], True),
        "/api/v1/customers/interaction-reasons": ([""], False),
        "/api/v1/customers/contact-points": ([""], False),
        "/api/v1/customers/interaction-macros": ([""], False),
        "/api/v1/customers/knowledge-articles": (["", "q=Zoltan"], False),
        "/api/v1/customers/consent-kinds": ([""], False),
        "/api/v1/customers/attachment-types": ([""], False),
        "/api/v1/customers/dead-letters": ([""], False),
    },
    "cases": {
        "/api/v1/cases": (["", "q=Zoltan", "customer_id={customer_id}", "customer_code=M-1", "queue=delivery",
                           "initiator_id={creator}", "number=1"], True),
        "/api/v1/cases/search.xlsx": (["", "q=Zoltan", "customer_id={customer_id}", "queue=delivery",
                                       "breached=false", "priority=normal"], True),
        "/api/v1/cases/folder": ([f"box={box}" for box in ("owned", "created", "returned", "waiting")], False),
        "/api/v1/queues": ([""], False),
        "/api/v1/queues/statistics": ([""], False),
        "/api/v1/queues/history": ([""], False),
        "/api/v1/queues/calendars": ([""], False),
        "/api/v1/case-types": ([""], False),
        "/api/v1/cases/dead-letters": ([""], False),
    },
    "notifications": {
        "/api/v1/notifications": (["", "queue=delivery", "unread=true"], False),
        "/api/v1/notifications/unread": ([""], False),
        "/api/v1/notifications/caught": ([""], False),
        "/api/v1/notifications/deliveries": (["", "recipient={creator}"], False),
        "/api/v1/notifications/templates": ([""], False),
        "/api/v1/notifications/preferences/me": ([""], False),
        "/api/v1/notifications/settings": ([""], False),
        "/api/v1/notifications/reminders/concepts": ([""], False),
        "/api/v1/notifications/account/mailbox": ([""], False),
        "/api/v1/notifications/calendar/feeds/me": ([""], False),
        "/api/v1/notifications/calendar/feeds/department": ([""], False),
        "/api/v1/notifications/surveys/settings": ([""], False),
        "/api/v1/notifications/dead-letters": ([""], False),
    },
    "gateway": {
        "/api/v1/auth/me": ([""], False),
        "/api/v1/auth/api-tokens": ([""], False),
        "/api/v1/directory/branches": ([""], False),
        "/api/v1/directory/departments": ([""], False),
        "/api/v1/directory/users": ([""], True),
        # the follow-up's people picker: a name fragment without accents, or the ids already chosen
        "/api/v1/directory/users/search": (["", "q=zoltan", "q=MARKEROV%20zol", "id={user_id}"], True),
        "/api/v1/directory/audit": (["", "kind=user.created"], False),
    },
}


def _text_of(response) -> str:
    """The answer as text; an .xlsx export's cells read out of its workbook."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        import io

        import openpyxl
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return response.get_data(as_text=True)


def test_every_list_shows_nothing_out_of_scope(make_app, client_of):
    """Lists, searches, reports, exports, counts and statistics: whoever does not reach the records
    gets an answer (empty, or without them) that carries none of their data and changes nothing."""
    apps = {name: make_app(name) for name in ("customers", "cases", "notifications", "gateway")}
    api = {name: client_of(app) for name, app in apps.items()}
    ids = _records(apps, api) | {"branch_a": str(BRANCH_A), "creator": str(CREATOR.user_id)}
    cells = shown = 0
    for service, app in apps.items():
        document = app.test_client().get("/openapi.json").get_json()
        list_routes = {path for path, operations in document["paths"].items() if "{" not in path and "get" in operations}
        unlisted = list_routes - set(LISTS[service]) - COMPOSED
        assert not unlisted, f"{service}: add these lists to the access matrix's LISTS: {sorted(unlisted)}"
        for path, (queries, shows) in LISTS[service].items():
            for query in queries:
                url = f"{path}?{query.format(**ids)}" if query else path
                for who, principal in PRINCIPALS.items():
                    reaches = who in (REACHES if service != "notifications" else LEVEL_1)
                    before = fingerprint(app)
                    response = api[service].get(url, as_=principal)
                    assert response.status_code < 500, (service, url, who, response.get_data(as_text=True))
                    assert fingerprint(app) == before, (service, url, who)
                    if reaches:
                        if shows and response.status_code == 200 and MARKER in _text_of(response):
                            shown += 1
                        continue
                    assert MARKER not in _text_of(response), (service, url, who, response.status_code)
                    cells += 1
    print(f"\naccess matrix, lists: {cells} out-of-scope list/search/report/export cells without the records' data "
          f"and with no change, {shown} in-scope answers showing them")
    assert shown > 0
