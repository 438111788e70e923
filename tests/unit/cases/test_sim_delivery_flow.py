"""Seed 004's SIM delivery, end to end through the API: a case created from an interaction is
refused until its form is complete, dispatched to Delivery, returned for an incomplete address,
corrected, dispatched again, taken, accepted and closed — with the timeline, ages and SLA right
(Moscow business hours, the clock paused while the case was back with the initiator)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from services.cases.sla.check import check_sla
from tests.unit.cases.conftest import queue_version, CUSTOMER_ID, DELIVERY, add_customer_file, make_people, register_users


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def iso(value: datetime) -> str:
    return value.isoformat()


def test_sim_delivery_flow(api, frozen_clock):
    people = make_people("delivery")
    admin, ana, boris = people.admin, people.initiator, people.agent
    register_users(api.app, boris, people.colleague, people.supervisor)

    calendar = api.ok(api.post("/queues/calendars", as_=admin, json={
        "code": "moscow", "name": "Moscow office hours", "time_zone": "Europe/Moscow",
        "working_days": [0, 1, 2, 3, 4], "hours": [{"start": "09:00", "end": "18:00"}],
        "holidays": ["2026-03-09"]}), 201)
    queue = api.ok(api.post("/queues", as_=admin, json={
        "code": "delivery", "name": "Delivery", "department_id": str(DELIVERY),
        "supervisor_id": str(people.supervisor.user_id), "calendar_id": calendar["id"]}), 201)
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=queue_version(api, queue, admin), json={"policies": [
        {"priority": "high", "acceptance_minutes": 120, "resolution_minutes": 480}]}))
    api.ok(api.post("/case-types", as_=admin, json={
        "code": "sim-delivery", "name": "SIM card delivery by courier", "queue": "delivery",
        "default_priority": "high", "form": [
            {"name": "address", "label": "Delivery address", "type": "text", "required": True},
            {"name": "delivery_date", "label": "Delivery date", "type": "date", "required": True},
            {"name": "courier_note", "label": "Note for the courier", "type": "string"}]}), 201)

    # Monday 10:00 in Moscow: Ana creates the case from the customer's visit, with its scan.
    frozen_clock.set(utc(2026, 3, 2, 7, 0))
    interaction = str(uuid.uuid4())
    scan = add_customer_file(api.app, interaction_id=uuid.UUID(interaction), interaction_of=ana)
    case = api.ok(api.post("/cases", as_=ana, json={
        "customer_id": str(CUSTOMER_ID), "type": "sim-delivery", "subject": "Deliver a new SIM card",
        "line": "+79161234567", "interaction_id": interaction, "attachment_ids": [str(scan)],
        "custom_fields": {"delivery_date": "2026-03-03"}}), 201)
    assert case["number"].endswith("-000001")
    assert (case["status"], case["priority"], case["queue"]["code"]) == ("open", "high", "delivery")
    assert case["interaction_id"] == interaction and case["attachments"][0]["name"] == "passport.pdf"
    assert case["missing_fields"] == [{"name": "address", "label": "Delivery address"}]
    assert case["allowed_actions"] == ["save", "dispatch", "cancel", "close"]

    frozen_clock.set(utc(2026, 3, 2, 7, 10))
    refused = api.post(f"/cases/{case['id']}/dispatch", as_=ana)
    assert refused.status_code == 422
    assert refused.get_json()["missing_fields"] == [{"name": "address", "label": "Delivery address"}]

    frozen_clock.set(utc(2026, 3, 2, 7, 15))
    case = api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"],
                            json={"custom_fields": {"address": "Tverskaya 1"}}))
    assert case["custom_fields"] == {"address": "Tverskaya 1", "delivery_date": "2026-03-03"}

    # Monday 10:20: dispatched; acceptance due at 12:20, resolution (8 business hours) Tuesday 09:20.
    frozen_clock.set(utc(2026, 3, 2, 7, 20))
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=ana))
    assert case["status"] == "open_dispatch" and case["owner_id"] is None
    assert case["sla"]["acceptance"]["due_at"] == iso(utc(2026, 3, 2, 9, 20))
    assert case["sla"]["acceptance"]["warning_at"] == iso(utc(2026, 3, 2, 8, 56))
    assert case["sla"]["resolution"]["due_at"] == iso(utc(2026, 3, 3, 6, 20))

    # 11:00 Boris takes the next case, finds the flat number missing and returns it at 11:05.
    frozen_clock.set(utc(2026, 3, 2, 8, 0))
    taken = api.ok(api.post("/cases/take-next", as_=boris))
    assert taken["id"] == case["id"] and taken["owner_id"] == str(boris.user_id)
    assert taken["allowed_actions"] == ["accept", "reject"]
    frozen_clock.set(utc(2026, 3, 2, 8, 5))
    case = api.ok(api.post(f"/cases/{case['id']}/reject", as_=boris,
                           json={"reason": "The address has no flat number."}))
    assert (case["status"], case["owner_id"]) == ("open_reject", str(ana.user_id))
    assert case["reject_reason"] == "The address has no flat number."
    assert case["sla"]["paused"] is True
    assert case["queue_age_seconds"] == 45 * 60

    folder = api.ok(api.get("/cases/folder", as_=ana, query={"box": "returned"}))
    assert [item["id"] for item in folder["items"]] == [case["id"]]

    # Nothing is late while the case is back with Ana, even past the acceptance target.
    assert not any(check_sla(api.app.extensions["caredesk"].database, now=utc(2026, 3, 2, 14, 0)).values())

    # Tuesday 10:00 Ana corrects and dispatches again: the paused 7 h 55 min of business time
    # move both targets (acceptance 45 of 120 minutes used, resolution 45 of 480).
    frozen_clock.set(utc(2026, 3, 3, 7, 0))
    case = api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"],
                            json={"custom_fields": {"address": "Tverskaya 1, flat 12"}}))
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=ana, if_match=case["version"]))
    assert case["sla"]["paused"] is False
    assert case["sla"]["paused_business_seconds"] == 475 * 60
    assert case["sla"]["acceptance"]["due_at"] == iso(utc(2026, 3, 3, 8, 15))
    assert case["sla"]["resolution"]["due_at"] == iso(utc(2026, 3, 3, 14, 15))

    frozen_clock.set(utc(2026, 3, 3, 7, 30))
    assert api.ok(api.post("/cases/take-next", as_=boris))["id"] == case["id"]
    frozen_clock.set(utc(2026, 3, 3, 7, 40))
    case = api.ok(api.post(f"/cases/{case['id']}/accept", as_=boris))
    assert (case["status"], case["owner_id"]) == ("open", str(boris.user_id))
    assert case["sla"]["acceptance"]["met"] is True
    assert case["queue_age_seconds"] == (45 + 40) * 60

    frozen_clock.set(utc(2026, 3, 3, 12, 0))
    case = api.ok(api.post(f"/cases/{case['id']}/close", as_=boris, json={"resolution": "Delivered, signed."}))
    assert (case["status"], case["resolution"]) == ("closed", "Delivered, signed.")
    assert case["sla"]["resolution"]["met"] is True
    assert case["age_seconds"] == 29 * 3600
    assert case["allowed_actions"] == ["reopen"]

    timeline = api.ok(api.get(f"/cases/{case['id']}/timeline", as_=ana))["items"]
    assert [(entry["action"], entry["status_to"]) for entry in timeline] == [
        ("created", "open"), ("saved", "open"), ("dispatched", "open_dispatch"), ("taken", "open_dispatch"),
        ("rejected", "open_reject"), ("saved", "open_reject"), ("dispatched", "open_dispatch"),
        ("taken", "open_dispatch"), ("accepted", "open"), ("closed", "closed")]
    assert {entry["actor_id"] for entry in timeline} == {str(ana.user_id), str(boris.user_id)}
    assert timeline[4]["detail"] == {"reason": "The address has no flat number."}

    # Closed cases leave the folders but are found by search.
    assert api.ok(api.get("/cases/folder", as_=ana, query={"box": "created"}))["total"] == 0
    found = api.ok(api.get("/cases", as_=ana, query={"number": case["number"]}))
    assert [item["status"] for item in found["items"]] == ["closed"]
