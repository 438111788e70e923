"""Administration of queues, calendars and case types through Flask's test client, the cases API
answered by a fake: what each form sends (with the If-Match of the record shown), and where the
API's refusals are shown."""
from __future__ import annotations

import uuid

import pytest

from gateway.console.api_client import Api, Answer
from tests.unit.console.conftest import enveloped
from tests.unit.console.test_console import csrf_of, sign_in

QUEUE, CALENDAR, CASE_TYPE, BORIS, RULE = (str(uuid.uuid4()) for _ in range(5))


class FakeApi:
    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self.answers: dict[tuple[str, str], Answer] = {}
        self.params: dict[str, dict | None] = {}

    def call(self, api, method, path, *, json=None, params=None, if_match=None, allow_signed_out=False) -> Answer:
        self.sent.append((method, path, json, if_match))
        self.params[path] = params
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if method != "GET":
            return Answer(200, {"id": str(uuid.uuid4()), "name": "Saved", "full_name": "Boris Sokolov"}, '"2"')
        return Answer(200, self.read(path), '"7"')

    @staticmethod
    def read(path: str):
        if path == "queues":
            return [{"id": QUEUE, "code": "claims", "name": "Claims"}, {"id": str(uuid.uuid4()), "code": "delivery",
                                                                      "name": "Delivery"}]
        if path == f"queues/{QUEUE}":
            return {"id": QUEUE, "code": "claims", "name": "Claims", "department_id": None, "supervisor_id": None,
                    "calendar_id": None, "claim_minutes": None, "version": 7, "sla_policies": [],
                    "members": []}
        if path == f"queues/calendars/{CALENDAR}":
            return {"id": CALENDAR, "code": "bogota", "name": "Bogotá", "time_zone": "America/Bogota",
                    "working_days": [0, 1, 2, 3, 4], "hours": [{"start": "08:00", "end": "17:00"}], "holidays": [],
                    "version": 7}
        if path == f"case-types/{CASE_TYPE}":
            return {"id": CASE_TYPE, "code": "claim", "name": "Claim", "queue": {"code": "delivery", "name": "Delivery"},
                    "default_priority": "normal", "is_active": True, "version": 7, "routing_rules": [],
                    "form": [{"name": "contract", "label": "Contract", "type": "string", "required": True},
                             {"name": "old", "label": "Old", "type": "string"}]}
        if path == "directory/users":
            return [{"id": BORIS, "full_name": "Boris Sokolov", "is_active": True, "queues": ["delivery"]}]
        if path == f"directory/users/{BORIS}":
            return {"id": BORIS, "full_name": "Boris Sokolov", "queues": ["delivery"]}
        if path == "notifications/unread":
            return {"unread": 0}
        return []

    def writes(self, path: str) -> list[tuple]:
        return [sent for sent in self.sent if sent[1] == path and sent[0] != "GET"]


@pytest.fixture
def api(console, monkeypatch):
    sign_in(console, lang="en")
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_queues", "manage_users", "manage_templates"])
    fake = FakeApi()
    monkeypatch.setattr(Api, "call", lambda api, method, path, **kwargs:
                        enveloped(fake.call(api, method, path, **kwargs), method, path))
    return fake


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_of(client, "/admin"), **data})


def test_the_sla_form_sends_the_priorities_given_a_target_with_the_queues_version(console, api):
    answer = post(console, f"/admin/queues/{QUEUE}/sla", {"etag": '"7"', "urgent_acceptance": "30",
                                                          "urgent_resolution": "240", "urgent_warning": "75",
                                                          "low_acceptance": "", "low_resolution": "", "low_warning": "80"})
    assert answer.status_code == 302
    (_m, _p, body, if_match), = api.writes(f"queues/{QUEUE}/sla")
    assert body == {"policies": [{"priority": "urgent", "acceptance_minutes": 30, "resolution_minutes": 240,
                                  "warning_percent": 75}]} and if_match == '"7"'


