"""`caredesk health`, the image's one health check: an API is asked for /healthz, a loop process
must have touched its file recently; no record means not started."""
from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import caredesk.cli as cli
from caredesk import health


@pytest.fixture
def health_file(tmp_path, monkeypatch):
    path = tmp_path / "health.json"
    monkeypatch.setenv(health.ENV, str(path))
    monkeypatch.setattr(health, "_last_touch", 0.0)
    return path


@pytest.fixture
def api_url():
    statuses = {"/healthz": 200, "/sick": 503}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(statuses.get(self.path, 404))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def run_health(*argv) -> int:
    with pytest.raises(SystemExit) as done:
        cli.main(["health", *argv])
    return done.value.code


def test_not_started_is_unhealthy(health_file):
    assert run_health() == 1


def test_api_is_healthy_while_its_healthz_answers_200(health_file, api_url):
    health.mark("api", url=f"{api_url}/healthz")
    assert run_health() == 0
    health.mark("api", url=f"{api_url}/sick")
    assert run_health() == 1
    health.mark("api", url="http://127.0.0.1:9/healthz")  # nothing listens on the discard port
    assert run_health("--timeout", "1") == 1


@pytest.mark.parametrize("kind", ["relay", "consumer", "tasks", "beat"])
def test_a_loop_is_healthy_while_it_turns(health_file, kind):
    health.mark(kind)
    stop = health.HeartbeatEvent()
    assert run_health() == 0
    old = time.time() - health.MAX_AGE[kind] - 5
    os.utime(health_file, (old, old))
    assert run_health() == 1, "a loop quiet for longer than its kind allows is not alive"
    stop.is_set()  # the loop looks at its stop flag: a heartbeat
    assert run_health() == 0
    assert not stop.is_set()


def test_outside_a_container_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(health.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    health.mark("relay")
    health.touch()
    assert list(tmp_path.iterdir()) == []
