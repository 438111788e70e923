"""Change history, optimistic concurrency and races on PostgreSQL, with the events in the outbox."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from tests.integration.customers.conftest import if_match, iccid

pytestmark = pytest.mark.integration


def history(client, headers, customer_id, **params) -> dict:
    response = client.get(f"/api/v1/customers/{customer_id}/history", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_field_change_of_customer_contacts_phones_and_lines_is_recorded(client, manager, make_customer,
                                                                              events_of):
    customer = make_customer(name="Nguyễn Văn An", country="VN", phone="0912 345 678")
    url = f"/api/v1/customers/{customer['id']}"
    steps = [
        ("PATCH", url, {"phone": "0912 345 679", "address": "12 Lê Lợi"}),
        ("POST", f"{url}/phones", {"label": "công ty", "number": "028 3822 1234"}),
        ("POST", f"{url}/contacts", {"name": "Lê Thị Hoa", "phones": ["0987 654 321"]}),
        ("POST", f"{url}/lines", {"number": "0912 777 888", "tariff_plan": "Basic", "iccid": iccid(77)}),
    ]
    created = {}
    for version, (method, path, body) in enumerate(steps, start=1):
        response = client.open(path, method=method, headers=if_match(manager[1], version), json=body)
        assert response.status_code in (200, 201), response.get_json()
        created[path.rsplit("/", 1)[-1]] = response.get_json()
    more = [
        ("PATCH", f"{url}/phones/{created['phones']['id']}", {"label": "văn phòng"}),
        ("PATCH", f"{url}/contacts/{created['contacts']['id']}", {"receives_notices": True}),
        ("PATCH", f"{url}/lines/{created['lines']['id']}", {"status": "blocked", "tariff_plan": "Max"}),
        ("DELETE", f"{url}/phones/{created['phones']['id']}", None),
    ]
    for version, (method, path, body) in enumerate(more, start=5):
        response = client.open(path, method=method, headers=if_match(manager[1], version), json=body)
        assert response.status_code in (200, 204), response.get_data(as_text=True)
    entries = history(client, manager[1], customer["id"], per_page=200)["items"]
    seen = {(e["entity"], e["field"], e["old_value"], e["new_value"]) for e in entries}
    for expected in [("customer", "phone", "+84912345678", "+84912345679"),
                     ("customer", "address", "", "12 Lê Lợi"),
                     ("phone", "number", None, "+842838221234"),
                     ("phone", "label", "công ty", "văn phòng"),
                     ("phone", "label", "văn phòng", None),
                     ("contact", "receives_notices", "false", "true"),
                     ("line", "status", "active", "blocked"),
                     ("line", "tariff_plan", "Basic", "Max")]:
        assert expected in seen, expected
    assert {e["actor_id"] for e in entries} == {str(manager[0].user_id)}
    events = events_of(customer["id"])
    assert [key for key, _ in events] == ["customer.created.v1"] + ["customer.updated.v1"] * 8
    assert [data["version"] for _, data in events] == list(range(1, 10))
    assert events[-1][1]["changed"] == ["phone.deleted"]
    assert {"id", "code", "name", "branch_id", "department_id", "version"} <= set(events[1][1])


def test_history_by_week_month_and_range_in_the_agents_time_zone(client, app, manager, make_customer):
    customer = make_customer()
    database = app.extensions["caredesk"].database
    now = datetime.now(timezone.utc)
    moments = {"40 days ago": now - timedelta(days=40), "10 days ago": now - timedelta(days=10)}
    with database.engine.begin() as connection:
        for label, moment in moments.items():
            connection.execute(text(
                "INSERT INTO customer_changes (id, customer_id, entity, entity_id, field, old_value, new_value, "
                "actor_id, changed_at) VALUES (:id, :c, 'customer', :c, 'description', NULL, :label, NULL, :at)"),
                {"id": uuid.uuid4(), "c": uuid.UUID(customer["id"]), "label": label, "at": moment})

    def labels(**params):
        return [e["new_value"] for e in history(client, manager[1], customer["id"], **params)["items"]
                if e["field"] == "description"]

    assert labels() == []                                  # this week: only today's creation
    assert labels(period="month") == (["10 days ago"] if (now - timedelta(days=10)).month == now.month else [])
    day = (now - timedelta(days=40)).date()
    assert labels(**{"from": day.isoformat(), "to": day.isoformat(), "tz": "UTC"}) == ["40 days ago"]
    everything = labels(**{"from": (now - timedelta(days=60)).date().isoformat(), "to": now.date().isoformat()})
    assert everything == ["10 days ago", "40 days ago"]
    paged = history(client, manager[1], customer["id"], per_page=2, page=2,
                    **{"from": (now - timedelta(days=60)).date().isoformat(), "to": now.date().isoformat()})
    assert paged["total"] == 6 and len(paged["items"]) == 2  # code, kind, name, country + the two above


def race(requests) -> list:
    """Run the callables at the same moment; their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        barrier.wait()
        results[index] = request()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("round_", range(5))
def test_two_writers_with_the_same_version_one_wins_the_other_gets_412(app, manager, make_customer, events_of,
                                                                      round_):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}"

    def writer(address):
        return lambda: app.test_client().patch(url, headers=if_match(manager[1], 1), json={"address": address})

    first, second = race([writer("Calle 1"), writer("Carrera 2")])
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    card = app.test_client().get(url, headers=manager[1])
    assert card.get_json()["address"] == winner.get_json()["address"] and card.headers["ETag"] == '"2"'
    addresses = [e["new_value"] for e in history(app.test_client(), manager[1], customer["id"])["items"]
                 if e["field"] == "address"]
    assert addresses == [winner.get_json()["address"]]
    assert [key for key, _ in events_of(customer["id"])] == ["customer.created.v1", "customer.updated.v1"]


def test_two_lines_racing_for_one_number_one_gets_it(app, manager, make_customer):
    first, second = make_customer(country="VN"), make_customer(country="VN")
    number = f"0912 {uuid.uuid4().int % 1000:03d} {uuid.uuid4().int % 1000:03d}"

    def add(customer, seed):
        return lambda: app.test_client().post(
            f"/api/v1/customers/{customer['id']}/lines", headers=if_match(manager[1], 1),
            json={"number": number, "tariff_plan": "Basic", "iccid": iccid(seed)})

    results = race([add(first, 1001), add(second, 1002)])
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.get_json()["type"].endswith("/line-number-taken")


def test_two_customers_racing_for_one_tax_number_one_gets_it(app, manager):
    tax = str(uuid.uuid4().int % 10**10)

    def create():
        return app.test_client().post("/api/v1/customers", headers=manager[1], json={
            "code": f"R-{uuid.uuid4().hex[:10]}", "kind": "person", "name": "Ana", "country": "CO", "tax_number": tax})

    results = race([create, create])
    assert sorted(r.status_code for r in results) == [201, 409]