def test_an_sla_target_the_api_refuses_is_shown_in_its_own_cell(console, api):
    api.answers[("PUT", f"queues/{QUEUE}/sla")] = Answer(422, {"errors": {"policies": {"0": {
        "resolution_minutes": ["Must be greater than or equal to 1 and less than or equal to 5256000."]}}}})
    page = post(console, f"/admin/queues/{QUEUE}/sla", {"urgent_acceptance": "30", "urgent_resolution": "0"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'name="urgent_resolution" type="number" min="1" size="6"\n                 value="0"\n                 aria-invalid="true"' in text


def test_the_calendar_form_sends_working_stretches_whose_gaps_are_the_breaks(console, api):
    answer = post(console, f"/admin/calendars/{CALENDAR}", {
        "etag": '"7"', "name": "Bogotá", "time_zone": "America/Bogota", "working_days": ["0", "1", "2", "3", "4"],
        "start_0": "08:00", "end_0": "12:00", "start_1": "13:00", "end_1": "17:00", "start_2": "", "end_2": "",
        "holidays": "2026-12-25\n2027-01-01"})
    assert answer.status_code == 302
    (_m, _p, body, if_match), = api.writes(f"queues/calendars/{CALENDAR}")
    assert body == {"name": "Bogotá", "time_zone": "America/Bogota", "working_days": [0, 1, 2, 3, 4],
                    "hours": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
                    "holidays": ["2026-12-25", "2027-01-01"]} and if_match == '"7"'


def test_a_holiday_not_written_as_a_date_is_refused_at_its_field_before_the_api_is_asked(console, api):
    page = post(console, f"/admin/calendars/{CALENDAR}", {"name": "Bogotá", "time_zone": "America/Bogota",
                                                          "working_days": ["0"], "start_0": "08:00", "end_0": "17:00",
                                                          "holidays": "25/12/2026"})
    assert page.status_code == 422 and 'id="e-f-holidays">Write each holiday as YYYY-MM-DD: 25/12/2026' in page.get_data(as_text=True)
    assert not api.writes(f"queues/calendars/{CALENDAR}")


def test_a_stale_calendar_is_not_overwritten_and_the_page_says_so(console, api):
    api.answers[("PATCH", f"queues/calendars/{CALENDAR}")] = Answer(412, {"detail": "stale"})
    page = post(console, f"/admin/calendars/{CALENDAR}", {"etag": '"6"', "name": "Other", "time_zone": "UTC",
                                                          "working_days": ["0"], "start_0": "08:00", "end_0": "17:00"})
    assert page.status_code == 412 and "Someone changed this record after you opened it" in page.get_data(as_text=True)


def test_the_form_builder_sends_the_fields_in_their_order_without_the_removed_ones(console, api):
    answer = post(console, f"/admin/case-types/{CASE_TYPE}/form", {
        "etag": '"7"', "rows": "5",
        "order_0": "2", "name_0": "contract", "label_0": "Contract", "type_0": "string", "required_0": "1",
        "order_1": "3", "name_1": "old", "label_1": "Old", "type_1": "string", "remove_1": "1",
        "new_2": "1", "order_2": "1", "name_2": "", "label_2": "Motivo del reclamo", "type_2": "choice",
        "choices_2": "Cobro doble\nTarifa", "required_2": "1",
        "new_3": "1", "order_3": "4", "name_3": "visit_date", "label_3": "Visit date", "type_3": "date",
        "new_4": "1", "order_4": "5", "name_4": "", "label_4": ""})
    assert answer.status_code == 302
    (_m, _p, body, if_match), = api.writes(f"case-types/{CASE_TYPE}")
    assert if_match == '"7"' and body == {"form": [
        {"name": "motivo_del_reclamo", "label": "Motivo del reclamo", "type": "choice", "required": True,
         "choices": ["Cobro doble", "Tarifa"]},
        {"name": "contract", "label": "Contract", "type": "string", "required": True},
        {"name": "visit_date", "label": "Visit date", "type": "date", "required": False}]}


def test_a_field_the_api_refuses_is_shown_at_its_row(console, api):
    api.answers[("PATCH", f"case-types/{CASE_TYPE}")] = Answer(422, {"errors": {"form": {
        "1": {"choices": ["A choice field lists its choices."]}}}})
    page = post(console, f"/admin/case-types/{CASE_TYPE}/form", {
        "etag": '"7"', "rows": "2", "order_0": "1", "name_0": "contract", "label_0": "Contract", "type_0": "string",
        "new_1": "1", "order_1": "2", "name_1": "reason", "label_1": "Reason", "type_1": "choice"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="b-choices-1" name="choices_1" rows="2" cols="16" aria-invalid="true"' in text
    assert 'id="be-choices-1">A choice field lists its choices.' in text
    assert 'id="b-label-1" name="label_1" type="text" size="18" value="Reason"' in text


def test_a_routing_rule_is_sent_with_only_its_conditions_and_a_missing_one_is_named(console, api):
    assert post(console, f"/admin/case-types/{CASE_TYPE}/routing-rules",
                {"priority": "urgent", "region": "", "line_status": "", "rule_queue": "claims"}).status_code == 302
    (_m, _p, body, _if), = api.writes(f"case-types/{CASE_TYPE}/routing-rules")
    assert body == {"region": None, "priority": "urgent", "line_status": None, "queue": "claims"}
    api.answers[("POST", f"case-types/{CASE_TYPE}/routing-rules")] = Answer(422, {"errors": {
        "_schema": ["Give at least one of region, priority or line_status."]}})
    page = post(console, f"/admin/case-types/{CASE_TYPE}/routing-rules", {"rule_queue": "claims"})
    assert page.status_code == 422 and "Give at least one of region, priority or line_status." in page.get_data(as_text=True)


def test_a_member_is_added_on_the_user_with_the_users_own_version(console, api):
    assert post(console, f"/admin/queues/{QUEUE}/members", {"add": BORIS}).status_code == 302
    (_m, _p, body, if_match), = api.writes(f"directory/users/{BORIS}")
    assert body == {"queues": ["delivery", "claims"]} and if_match == '"7"'


def test_the_queue_pages_need_manage_queues(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_users"])
    assert console.get("/admin/queues").status_code == 403
    assert console.get(f"/admin/case-types/{CASE_TYPE}").status_code == 403
    assert not [sent for sent in api.sent if sent[1].startswith(("queues", "case-types"))]
