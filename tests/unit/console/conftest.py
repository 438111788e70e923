"""The gateway with the console and an administrator, every service looking down, and its test client."""
from __future__ import annotations

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
