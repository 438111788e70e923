"""customer.addresses.v1 (CONTRACTS.md): where a customer and its contacts can be reached, written in
the same transaction as the customer's creation and as any change of its e-mail, phones, language or
contacts; never for other changes."""
from __future__ import annotations

from tests.unit.customers.conftest import if_match

SHAPE = {"customer_id", "customer_code", "name", "language", "email", "mobile", "contacts", "version"}


def addresses(outbox) -> list[dict]:
    return [data for key, data in outbox() if key == "customer.addresses.v1"]


def test_created_customer_announces_its_addresses_with_the_first_mobile(make_customer, outbox):
    card = make_customer(name="Nguyễn Văn An", language="vi", email="An@Example.VN", country="VN",
                         phone="+84 24 3825 1234", phone2="+84 91 234 56 78",
                         contacts=[{"name": "Trần Thị Bình", "phones": ["+84 24 3825 9999", "+84 90 123 45 67"],
                                    "email": "binh@example.vn", "language": "vi"}])
    (event,) = addresses(outbox)
    assert set(event) == SHAPE
    contact = card["contacts"][0]
    assert event == {"customer_id": card["id"], "customer_code": card["code"], "name": "Nguyễn Văn An",
                     "language": "vi", "email": "An@example.vn", "mobile": "+84912345678",
                     "contacts": [{"id": contact["id"], "name": "Trần Thị Bình", "email": "binh@example.vn",
                                   "mobile": "+84901234567", "language": "vi"}],
                     "version": card["version"]}


def test_each_change_of_a_way_to_reach_announces_them_and_other_changes_do_not(client, admin, make_customer, outbox):
    card = make_customer(language="es-CO", phone="+57 601 345 6789")
    (created,) = addresses(outbox)
    assert (created["language"], created["mobile"], created["email"], created["contacts"]) == ("es", None, None, [])
    url = f"/api/v1/customers/{card['id']}"

    described = client.patch(url, headers=if_match(admin[1], card["version"]), json={"description": "VIP"})
    assert described.status_code == 200
    assert len(addresses(outbox)) == 1, "a description is no way to reach the customer"

    mailed = client.patch(url, headers=if_match(admin[1], described.get_json()["version"]),
                          json={"email": "jose@example.co", "language": "pt"})
    event = addresses(outbox)[-1]
    assert (event["email"], event["language"], event["version"]) == ("jose@example.co", None, mailed.get_json()["version"])

    phone = client.post(f"{url}/phones", headers=if_match(admin[1], mailed.get_json()["version"]),
                        json={"label": "móvil", "number": "310 765 4321"})
    assert phone.status_code == 201
    assert addresses(outbox)[-1]["mobile"] == "+573107654321"

    contact = client.post(f"{url}/contacts", headers=if_match(admin[1], phone.headers["ETag"].strip('"')),
                          json={"name": "Luisa", "email": "luisa@example.co"})
    assert contact.status_code == 201
    assert [c["name"] for c in addresses(outbox)[-1]["contacts"]] == ["Luisa"]
    removed = client.delete(f"{url}/contacts/{contact.get_json()['id']}",
                            headers=if_match(admin[1], contact.headers["ETag"].strip('"')))
    assert removed.status_code == 204
    assert addresses(outbox)[-1]["contacts"] == []
    assert len(addresses(outbox)) == 5
    assert all(set(event) == SHAPE for event in addresses(outbox))
