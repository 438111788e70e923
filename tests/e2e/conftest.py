"""The whole system as processes, in either run mode, reached only through the gateway."""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys

import pytest
import requests

from caredesk.supervisor import start_system, stop_system

ADMIN_PASSWORD = "e2e-admin-password"
# each running system's environment by its URL: a test that must reach its broker builds settings from it
SYSTEM_ENVIRONMENTS: dict[str, dict] = {}


def _free_port_block(size: int = 12) -> int:
    """A free block for the gateway and what the supervisor puts after it (services, the mail
    catcher at +10 and +11); random, so that parallel workers and other runs do not meet."""
    for _ in range(100):
        base = random.randint(20000, 45000)
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free block of ports")


def _run_system(tmp_path, extra_env: dict):
    env = dict(os.environ, CAREDESK_DATA_DIR=str(tmp_path / "var"), CAREDESK_ADMIN_PASSWORD=ADMIN_PASSWORD,
               CAREDESK_EXCHANGE="caredesk.events", **extra_env)
    subprocess.run([sys.executable, "-m", "caredesk.cli", "init"], env=env, check=True, capture_output=True)
    port = _free_port_block()
    processes = start_system(port, tmp_path / "logs", env=env)
    SYSTEM_ENVIRONMENTS[f"http://127.0.0.1:{port}"] = env
    return processes, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def embedded_system(tmp_path_factory):
    processes, url = _run_system(tmp_path_factory.mktemp("embedded"), {})
    yield url
    stop_system(processes)


@pytest.fixture(scope="module")
def production_system(tmp_path_factory):
    from tests import servers

    servers.require_postgres()
    servers.require_rabbitmq()
    databases = {name: servers.create_postgres_database() for name in ("gateway", "customers", "cases", "notifications")}
    broker = servers.create_rabbitmq_vhost()
    env = {f"CAREDESK_{name.upper()}_DATABASE_URL": url for name, url in databases.items()}
    env["CAREDESK_BROKER_URL"] = broker
    try:
        processes, url = _run_system(tmp_path_factory.mktemp("production"), env)
        try:
            yield url
        finally:
            stop_system(processes)
    finally:
        servers.delete_rabbitmq_vhost(broker)
        for url in databases.values():
            servers.drop_postgres_database(url)


@pytest.fixture(scope="module", params=["embedded", "production"])
def system(request):
    return request.getfixturevalue(f"{request.param}_system")


class ApiClient:
    """A user of the public API: logs in through the gateway and keeps the token."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def login(self, username: str, password: str) -> "ApiClient":
        response = self.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return self

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base + path, timeout=30, **kwargs)
