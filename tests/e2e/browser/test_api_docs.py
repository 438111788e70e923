"""/api/docs in Chromium: Swagger UI renders the merged document from the gateway's own files only
(no request leaves the origin, no script refused by the page's policy), and "Try it out" calls the
API with the bearer token given to "Authorize"."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from caredesk.components import COMPONENTS
from gateway import create_app
from gateway.directory.bootstrap import ensure_first_admin
from gateway.models import Base
from gateway.settings import load_gateway_settings
from services.kit.db import Database
from services.kit.settings import load_settings
from tests.databases import migrated_sqlite_database

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway_url(tmp_path, key_pair):
    service = load_settings("gateway", data_dir=tmp_path, public_key_file=key_pair[1], broker_url="memory://",
                            database_url=migrated_sqlite_database(COMPONENTS["gateway"].migrations,
                                                                  tmp_path / "gateway.sqlite3"))
    ensure_first_admin(Database(service.database_url, Base.metadata), username="admin", password="docs-password")
    app = create_app(load_gateway_settings(service=service, private_key_file=key_pair[0]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()


def test_docs_page_renders_and_tries_a_call_with_a_token(browser, gateway_url):
    url, app = gateway_url
    token = app.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": "docs-password"}
                                   ).get_json()["access_token"]
    page = browser.new_page()
    requested, problems = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{url}/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)  # the rest renders as the reader scrolls
    tags = page.evaluate("window.ui.specSelectors.taggedOperations().keySeq().toJS()")
    assert {"auth", "directory", "customers", "cases", "queues", "notifications"} <= set(tags)
    assert page.evaluate("window.ui.specSelectors.operations().size") > 100
    assert page.evaluate("window.ui.errSelectors.allErrors().size") == 0
    page.click("button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click(".btn-done")
    operation = "#operations-auth-get_auth_me"
    page.click(operation)
    page.click(f"{operation} .try-out__btn")
    page.click(f"{operation} .execute")
    status = page.locator(f"{operation} .live-responses-table .response .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "200"
    assert '"username": "admin"' in page.locator(f"{operation} .live-responses-table .microlight").first.inner_text()
    assert requested and all(address.startswith(url + "/") for address in requested), requested
    assert not problems, problems
    page.close()
