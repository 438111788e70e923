"""Reminder concepts in the console, the notifications API answered by a fake: a change sent with the
version shown, a refusal at its field, and the page kept for those with manage_reminders."""
from __future__ import annotations

import uuid

from gateway.console.api_client import Answer
from tests.unit.console.test_admin_queues_and_case_types import api, post  # noqa: F401 - the fixture

CONCEPT = str(uuid.uuid4())


def test_a_reminder_is_saved_with_the_version_shown(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_reminders"])
    answer = post(console, f"/admin/reminders/{CONCEPT}", {"version": "4", "description": "A week before",
                                                           "days": "7", "kind": "before_due"})
    assert answer.status_code == 302
    (_m, _p, body, if_match), = [sent for sent in api.sent if sent[1] == f"notifications/reminders/concepts/{CONCEPT}"]
    assert body == {"description": "A week before", "days": 7, "kind": "before_due"} and if_match == '"4"'


def test_a_refused_reminder_is_shown_at_its_field(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_reminders"])
    api.answers[("POST", "notifications/reminders/concepts")] = Answer(422, {"errors": {
        "days": ["Must be greater than or equal to 0 and less than or equal to 365."]}})
    page = post(console, "/admin/reminders", {"description": "Far", "days": "400", "kind": "before_due"})
    assert page.status_code == 422 and 'id="f-days" name="days" type="number" value="400" aria-invalid="true"' in \
        page.get_data(as_text=True)


def test_the_reminders_page_needs_manage_reminders(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_users"])
    assert console.get("/admin/reminders").status_code == 403


def test_removing_a_reminder_sends_the_version_shown(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_reminders"])
    assert post(console, f"/admin/reminders/{CONCEPT}", {"version": "5", "delete": "1"}).status_code == 302
    (method, _p, _body, if_match), = [sent for sent in api.sent if sent[1] == f"notifications/reminders/concepts/{CONCEPT}"]
    assert method == "DELETE" and if_match == '"5"'


def test_removing_a_routing_rule_sends_the_case_types_etag(console, api):
    case_type, rule = uuid.uuid4(), uuid.uuid4()
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], permissions=["manage_queues"])
    post(console, f"/admin/case-types/{case_type}/routing-rules/{rule}/delete", {"etag": '"8"'})
    (method, _p, _body, if_match), = [sent for sent in api.sent
                                      if sent[1] == f"case-types/{case_type}/routing-rules/{rule}"]
    assert method == "DELETE" and if_match == '"8"'
