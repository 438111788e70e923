"""The gateway with the console and an administrator, every service looking down, and its test client."""
from __future__ import annotations

import re

import pytest

from gateway import create_app
from gateway.directory.bootstrap import ensure_first_admin
from gateway.models import Base
from gateway.settings import load_gateway_settings
from services.kit.db import Database


@pytest.fixture
def app(component_settings, key_pair):
    service = component_settings("gateway")
    ensure_first_admin(Database(service.database_url, Base.metadata), username="admin", password="admin-password")
    down = "http://127.0.0.1:9"  # nothing listens: every service looks down
    return create_app(load_gateway_settings(service=service, private_key_file=key_pair[0],
                                            service_urls={"customers": down, "cases": down, "notifications": down}))


@pytest.fixture
def console(app):
    return app.test_client()



# The lists the console reads whole (Api.every), as the fakes answer them: a bare list of items.
LISTS = re.compile(r"^(directory/(users|branches|departments)|auth/api-tokens|queues(/statistics|/history|/calendars)?|"
                   r"queues/[^/]+/members|case-types|case-types/[^/]+/routing-rules|cases/[^/]+/(comments|tasks|timeline)|"
                   r"customers/(sales-agents|interaction-reasons|interaction-macros|contact-points|attachment-types|"
                   r"consent-kinds)|(customers|cases|notifications)/dead-letters|notifications(/templates|/caught|"
                   r"/reminders/concepts)?)$")


def enveloped(answer, method: str, path: str):
    """A fake's answer as the API gives it: a list the fake holds for a list's path comes back as one page
    of the list envelope (every GET list answers it; the fakes keep listing their items)."""
    from gateway.console.api_client import Answer

    if method != "GET" or not LISTS.match(path.partition("?")[0]) or not isinstance(answer.body, list):
        return answer
    return Answer(answer.status, {"items": answer.body, "total": len(answer.body), "page": 1, "per_page": 200,
                                  "links": {"next": None, "previous": None}}, answer.etag)
