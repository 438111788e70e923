"""What the supervisor's dashboard needs from the cases API: the search narrowed to the cases behind a
chart (priority, missed SLA target), and the supervisor changing the priority of a case in the queue
or in work (the new priority's SLA targets apply; refused to others and in other states); who holds
the queue's cases; the search exported as .xlsx."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

from openpyxl import load_workbook

from services.cases.models import directory_users
from tests.unit.cases.test_sla_check import check, make_sla_queue, msk, outbox_events
from tests.unit.cases.conftest import queue_version, new_case, register_users


def subjects(page: dict) -> list[str]:
    return sorted(item["subject"] for item in page["items"])


def test_search_narrows_to_missed_sla_targets_and_priorities(api, people, frozen_clock):
    queue = make_sla_queue(api, people)
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=people.admin, if_match=queue_version(api, queue, people.admin), json={"policies": [
        {"priority": "normal", "acceptance_minutes": 60, "resolution_minutes": 240, "warning_percent": 50},
        {"priority": "urgent", "acceptance_minutes": 600, "resolution_minutes": 900, "warning_percent": 50}]}))
    frozen_clock.set(msk(2, 10))
    made = {}
    for subject, priority in (("late", "normal"), ("calm", "urgent"), ("draft", "normal")):
        made[subject] = new_case(api, people.initiator, subject=subject, priority=priority)
    for subject in ("late", "calm"):
        api.ok(api.post(f"/cases/{made[subject]['id']}/dispatch", as_=people.initiator))
    assert check(api, msk(2, 11, 1)) == {"acceptance_breach": 1}

    search = lambda **q: subjects(api.ok(api.get("/cases", as_=people.supervisor, query={"queue": "delivery", **q})))  # noqa: E731
    assert search(breached="true") == ["late"]
    listed = api.ok(api.get("/cases", as_=people.supervisor, query={"queue": "delivery"}))["items"]
    assert {item["subject"]: item["breached"] for item in listed} == {"late": True, "calm": False}
    assert search(breached="false") == ["calm"], "the draft is its initiator's alone"
    assert search(priority=["urgent"]) == ["calm"]
    assert search(priority=["urgent", "normal"], breached="true") == ["late"]
    assert api.get("/cases", as_=people.supervisor, query={"priority": ["soon"]}).status_code == 422
    assert api.get("/cases", as_=people.supervisor, query={"breached": "maybe"}).status_code == 422


def test_the_statistics_say_who_holds_what_every_member_included(api, people, frozen_clock):
    make_sla_queue(api, people)
    frozen_clock.set(msk(2, 10))
    made = [api.ok(api.post(f"/cases/{new_case(api, people.initiator, subject=f'case {n}')['id']}/dispatch",
                            as_=people.initiator)) for n in range(4)]
    agent, colleague = people.agent, people.colleague
    api.ok(api.post(f"/cases/{made[0]['id']}/assign", as_=people.supervisor, json={"assignee_id": str(agent.user_id)}))
    api.ok(api.post(f"/cases/{made[1]['id']}/assign", as_=people.supervisor, json={"assignee_id": str(agent.user_id)}))
    api.ok(api.post(f"/cases/{made[1]['id']}/accept", as_=agent))
    assert check(api, msk(2, 11, 1)) == {"acceptance_breach": 3}  # made[1] was accepted in time
    # the supervisor moves a late one from Boris to Vera; someone who left the queue still holds one
    api.ok(api.post(f"/cases/{made[0]['id']}/assign", as_=people.supervisor, json={"assignee_id": str(colleague.user_id)}))
    leaver = people.outsider
    register_users(api.app, replace(leaver, queues=frozenset({"delivery"})))
    api.ok(api.post(f"/cases/{made[2]['id']}/assign", as_=people.supervisor, json={"assignee_id": str(leaver.user_id)}))
    with api.app.extensions["caredesk"].database.session() as session:
        session.execute(directory_users.update().where(directory_users.c.id == leaver.user_id).values(queues=[]))
        session.commit()

    stats = api.ok(api.get(f"/queues/{made[0]['queue']['id']}/statistics", as_=people.supervisor))
    holders = {(row["user"]["full_name"], row["user"]["is_member"]): (row["assigned"], row["in_work"], row["breached"])
               for row in stats["holders"]}
    assert holders == {("Boris.Delivery", True): (0, 1, 0), ("Vera.Delivery", True): (1, 0, 1),
                       ("Linh.Billing", False): (1, 0, 1)}
    assert [row["user"]["full_name"] for row in stats["holders"]] == ["Boris.Delivery", "Linh.Billing", "Vera.Delivery"]
    assert stats["depth"] == 1 and stats["breached_open"] == 3
    listed = api.ok(api.get("/queues/statistics", as_=people.supervisor))["items"]
    assert listed[0]["holders"] == stats["holders"]


def test_the_supervisor_changes_the_priority_and_the_new_targets_apply(api, people, frozen_clock):
    queue = make_sla_queue(api, people)
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=people.admin, if_match=queue_version(api, queue, people.admin), json={"policies": [
        {"priority": "normal", "acceptance_minutes": 60, "resolution_minutes": 240, "warning_percent": 50},
        {"priority": "urgent", "acceptance_minutes": 15, "resolution_minutes": 120, "warning_percent": 50}]}))
    frozen_clock.set(msk(2, 10))
    case = new_case(api, people.initiator)
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    assert case["sla"]["acceptance"]["due_at"] == msk(2, 11).isoformat()
    frozen_clock.advance(minutes=5)

    changed = api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, if_match=case["version"],
                              json={"priority": "urgent"}))
    assert changed["priority"] == "urgent" and changed["version"] > case["version"]
    assert changed["sla"]["acceptance"]["due_at"] == msk(2, 10, 15).isoformat(), "counted from the dispatch"
    assert changed["sla"]["resolution"]["due_at"] == msk(2, 12).isoformat()
    [saved] = outbox_events(api.app, "case.saved.v1")
    assert saved["changed"] == ["priority"] and saved["saved_by"] == str(people.supervisor.user_id)
    timeline = api.ok(api.get(f"/cases/{case['id']}/timeline", as_=people.supervisor))["items"]
    assert timeline[-1]["action"] == "priority_changed"
    assert timeline[-1]["detail"] == {"from": "normal", "to": "urgent"}

    # take-next now serves it before an older normal one
    older = new_case(api, people.initiator, subject="older")
    api.ok(api.post(f"/cases/{older['id']}/dispatch", as_=people.initiator))
    taken = api.ok(api.post("/cases/take-next", as_=people.agent, json={}))
    assert taken["id"] == case["id"]

    # the same priority again changes nothing; a stale version is refused
    same = api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={"priority": "urgent"}))
    assert same["version"] == taken["version"]
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, if_match=case["version"],
                    json={"priority": "low"}).status_code == 412
    # in work: still the supervisor's to change
    accepted = api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))
    assert api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor,
                           json={"priority": "high"}))["priority"] == "high"
    assert accepted["status"] == "open"


def test_priority_changes_are_refused_to_others_and_outside_the_queue(api, people, frozen_clock):
    draft = new_case(api, people.initiator)
    # a draft is its initiator's to save, not even an administrator's to reprioritise
    refused = api.post(f"/cases/{draft['id']}/priority", as_=people.admin, json={"priority": "urgent"})
    assert refused.status_code == 409 and refused.get_json()["case_status"] == "open"
    case = api.ok(api.post(f"/cases/{draft['id']}/dispatch", as_=people.initiator))
    for who in (people.agent, people.initiator):
        assert api.post(f"/cases/{case['id']}/priority", as_=who, json={"priority": "urgent"}).status_code == 409
    # out of reach: like a missing case
    assert api.post(f"/cases/{case['id']}/priority", as_=people.outsider, json={"priority": "urgent"}).status_code == 404
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={"priority": "soon"}).status_code == 422
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={}).status_code == 422
    # an administrator who manages queues supervises every queue
    assert api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.admin,
                           json={"priority": "low"}))["priority"] == "low"
    closed = api.ok(api.post(f"/cases/{case['id']}/assign", as_=people.supervisor,
                             json={"assignee_id": str(people.agent.user_id)}))
    api.ok(api.post(f"/cases/{closed['id']}/accept", as_=people.agent))
    api.ok(api.post(f"/cases/{closed['id']}/close", as_=people.agent, json={"resolution": "Delivered."}))
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor,
                    json={"priority": "urgent"}).status_code == 409


def export(api, who, *, language: str, **query):
    response = api.client.get("/api/v1/cases/search.xlsx", query_string=query,
                              headers=api.headers(who) | {"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Language"] == language.split("-")[0]
    return load_workbook(io.BytesIO(response.data)).active


def test_the_case_search_is_exported_as_xlsx_in_the_readers_language(api, people, frozen_clock):
    frozen_clock.set(msk(2, 10))
    made = [new_case(api, people.initiator, subject=f"Entrega {index}", priority=priority)
            for index, priority in enumerate(("urgent", "normal", "low"))]
    made.append(new_case(api, people.initiator, subject="=HYPERLINK(\"http://evil\")"))
    for case in made[:2]:
        api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    api.ok(api.post(f"/cases/{made[0]['id']}/assign", as_=people.supervisor,
                    json={"assignee_id": str(people.agent.user_id)}))

    sheet = export(api, people.initiator, language="es-CO,es;q=0.9", tz="America/Bogota", sort="number")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Número", "Creado", "Asunto", "Código de cliente")
    assert len(rows) == 1 + 4, "every case the search finds, no paging"
    first = rows[1]
    assert first[0] == made[0]["number"] and first[2] == "Entrega 0"
    assert (first[8], first[9], first[10]) == ("Urgente", "En cola", "Boris.Delivery")
    assert sheet.cell(row=2, column=2).is_date
    # Bogotá is UTC-5: 10:00 in Moscow (07:00 UTC) is 02:00 there
    assert sheet.cell(row=2, column=2).value == datetime(2026, 3, 2, 2, 0)
    assert sheet.cell(row=2, column=12).is_date, "dispatched"
    assert rows[4][2] == "=HYPERLINK(\"http://evil\")" and sheet.cell(row=5, column=3).data_type == "s"

    # the same filters as the search: only what it would list
    sheet = export(api, people.initiator, language="ru", priority=["urgent", "low"], status=["open_dispatch"])
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Номер" and [row[2] for row in rows[1:]] == ["Entrega 0"]
    assert [row[0] for row in export(api, people.outsider, language="vi").iter_rows(values_only=True)] == ["Số"], \
        "someone who reaches none of them gets the header alone"
    refused = api.get("/cases/search.xlsx", as_=people.initiator, query={"tz": "Mars/Olympus"})
    assert refused.status_code == 422 and "tz" in refused.get_json()["errors"]
