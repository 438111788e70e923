"""Every answer of every component carries the security headers; cross-origin calls only from the
origins in CAREDESK_CORS_ORIGINS (none by default), preflights answered before authentication."""
from __future__ import annotations

import dataclasses

import pytest

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway.settings import load_gateway_settings
from services.kit.settings import load_settings, parse_origins

ALLOWED = "https://crm.example.com"
OTHER = "https://evil.example.net"
# per component: a path that needs a token, one that exists nowhere, one readable without a token
PATHS = {
    "gateway": ("/api/v1/auth/me", "/nothing-here", "/api/docs"),
    "customers": ("/api/v1/customers", "/nothing-here", "/healthz"),
    "cases": ("/api/v1/cases", "/nothing-here", "/healthz"),
    "notifications": ("/api/v1/notifications", "/nothing-here", "/healthz"),
}


@pytest.fixture
def client_of(component_settings, key_pair):
    def make(name: str, *, origins: tuple[str, ...] = ()):
        settings = dataclasses.replace(component_settings(name), cors_origins=origins)
        if name == "gateway":
            app = create_gateway(load_gateway_settings(service=settings, private_key_file=key_pair[0]))
        else:
            app = COMPONENTS[name].module.create_app(settings)
        return app.test_client()
    return make


def assert_secure(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", list(PATHS))
def test_every_answer_carries_the_security_headers(client_of, name, bearer):
    client = client_of(name)
    guarded, missing, public = PATHS[name]
    answers = [client.get(guarded), client.get(missing), client.get(public), client.get("/openapi.json"),
               client.post(guarded, data="not json", headers={"Content-Type": "text/plain"}),
               client.delete("/healthz")]
    assert [a.status_code for a in answers][:4] == [401, 404, 200, 200]
    for answer in answers:
        assert_secure(answer)
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_gateway_pages_and_answers_of_unreachable_services_carry_them(client_of):
    client = client_of("gateway")
    for path in ("/api/v1/openapi.json", "/api/docs", "/api/docs/assets/swagger-ui.css", "/console/login"):
        assert_secure(client.get(path))
    docs_policy = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in docs_policy and docs_policy.count("frame-ancestors") == 1


@pytest.mark.parametrize("name", list(PATHS))
def test_listed_origin_may_call_and_read_the_answer(client_of, name):
    client = client_of(name, origins=(ALLOWED,))
    guarded, _, public = PATHS[name]
    answer = client.get(public, headers={"Origin": ALLOWED})
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers
    refused = client.get(guarded, headers={"Origin": ALLOWED})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == ALLOWED
    preflight = client.options(guarded, headers={"Origin": ALLOWED, "Access-Control-Request-Method": "PATCH",
                                                 "Access-Control-Request-Headers": "authorization,if-match"})
    assert preflight.status_code == 204  # no token needed: browsers send none with a preflight
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert {"authorization", "if-match", "content-type"} <= {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert_secure(preflight)


@pytest.mark.parametrize("name", list(PATHS))
def test_other_origins_get_no_cors_answer(client_of, name):
    for origins in ((), (ALLOWED,)):
        client = client_of(name, origins=origins)
        guarded, _, public = PATHS[name]
        answer = client.get(public, headers={"Origin": OTHER})
        assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers
        preflight = client.options(guarded, headers={"Origin": OTHER, "Access-Control-Request-Method": "DELETE"})
        assert preflight.status_code == 403 and preflight.mimetype == "application/problem+json"
        assert "Access-Control-Allow-Origin" not in preflight.headers
        assert_secure(preflight)


def test_origins_setting_is_read_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREDESK_CORS_ORIGINS", "https://crm.example.com, http://localhost:3000/")
    assert load_settings("cases", data_dir=tmp_path).cors_origins == ("https://crm.example.com",
                                                                      "http://localhost:3000")
    monkeypatch.delenv("CAREDESK_CORS_ORIGINS")
    assert load_settings("cases", data_dir=tmp_path).cors_origins == ()
    for wrong in ("*", "crm.example.com", "https://crm.example.com/app"):
        with pytest.raises(ValueError):
            parse_origins(wrong)
