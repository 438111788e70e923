"""A case created from an interaction carries that interaction's files by reference: the ids the
request names are resolved in the caller's reach against the files the customers service announced
(attachment.added.v1), refused alike when missing, out of reach or someone else's, shown on the
case with where to download them, and sent in every case event."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.cases.models import Case, CustomerReadModel
from tests.conftest import make_principal
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID, FRONT_OFFICE, add_customer_file, new_case
from tests.unit.cases.test_sla_check import outbox_events

REFUSED = ["No such file on the customer's account or on the case's interaction."]
PROSPECT_ID = uuid.uuid4()


def case_count(app) -> int:
    with app.extensions["caredesk"].database.session() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_a_case_from_an_interaction_carries_its_files_and_the_agent_sees_where_to_download_them(api, people):
    interaction = uuid.uuid4()
    scan = add_customer_file(api.app, interaction_id=interaction, interaction_of=people.initiator)
    power = add_customer_file(api.app, filename="power of attorney.pdf")  # a paper on the account
    case = new_case(api, people.initiator, interaction_id=str(interaction), attachment_ids=[str(scan), str(power)])
    assert [(item["id"], item["name"], item["interaction_id"]) for item in case["attachments"]] == [
        (str(scan), "passport.pdf", str(interaction)), (str(power), "power of attorney.pdf", None)]
    assert case["attachments"][0] | {"id": None} == {
        "id": None, "name": "passport.pdf", "type": "Passport", "content_type": "application/pdf",
        "size_bytes": 1234, "sha256": "ab" * 32, "interaction_id": str(interaction),
        "download_path": f"/api/v1/customers/{CUSTOMER_ID}/attachments/{scan}/content"}
    [created] = outbox_events(api.app, "case.created.v1")
    assert created["attachment_ids"] == [str(scan), str(power)]

    # the back office reads them on the case once it is in their queue
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    taken = api.ok(api.post("/cases/take-next", as_=people.agent))
    assert [item["download_path"] for item in taken["attachments"]] == [
        f"/api/v1/customers/{CUSTOMER_ID}/attachments/{scan}/content",
        f"/api/v1/customers/{CUSTOMER_ID}/attachments/{power}/content"]
    [dispatched] = outbox_events(api.app, "case.dispatched.v1")
    assert dispatched["attachment_ids"] == [str(scan), str(power)]


def test_a_missing_file_another_customer_s_or_another_interaction_s_is_refused_alike_and_nothing_is_written(
        api, people):
    interaction = uuid.uuid4()
    other_customer = uuid.uuid4()
    with api.app.extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=other_customer, code="C-8", name="Olga", branch_id=BRANCH,
                                      created_by=people.initiator.user_id, source_version=1))
        session.commit()
    theirs = add_customer_file(api.app, customer_id=other_customer)
    elsewhere = add_customer_file(api.app, interaction_id=uuid.uuid4(), interaction_of=people.initiator)
    mine = add_customer_file(api.app, interaction_id=interaction, interaction_of=people.initiator)
    refused = api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "SIM", "interaction_id": str(interaction),
        "attachment_ids": [str(mine), str(uuid.uuid4()), str(theirs), str(elsewhere)]})
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.get_json()["errors"] == {"attachment_ids.1": REFUSED, "attachment_ids.2": REFUSED,
                                            "attachment_ids.3": REFUSED}
    # an interaction's file needs the case to name that interaction
    without = api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "SIM", "attachment_ids": [str(mine)]})
    assert without.status_code == 422 and without.get_json()["errors"] == {"attachment_ids.0": REFUSED}
    twice = api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "SIM", "interaction_id": str(interaction),
        "attachment_ids": [str(mine), str(mine)]})
    assert twice.status_code == 422 and set(twice.get_json()["errors"]) == {"attachment_ids"}
    assert case_count(api.app) == 0 and outbox_events(api.app, "case.created.v1") == []


def test_a_prospect_s_file_follows_the_interaction_s_reach(api, people):
    with api.app.extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=PROSPECT_ID, code="0", name="Prospect", source_version=1))
        session.commit()
    interaction = uuid.uuid4()
    stranger = make_principal(username="kim.front", level=4, branch_id=BRANCH, department_id=FRONT_OFFICE)
    theirs = add_customer_file(api.app, customer_id=PROSPECT_ID, interaction_id=interaction, interaction_of=stranger)
    body = {"customer_id": str(PROSPECT_ID), "queue": "delivery", "subject": "Caller without a contract",
            "interaction_id": str(interaction), "attachment_ids": [str(theirs)]}
    refused = api.post("/cases", as_=people.initiator, json=body)  # level 4: not her interaction
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"attachment_ids.0": REFUSED}
    assert api.ok(api.post("/cases", as_=stranger, json=body), 201)["attachments"][0]["id"] == str(theirs)


def test_saving_checks_the_files_again_when_they_or_the_interaction_change(api, people):
    first, second = uuid.uuid4(), uuid.uuid4()
    scan = add_customer_file(api.app, interaction_id=first, interaction_of=people.initiator)
    receipt = add_customer_file(api.app, interaction_id=second, interaction_of=people.initiator, filename="receipt.png")
    case = new_case(api, people.initiator, interaction_id=str(first), attachment_ids=[str(scan)])

    moved = api.patch(f"/cases/{case['id']}", as_=people.initiator, if_match=case["version"],
                      json={"interaction_id": str(second)})  # the scan belongs to the first interaction
    assert moved.status_code == 422 and moved.get_json()["errors"] == {"attachment_ids.0": REFUSED}
    saved = api.ok(api.patch(f"/cases/{case['id']}", as_=people.initiator, if_match=case["version"],
                             json={"interaction_id": str(second), "attachment_ids": [str(receipt)]}))
    assert [item["name"] for item in saved["attachments"]] == ["receipt.png"]
    [event] = outbox_events(api.app, "case.saved.v1")
    assert event["attachment_ids"] == [str(receipt)] and "attachments" in event["changed"]


def test_the_same_announcement_twice_keeps_the_file_as_first_told(api, people):
    interaction = uuid.uuid4()
    scan = add_customer_file(api.app, interaction_id=interaction, interaction_of=people.initiator)
    add_customer_file(api.app, interaction_id=interaction, interaction_of=people.initiator, attachment_id=scan,
                      filename="renamed.pdf")
    case = new_case(api, people.initiator, interaction_id=str(interaction), attachment_ids=[str(scan)])
    assert [item["name"] for item in case["attachments"]] == ["passport.pdf"]
