"""The services as real processes (``caredesk serve``, gunicorn) on their own PostgreSQL databases,
and gateways in front of them: in this process (Flask's test client) or as processes too.

Ports come from 22000-22999 (this suite's range), each checked free before use."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway.settings import load_gateway_settings
from services.kit.settings import load_settings
from tests.databases import drop_postgres_database_later, migrated_postgres_database
from tests.servers import require_postgres

REPO = Path(__file__).resolve().parents[3]
PORTS = range(22000, 23000)


def free_port() -> int:
    for _ in range(200):
        port = random.choice(PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 22000-22999")


def wait_for(url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Served:
    """One component under gunicorn; ``stop()`` ends it (SIGTERM, then SIGKILL), ``start()`` again."""

    name: str
    env: dict
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Served":
        log = (self.folder / f"{self.name}-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "caredesk.cli", "serve", self.name, "--port", str(self.port)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(self.url + "/healthz")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None


@dataclass
class System:
    folder: Path
    key_pair: tuple
    databases: dict
    env: dict
    services: dict

    def gateway_settings(self, **overrides):
        service = load_settings("gateway", data_dir=self.folder, database_url=self.databases["gateway"],
                                broker_url="memory://", public_key_file=self.key_pair[1])
        urls = {name: served.url for name, served in self.services.items()}
        urls.setdefault("notifications", "http://127.0.0.1:9")  # nothing listens there
        return load_gateway_settings(service=service, private_key_file=self.key_pair[0],
                                     **({"service_urls": urls} | overrides))

    def gateway(self, **overrides):
        """A gateway app in this process, in front of the served services."""
        return create_gateway(self.gateway_settings(**overrides))

    def database_url(self, name: str) -> str:
        return self.databases[name]


@pytest.fixture(scope="module")
def served_system(tmp_path_factory, key_pair):
    """customers and cases as processes on fresh PostgreSQL databases; the gateway's database too."""
    require_postgres()
    folder = tmp_path_factory.mktemp("served")
    databases = {}
    services = {}
    try:
        for name in ("gateway", "customers", "cases"):
            databases[name] = migrated_postgres_database(COMPONENTS[name].migrations)
        env = dict(os.environ, CAREDESK_DATA_DIR=str(folder), CAREDESK_BROKER_URL="memory://",
                   CAREDESK_JWT_PUBLIC_KEY_FILE=str(key_pair[1]), CAREDESK_LOG_LEVEL="WARNING",
                   PYTHONUNBUFFERED="1",
                   **{f"CAREDESK_{name.upper()}_DATABASE_URL": url for name, url in databases.items()})
        for name in ("customers", "cases"):
            services[name] = Served(name, env, folder).start()
        yield System(folder, key_pair, databases, env, services)
    finally:
        for served in services.values():
            served.stop()
        for url in databases.values():
            drop_postgres_database_later(url)


def bearer(token_issuer, principal) -> dict:
    return {"Authorization": f"Bearer {token_issuer.issue(principal)[0]}"}


def new_code(prefix: str = "G") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
