"""Consent kinds and attachment types in the console, the customers API answered by a fake: names per
language sent, a refusal at its field, and the page kept for company-level administrators."""
from __future__ import annotations

from gateway.console.api_client import Answer
from tests.unit.console.test_admin_queues_and_case_types import api, post  # noqa: F401 - the fixture


def test_a_consent_kind_is_sent_with_its_name_in_each_language_given(console, api):
    answer = post(console, "/admin/catalogues/consent-kinds", {
        "code": "marketing_sms", "name_es": "Publicidad por SMS", "name_en": "Marketing by SMS", "name_ru": "",
        "name_vi": "Quảng cáo qua SMS", "description": "", "granted_by_default": "1"})
    assert answer.status_code == 302
    (_m, _p, body, _if), = [sent for sent in api.sent if sent[1] == "customers/consent-kinds" and sent[0] == "POST"]
    assert body == {"code": "marketing_sms", "names": {"es": "Publicidad por SMS", "en": "Marketing by SMS",
                                                       "vi": "Quảng cáo qua SMS"},
                    "description": "", "granted_by_default": True}


def test_a_refused_attachment_type_is_shown_at_its_name(console, api):
    api.answers[("POST", "customers/attachment-types")] = Answer(409, {"detail": "An attachment type named Contract exists."})
    page = post(console, "/admin/catalogues/attachment-types", {"name": "Contract"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="nt-name" name="name" type="text" value="Contract" aria-invalid="true"' in text
    assert "An attachment type named Contract exists." in text


def test_the_catalogues_are_for_company_level_only(console, api):
    with console.session_transaction() as session:
        session["user"] = dict(session["user"], level=2)
    assert console.get("/admin/catalogues").status_code == 403
    assert not [sent for sent in api.sent if sent[1].startswith("customers/")]
