"""The supervisor dashboard through Flask's test client with the cases API answered by a fake: the
charts and the tables beside them built from the API's figures (SVG without script, hidden from
screen readers, each bar and each table cell leading to the cases behind it), the period in the
user's time zone, only the queues the user supervises, and the case search and priority change the
drill-down leads to."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest

from gateway.console import charts
from services.cases.schemas import FOLDER_BOXES
from gateway.console.api_client import Api, Answer
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, sign_in

SOFIA, BORIS, VERA = (str(uuid.uuid4()) for _ in range(3))
DELIVERY, BILLING = str(uuid.uuid4()), str(uuid.uuid4())
CASE = str(uuid.uuid4())
QUEUES = [{"id": DELIVERY, "code": "delivery", "name": "Delivery", "supervisor_id": SOFIA},
          {"id": BILLING, "code": "billing", "name": "Billing", "supervisor_id": str(uuid.uuid4())}]


def ref(queue: dict) -> dict:
    return {key: queue[key] for key in ("id", "code", "name")}


def statistics(queue: dict, **figures) -> dict:
    return {"queue": ref(queue), "depth": 3, "assigned": 1, "in_work": 2, "returned": 0,
            "oldest_age_seconds": 7200.0, "median_age_seconds": 1800.0, "window_hours": 24,
            "accepted_per_hour": 0.5, "closed_per_hour": 0.25,
            "acceptance_sla": {"decided": 4, "met": 3, "rate": 0.75}, "resolution_sla": {"decided": 0, "met": 0, "rate": None},
            "breached_open": 2, "satisfaction": {"answers": 2, "average": 4.5},
            "holders": [{"user": {"id": BORIS, "full_name": "Boris Sokolov", "is_member": True}, "assigned": 1, "in_work": 2, "breached": 1},
                        {"user": {"id": VERA, "full_name": None, "is_member": False}, "assigned": 0, "in_work": 1, "breached": 0}],
            "as_of": "2026-11-30T15:00:00+00:00"} | figures


def snapshot(slot: str, waiting: int, oldest: float | None, median: float | None) -> dict:
    return {"slot": slot, "taken_at": slot, "waiting": waiting, "assigned": 0, "in_work": 1, "returned": 0,
            "oldest_age_seconds": oldest, "median_age_seconds": median, "breached_open": 0}


def history(queue: dict, *, start="2026-11-30T05:00:00+00:00", end="2026-12-01T05:00:00+00:00", snapshots=None,
            per_hour=None, attainment=None) -> dict:
    return {"queue": ref(queue), "from": start, "to": end,
            "snapshots": snapshots if snapshots is not None else [
                snapshot("2026-11-30T14:00:00+00:00", 2, 3600.0, 1800.0),
                snapshot("2026-11-30T14:15:00+00:00", 4, 4500.0, None)],
            "per_hour": per_hour if per_hour is not None else [
                {"hour": "2026-11-30T13:00:00+00:00", "accepted": 2, "closed": 1},
                {"hour": "2026-11-30T14:00:00+00:00", "accepted": 1, "closed": 0},
                {"hour": "2026-11-30T23:00:00+00:00", "accepted": 0, "closed": 0}],
            "sla_attainment": attainment if attainment is not None else [
                {"target": "acceptance", "priority": "urgent", "decided": 2, "met": 1, "rate": 0.5},
                {"target": "acceptance", "priority": "normal", "decided": 1, "met": 1, "rate": 1.0},
                {"target": "acceptance", "priority": "low", "decided": 0, "met": 0, "rate": None},
                {"target": "resolution", "priority": "urgent", "decided": 0, "met": 0, "rate": None}],
            "satisfaction": {"answers": 1, "average": 5.0}}


class FakeCases:
    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self.answers: dict[tuple[str, str], Answer] = {}

    def call(self, method, path, *, json=None, params=None, if_match=None, **_kwargs) -> Answer:
        self.sent.append((method, path, json, params, if_match))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if path == "queues":
            return Answer(200, QUEUES)
        if path == "queues/statistics":
            return Answer(200, [statistics(queue) for queue in QUEUES])
        if path == "queues/history":
            return Answer(200, [history(queue, start=params["from"], end=params["to"]) for queue in QUEUES])
        if path == "notifications/unread":
            return Answer(200, {"unread": 0})
        if path == "cases/folder":
            return Answer(200, {"items": [], "total": 0, "page": 1, "per_page": 5, "box": "owned",
                                "counts": {box: 0 for box in FOLDER_BOXES}, "links": {"next": None, "previous": None}})
        if method == "GET":
            return Answer(200, [])
        return Answer(500, {"detail": "unexpected"})

    def asked(self, path: str) -> list[tuple]:
        return [sent for sent in self.sent if sent[1] == path]


def as_user(console, **user) -> None:
    with console.session_transaction() as session:
        session["user"] = {"id": SOFIA, "username": "sofia.supervisor", "full_name": "Sofía Vargas", "level": 3,
                           "email": None, "unit": "Delivery", "permissions": [], "queues": ["delivery"],
                           "supervises": True} | user


@pytest.fixture
def cases(console, monkeypatch):
    sign_in(console, lang="es", tz="America/Bogota")
    fake = FakeCases()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(method, path, **kwargs), method, path))
    return fake


@pytest.fixture
def in_spanish(app):
    with app.test_request_context("/dashboard", headers={"Accept-Language": "es"}):
        from flask import session
        session["lang"], session["tz"] = "es", "America/Bogota"
        yield


def links(svg: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'<a [^>]*href="([^"]+)"', svg)]


def test_a_chart_is_svg_without_script_hidden_from_screen_readers_and_its_bars_lead_to_the_cases(in_spanish):
    chart = charts.states_chart([statistics(QUEUES[0]), statistics(QUEUES[1], depth=0, assigned=0, returned=5)])
    svg = str(chart.svg)
    assert svg.startswith("<svg") and "<script" not in svg and 'aria-hidden="true"' in svg
    assert all('tabindex="-1"' in anchor for anchor in re.findall(r"<a [^>]*>", svg))
    assert "/cases?queue=delivery&go=1&status=open_dispatch" in links(svg)
    assert "/cases?queue=billing&go=1&status=open_reject" in links(svg)
    assert "En cola" in svg and "Devuelto" in svg  # the states named in the reader's language
    assert chart.table.columns[0] == "Cola"
    (delivery, (waiting, assigned, in_work, returned)), (billing, billing_cells) = chart.table.rows
    assert delivery == "Delivery" and (waiting.text, assigned.text, in_work.text, returned.text) == ("3", "1", "2", "0")
    assert in_work.href == "/cases?queue=delivery&go=1&status=open"
    assert billing_cells[3].text == "5" and billing_cells[3].href.endswith("status=open_reject")


def test_attainment_per_queue_and_priority_lists_only_decided_targets_and_links_the_missed_ones(in_spanish):
    chart = charts.attainment_chart([history(QUEUES[0])], target="acceptance")
    rows = {header: [cell.text for cell in cells] for header, cells in chart.table.rows}
    assert rows == {"Delivery · Urgente": ["2", "1", "1", "50\xa0%"], "Delivery · Normal": ["1", "1", "0", "100\xa0%"]}
    urgent, normal = (cells for _header, cells in chart.table.rows)
    assert urgent[2].href == "/cases?queue=delivery&go=1&priority=urgent&breached=true" and normal[2].href is None
    assert "/cases?queue=delivery&go=1&priority=urgent&breached=true" in links(str(chart.svg))
    nothing = charts.attainment_chart([history(QUEUES[0])], target="resolution")
    assert nothing.svg is None and nothing.table.rows == [], "no target decided: nothing to draw"


def test_depth_and_age_follow_the_snapshots_in_the_users_time_zone_with_gaps_shown_as_such(in_spanish):
    data = [history(QUEUES[0]), history(QUEUES[1], snapshots=[snapshot("2026-11-30T14:15:00+00:00", 1, 600.0, 600.0)])]
    depth = charts.depth_chart(data)
    assert depth.table.columns == ["Hora", "Delivery", "Billing"]
    assert [(time, [cell.text for cell in cells]) for time, cells in depth.table.rows] == [
        ("30/11/26, 9:00", ["2", "—"]), ("30/11/26, 9:15", ["4", "1"])]  # 14:00 UTC is 9:00 in Bogotá
    age = charts.age_chart(data)
    assert age.table.columns == ["Hora", "Delivery: la más larga", "Delivery: mediana", "Billing: la más larga",
                                 "Billing: mediana"]
    assert [cell.text for cell in age.table.rows[0][1]] == ["60 minutos", "30 minutos", "—", "—"]
    assert [cell.text for cell in age.table.rows[1][1]][1] == "—", "no case waiting: no median"
    svg = str(age.svg)
    assert "1,2" in re.findall(r"<desc class=\"value\">([^<]*)<", svg), svg  # 4,500 s in hours, with the Spanish decimal comma
    assert charts.depth_chart([history(QUEUES[0], snapshots=[])]).svg is None


def test_throughput_is_per_hour_for_a_day_per_day_for_longer_and_leaves_out_hours_to_come(in_spanish):
    now = datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)
    day = charts.throughput_chart([history(QUEUES[0]), history(QUEUES[1])], zone="America/Bogota", now=now)
    assert [(time, [cell.text for cell in cells]) for time, cells in day.table.rows] == [
        ("30/11/26, 8:00", ["4", "2"]), ("30/11/26, 9:00", ["2", "0"])]  # 23:00 UTC has not come yet
    week = charts.throughput_chart([history(QUEUES[0], start="2026-11-24T05:00:00+00:00", per_hour=[
        {"hour": "2026-11-25T04:00:00+00:00", "accepted": 1, "closed": 1},  # 23:00 on the 24th in Bogotá
        {"hour": "2026-11-25T05:00:00+00:00", "accepted": 2, "closed": 0},
        {"hour": "2026-11-25T20:00:00+00:00", "accepted": 3, "closed": 2}])], zone="America/Bogota", now=now)
    assert [(time, [cell.text for cell in cells]) for time, cells in week.table.rows] == [
        ("24/11/26", ["1", "1"]), ("25/11/26", ["5", "2"])]


def test_period_totals_add_up_every_priority(in_spanish):
    totals = charts.period_totals(history(QUEUES[0]))
    assert (totals["accepted"], totals["closed"], totals["missed"]) == (3, 1, 1)
    assert totals["acceptance"] == {"decided": 3, "met": 2, "rate": 2 / 3}
    assert totals["resolution"] == {"decided": 0, "met": 0, "rate": None}


def test_the_dashboard_shows_the_queues_the_user_supervises_over_whole_days_of_their_time_zone(console, cases):
    as_user(console)
    page = console.get("/dashboard?from=2026-11-24&to=2026-11-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    (_method, _path, _json, params, _if_match), = cases.asked("queues/history")
    # every queue's row: the largest page (a list the dashboard shows whole)
    assert params == {"from": "2026-11-24T00:00:00-05:00", "to": "2026-12-01T00:00:00-05:00", "per_page": 200}
    assert cases.asked("queues/statistics")[0][3] == {"hours": 24, "per_page": 200}
    assert "Delivery" in html and "Billing" not in html, "Billing has another supervisor"
    assert html.count("<svg") == 5 and "Nada que dibujar" in html and "<script" not in html.split("</head>")[1]
    assert '<caption id="states-caption">' in html and 'role="region"' in html
    assert "/cases?queue=delivery&amp;go=1&amp;breached=true&amp;status=open_dispatch&amp;status=open&amp;status=open_reject" in html
    assert f"owner_id={BORIS}" in html and "Usuario desconocido" in html and "ya no es miembro" in html
    assert '<a href="/dashboard"' in html and 'aria-current="page">Panel de supervisión' in html


def test_a_level_one_user_watches_every_queue(console, cases):
    as_user(console, id=str(uuid.uuid4()), level=1)
    html = console.get("/dashboard?from=2026-11-30&to=2026-11-30").get_data(as_text=True)
    assert "Delivery" in html and "Billing" in html


def test_who_supervises_no_queue_is_told_so(console, cases):
    as_user(console, id=str(uuid.uuid4()), supervises=False)
    page = console.get("/dashboard")
    assert page.status_code == 403 and "no supervisa ninguna" in page.get_data(as_text=True)
    assert not cases.asked("queues/statistics") and not cases.asked("queues/history")


def test_a_day_that_is_no_date_and_a_period_the_api_refuses_are_named_at_their_fields(console, cases):
    as_user(console)
    html = console.get("/dashboard?from=yesterday&to=2026-11-30").get_data(as_text=True)
    assert re.search(r'id="p-from"[^>]*aria-invalid="true"', html) and "La fecha no es válida." in html
    assert not cases.asked("queues/history")
    cases.answers[("GET", "queues/history")] = Answer(422, {"errors": {"to": ["The period may span at most 92 days."]}})
    html = console.get("/dashboard?from=2026-01-01&to=2026-11-30").get_data(as_text=True)
    assert re.search(r'id="p-to"[^>]*aria-invalid="true"', html) and "92 días" in html


def test_the_case_search_narrows_to_priorities_and_missed_deadlines(console, cases):
    cases.answers[("GET", "cases")] = Answer(200, {"items": [], "total": 0, "page": 1, "per_page": 25})
    html = console.get("/cases?queue=delivery&priority=urgent&priority=soon&breached=true&go=1").get_data(as_text=True)
    params = cases.asked("cases")[0][3]
    assert params["priority"] == ["urgent"] and params["breached"] == "true" and params["queue"] == "delivery"
    assert re.search(r'name="priority" value="urgent" checked', html)
    assert re.search(r'<option value="true" selected>', html)
    console.get("/cases?breached=maybe&go=1")
    assert "breached" not in cases.asked("cases")[1][3]


def test_the_supervisor_changes_a_cases_priority_with_the_version_read(console, cases):
    cases.answers[("POST", f"cases/{CASE}/priority")] = Answer(200, {"id": CASE, "priority": "urgent"})
    response = console.post(f"/cases/{CASE}/priority", data={"csrf_token": csrf_of(console, "/desk"),
                                                              "priority": "urgent", "version": "4"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{CASE}")
    (_method, _path, body, _params, if_match), = cases.asked(f"cases/{CASE}/priority")
    assert body == {"priority": "urgent"} and if_match == '"4"'
    assert flashed(console) == [("success", "Prioridad cambiada a Urgente.")]
    cases.answers[("POST", f"cases/{CASE}/priority")] = Answer(412, {"detail": "stale"})
    console.post(f"/cases/{CASE}/priority", data={"csrf_token": csrf_of(console, "/desk"), "priority": "low", "version": "3"})
    assert flashed(console)[0][0] == "error"


def flashed(console) -> list[tuple[str, str]]:
    with console.session_transaction() as session:
        return session.pop("_flashes", [])


def test_an_agent_takes_the_waiting_case_they_chose_with_the_version_read(console, cases):
    cases.answers[("POST", f"cases/{CASE}/take")] = Answer(200, {"id": CASE})
    response = console.post(f"/cases/{CASE}/take", data={"csrf_token": csrf_of(console, "/desk"), "version": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{CASE}")
    (_method, _path, body, _params, if_match), = cases.asked(f"cases/{CASE}/take")
    assert body is None and if_match == '"2"'
    assert flashed(console) == [("success", "Tomó el caso: está en su carpeta. Acéptelo para empezar a trabajar.")]
    cases.answers[("POST", f"cases/{CASE}/take")] = Answer(409, {"detail": "Someone took it first."})
    console.post(f"/cases/{CASE}/take", data={"csrf_token": csrf_of(console, "/desk"), "version": "2"})
    assert flashed(console)[0][0] == "error"
