"""What the gateway answers when a service does not: 503 at once for a refused connection, 504 once
the route's read timeout passes (never a hung request), both problem+json with Retry-After; a body
over the route's limit refused with 413 before anything reaches the service; request ids echoed
and passed on. The services here are stand-ins on local sockets: one that records what reaches it,
one that accepts connections and never answers, and a port where nothing listens."""
from __future__ import annotations

import io
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway.routing.policies import RoutePolicies
from gateway.settings import load_gateway_settings
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.databases import migrated_sqlite_database
from tests.integration.gateway.conftest import bearer, free_port

pytestmark = pytest.mark.integration

AGENT = make_principal(username="ana", level=1)


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 {"id", "items"} to anything and keeps (method, path, headers, body length) of each request."""

    seen: list

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers), length))
        body = json.dumps({"id": str(uuid.uuid4()), "items": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Correlation-ID", "the-service-would-echo-this")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent():
    """Accepts connections (the kernel's backlog does) and never reads nor answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", free_port()))
    sock.listen(64)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def nothing_listens() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def make_gateway(tmp_path, key_pair):
    def make(urls: dict, **env) -> object:
        url = migrated_sqlite_database(COMPONENTS["gateway"].migrations,
                                       tmp_path / f"gateway-{uuid.uuid4().hex[:6]}.sqlite3")
        service = load_settings("gateway", data_dir=tmp_path, database_url=url, broker_url="memory://",
                                public_key_file=key_pair[1])
        policies = RoutePolicies.from_env(lambda name: env.get(name))
        return create_gateway(load_gateway_settings(
            service=service, private_key_file=key_pair[0], route_policies=policies,
            service_urls={"customers": "http://127.0.0.1:9", "cases": "http://127.0.0.1:9",
                          "notifications": "http://127.0.0.1:9"} | urls))
    return make


def _timed(client, method: str, path: str, token_issuer, **kwargs):
    began = time.perf_counter()
    response = client.open(path, method=method, headers=bearer(token_issuer, AGENT) | kwargs.pop("headers", {}),
                           **kwargs)
    response.get_data()
    response.close()
    return response, time.perf_counter() - began


def _warmed(gateway, token_issuer):
    """One untimed request through the whole proxy path (token, limits, a refused upstream), so that the
    timed ones measure the upstream timeout and not the first request's set-up on a busy machine."""
    _timed(gateway.test_client(), "GET", "/api/v1/cases", token_issuer)
    return gateway


def _check_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    body = response.get_json()
    assert body["status"] == status and body["service"] == "customers"
    return body


def test_a_refused_connection_is_a_503_at_once(make_gateway, nothing_listens, token_issuer):
    gateway = _warmed(make_gateway({"customers": nothing_listens}), token_issuer)
    response, elapsed = _timed(gateway.test_client(), "GET", "/api/v1/customers/search?q=ana", token_issuer)
    body = _check_problem(response, 503)
    assert body["type"].endswith("/dependency-down")
    assert elapsed < 1, elapsed
    print(f"\nrefused connection: 503 in {elapsed * 1000:.0f} ms")


def test_a_service_that_does_not_answer_is_a_504_within_the_read_timeout(make_gateway, silent, token_issuer):
    gateway = _warmed(make_gateway({"customers": silent}, CAREDESK_GATEWAY_ROUTE_TIMEOUTS="customers/search=1:1"),
                      token_issuer)
    response, elapsed = _timed(gateway.test_client(), "GET", "/api/v1/customers/search?q=ana", token_issuer)
    body = _check_problem(response, 504)
    assert body["type"].endswith("/upstream-timeout") and "1 s" in body["detail"]
    assert 1 <= elapsed < 2, elapsed
    # another route keeps the default (here 2 s), the most specific pattern wins
    gateway = _warmed(make_gateway({"customers": silent}, CAREDESK_GATEWAY_READ_TIMEOUT_SECONDS="2",
                                   CAREDESK_GATEWAY_ROUTE_TIMEOUTS="customers/*/history=1:0.5"), token_issuer)
    _response, history = _timed(gateway.test_client(), "GET", f"/api/v1/customers/{uuid.uuid4()}/history", token_issuer)
    _response, card = _timed(gateway.test_client(), "GET", f"/api/v1/customers/{uuid.uuid4()}", token_issuer)
    assert 0.5 <= history < 2 <= card < 3, (history, card)
    print(f"\nsilent service: 504 after {elapsed * 1000:.0f} ms (read timeout 1 s); "
          f"0.5 s route {history * 1000:.0f} ms, 2 s default {card * 1000:.0f} ms")


def test_a_silent_service_leaves_its_card_part_unavailable_in_time(make_gateway, silent, recorder, token_issuer):
    """The customers stand-in answers 200 for every part; the cases one never answers."""
    gateway = make_gateway({"customers": f"http://127.0.0.1:{recorder.server_address[1]}", "cases": silent},
                           CAREDESK_GATEWAY_CARD_TIMEOUTS="1:1")
    response, elapsed = _timed(gateway.test_client(), "GET", f"/api/v1/customer-cards/{uuid.uuid4()}", token_issuer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["open_cases"]["reason"] == "timeout"
    assert response.get_json()["open_cases"]["status"] == 504
    assert response.get_json()["unavailable_parts"] == ["open_cases"]
    assert elapsed < 2, elapsed


def test_a_body_over_the_limit_is_refused_before_it_reaches_the_service(make_gateway, recorder, token_issuer):
    base = f"http://127.0.0.1:{recorder.server_address[1]}"
    gateway = make_gateway({"customers": base}, CAREDESK_GATEWAY_MAX_BODY_BYTES="1000")
    client = gateway.test_client()
    big = json.dumps({"name": "x" * 2000})
    response, _ = _timed(client, "POST", "/api/v1/customers", token_issuer, data=big,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert response.get_json()["max_bytes"] == 1000
    # without a length (chunked, as a server hands it over once de-chunked): cut off at the limit
    chunked, _ = _timed(client, "POST", "/api/v1/customers", token_issuer, input_stream=io.BytesIO(big.encode()),
                        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                        environ_base={"wsgi.input_terminated": True})
    assert chunked.status_code == 413 and chunked.content_type == "application/problem+json"
    assert recorder.seen == [], "nothing reached the service"
    # an attachment's route takes more (CAREDESK_GATEWAY_ROUTE_MAX_BODY_BYTES), a small body passes
    upload, _ = _timed(client, "POST", f"/api/v1/customers/{uuid.uuid4()}/attachments", token_issuer, data=big,
                       headers={"Content-Type": "application/json"})
    small, _ = _timed(client, "POST", "/api/v1/customers", token_issuer, json={"name": "Ana"})
    assert upload.status_code == small.status_code == 200
    assert [length for _m, _p, _h, length in recorder.seen] == [len(big), len(json.dumps({"name": "Ana"}))]


def test_request_ids_are_echoed_and_passed_on(make_gateway, recorder, token_issuer):
    gateway = make_gateway({"customers": f"http://127.0.0.1:{recorder.server_address[1]}"})
    client = gateway.test_client()
    sent, _ = _timed(client, "GET", "/api/v1/customers?status=active&status=blocked", token_issuer,
                     headers={"X-Request-Id": "req-42.abc"})
    assert sent.status_code == 200
    assert sent.headers["X-Request-Id"] == sent.headers["X-Correlation-ID"] == "req-42.abc"
    _method, path, headers, _length = recorder.seen[-1]
    assert headers["X-Correlation-ID"] == "req-42.abc"
    assert path == "/api/v1/customers?status=active&status=blocked", "repeated query parameters go along"
    fresh, _ = _timed(client, "GET", "/api/v1/customers", token_issuer)
    assert uuid.UUID(fresh.headers["X-Request-Id"]) and fresh.headers["X-Request-Id"] == fresh.headers["X-Correlation-ID"]
    odd, _ = _timed(client, "GET", "/api/v1/customers", token_issuer, headers={"X-Request-Id": "a b<script>"})
    assert uuid.UUID(odd.headers["X-Request-Id"]), "an id with odd characters is replaced by a fresh one"
    refused = client.get("/api/v1/customers", headers={"X-Request-Id": "no-token-1"})
    assert refused.status_code == 401 and refused.headers["X-Request-Id"] == "no-token-1"
    assert refused.get_json()["correlation_id"] == "no-token-1"


@pytest.fixture
def resets_first_connection():
    """Reads the first connection's request and resets it without an answer (as a service closing a
    kept-alive connection just as it is reused), then answers 200 on every later connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", free_port()))
    sock.listen(16)
    seen = []

    def serve():
        while True:
            try:
                connection, _ = sock.accept()
            except OSError:
                return
            with connection:
                request = connection.recv(65536)
                seen.append(request.split(b"\r\n", 1)[0].decode())
                if len(seen) == 1:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    continue
                body = b'{"id": "x", "items": [], "total": 0}'
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    sock.close()


def test_a_read_whose_connection_breaks_is_sent_again_once(make_gateway, resets_first_connection, token_issuer):
    url, seen = resets_first_connection
    gateway = make_gateway({"customers": url})
    response, _ = _timed(gateway.test_client(), "GET", "/api/v1/customers/search?q=ana", token_issuer)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(seen) == 2 and all(line.startswith("GET /api/v1/customers/search") for line in seen)


def test_a_write_whose_connection_breaks_is_not_sent_again(make_gateway, resets_first_connection, token_issuer):
    url, seen = resets_first_connection
    gateway = make_gateway({"customers": url})
    response, _ = _timed(gateway.test_client(), "POST", "/api/v1/customers", token_issuer, json={"name": "Ana"})
    assert response.status_code == 503 and len(seen) == 1, "a change is never sent twice by the gateway"
