"""The audit log, API tokens and the delivery log in the console, the APIs answered by a fake: the
filters sent, the token shown once and never kept, a failed message sent again."""
from __future__ import annotations

import uuid

from gateway.console.api_client import Answer
from tests.unit.console.test_admin_queues_and_case_types import BORIS, api, post  # noqa: F401 - the fixture

TOKEN, DELIVERY = str(uuid.uuid4()), str(uuid.uuid4())


def test_the_audit_search_sends_whole_days_in_the_users_time_zone(console, api):
    with console.session_transaction() as session:
        session["tz"] = "America/Bogota"
    api.answers[("GET", "directory/audit")] = Answer(200, {"items": [
        {"id": str(uuid.uuid4()), "at": "2026-11-30T15:00:00+00:00", "kind": "user.updated", "actor_username": "admin",
         "subject_id": BORIS, "address": "10.0.0.7", "detail": {"fields": ["queues"]}}], "total": 1, "page": 1,
        "per_page": 50})
    page = console.get("/admin/audit?kind=user.updated&actor=admin&from=2026-11-30&to=2026-11-30")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "User changed" in text and "Boris Sokolov" in text and "fields: queues" in text
    assert api.params["directory/audit"] == {"kind": "user.updated", "actor_username": "admin",
                                             "since": "2026-11-30T00:00:00-05:00", "until": "2026-11-30T23:59:59-05:00",
                                             "page": 1, "per_page": 50}


def test_a_new_api_token_is_shown_once_on_a_page_no_cache_keeps(console, api):
    api.answers[("POST", "auth/api-tokens")] = Answer(201, {
        "id": TOKEN, "name": "Billing sync", "access_token": "eyJ.secret.token", "expires_at": "2027-02-28T12:00:00+00:00",
        "user_id": BORIS, "read_only": True, "resources": ["customers"], "status": "active"})
    page = post(console, "/admin/api-tokens", {"name": "Billing sync", "user_id": BORIS, "days": "90",
                                               "read_only": "1", "resources": ["customers"]})
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    assert 'value="eyJ.secret.token"' in page.get_data(as_text=True)
    (_m, _p, body, _if), = [sent for sent in api.sent if sent[1] == "auth/api-tokens" and sent[0] == "POST"]
    assert body == {"user_id": BORIS, "name": "Billing sync", "days": 90, "read_only": True, "resources": ["customers"]}
    assert "eyJ.secret.token" not in console.get("/admin/api-tokens").get_data(as_text=True)


def test_a_refused_token_shows_the_apis_message_at_its_field(console, api):
    api.answers[("POST", "auth/api-tokens")] = Answer(422, {"errors": {"days": ["Must be greater than or equal to 1 "
                                                                                "and less than or equal to 366."]}})
    page = post(console, "/admin/api-tokens", {"name": "X", "user_id": BORIS, "days": "999"})
    assert page.status_code == 422 and 'id="f-days" name="days" type="number" value="999" aria-invalid="true"' in \
        page.get_data(as_text=True)


def test_a_failed_message_is_sent_again_and_the_page_goes_back_only_to_this_site(console, api):
    api.answers[("POST", f"notifications/deliveries/{DELIVERY}/retry")] = Answer(200, {"address": "ana@example.com"})
    answer = post(console, f"/admin/deliveries/{DELIVERY}/retry", {"back": "https://elsewhere.example/"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/deliveries")
    answer = post(console, f"/admin/deliveries/{DELIVERY}/retry", {"back": "/admin/deliveries?status=failed"})
    assert answer.headers["Location"].endswith("/admin/deliveries?status=failed")
