"""Message templates in the console, the notifications API answered by a fake: the preview renders the
texts typed without saving them, saving sends the version read, a template that does not render is
refused at its field."""
from __future__ import annotations

from gateway.console.api_client import Answer
from tests.unit.console.test_admin_queues_and_case_types import api, post  # noqa: F401 - the fixture

PATH = "notifications/templates/case_dispatched/email/es"
TEXTS = {"subject": "Caso {{ case.number }}", "body_text": "Hola", "body_html": ""}


def _template(api):
    api.answers[("GET", PATH)] = Answer(200, {"template": "case_dispatched", "channel": "email", "language": "es",
                                              "subject": "Caso", "body_text": "Hola", "body_html": None,
                                              "is_default": True, "version": 3, "updated_at": None}, '"3"')


def test_the_preview_renders_the_texts_typed_and_saves_nothing(console, api):
    _template(api)
    api.answers[("POST", PATH + "/preview")] = Answer(200, {"subject": "Caso 2026-000042", "body_text": "Hola",
                                                            "body_html": None, "context": {}})
    page = post(console, "/admin/templates/case_dispatched/email/es", TEXTS | {"etag": '"3"', "preview": "1"})
    assert page.status_code == 200 and "Caso 2026-000042" in page.get_data(as_text=True)
    assert [sent[2] for sent in api.sent if sent[1] == PATH + "/preview"] == [
        {"texts": {"subject": "Caso {{ case.number }}", "body_text": "Hola", "body_html": None}}]
    assert not [sent for sent in api.sent if sent[1] == PATH and sent[0] == "PUT"]


def test_saving_sends_the_version_read_and_a_template_that_does_not_render_is_refused_at_its_field(console, api):
    _template(api)
    assert post(console, "/admin/templates/case_dispatched/email/es", TEXTS | {"etag": '"3"'}).status_code == 302
    (_m, _p, body, if_match), = [sent for sent in api.sent if sent[1] == PATH and sent[0] == "PUT"]
    assert if_match == '"3"' and body["subject"] == "Caso {{ case.number }}"
    api.answers[("PUT", PATH)] = Answer(422, {"errors": {"subject": ["Line 1: 'case' has no attribute 'nmber'"]}})
    page = post(console, "/admin/templates/case_dispatched/email/es", TEXTS | {"etag": '"3"', "subject": "{{ case.nmber }}"})
    assert page.status_code == 422 and 'aria-invalid="true" aria-describedby="e-f-subject"' in page.get_data(as_text=True)
