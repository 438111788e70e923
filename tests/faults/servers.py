"""Private PostgreSQL and RabbitMQ servers for tests that stop, freeze or restart them: the shared
servers serve other work at the same time and are never touched.

    with private_rabbitmq() as broker: broker.url, broker.stop_app(), broker.freeze()…
    with private_postgres() as pg: pg.url, pg.restart(), pg.terminate_backends(db)…

Each lives in its own folder (RabbitMQ: its own node name, AMQP and distribution ports, mnesia and
log folders; PostgreSQL: its own initdb'd data folder, port and socket folder) and is shut down and
removed at the end, whatever happened. Ports are picked free at start, so runs can overlap.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg


def free_port() -> int:
    """A port nothing listens on now (several test runs may share the machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRabbitMQ:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        port = self.port = free_port()
        self.node = f"caredesk-faults-{uuid.uuid4().hex[:8]}@localhost"
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n")
        (folder / "enabled_plugins").write_text("[].\n")
        self.env = dict(
            os.environ, RABBITMQ_NODENAME=self.node, RABBITMQ_NODE_PORT=str(port),
            RABBITMQ_DIST_PORT=str(free_port()), RABBITMQ_CONFIG_FILE=str(folder / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(folder / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(folder / "mnesia"), RABBITMQ_LOG_BASE=str(folder / "log"),
            RABBITMQ_PID_FILE=str(folder / "rabbitmq.pid"),
        )
        self.url = f"amqp://guest:guest@127.0.0.1:{port}/"
        self.process: subprocess.Popen | None = None
        self.frozen = False

    def ctl(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def start(self) -> None:
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(["rabbitmq-server"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, cwd=self.folder)
        self.ctl("wait", "--timeout", "120", str(self.folder / "rabbitmq.pid"), timeout=150)
        self.ctl("await_startup", timeout=150)

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup")

    def beam_pid(self) -> int:
        return int((self.folder / "rabbitmq.pid").read_text().strip())

    def freeze(self) -> None:
        """SIGSTOP the Erlang VM: connections stay open and silent, as with a hung host."""
        os.kill(self.beam_pid(), signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.beam_pid(), signal.SIGCONT)
        self.frozen = False

    def shutdown(self) -> None:
        if self.frozen:
            self.thaw()
        if self.process is None:
            return
        try:
            self.ctl("shutdown", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        try:  # the VM outlives the start script when shutdown failed
            os.kill(self.beam_pid(), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def _folder_for(user: str) -> Path:
    """A fresh folder the server's system user owns (the server scripts switch to that user when
    started as root; pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix=f"caredesk-faults-{user}-"))
    account = pwd.getpwnam(user)
    os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


@contextmanager
def private_rabbitmq():
    folder = _folder_for("rabbitmq")
    broker = PrivateRabbitMQ(folder)
    try:
        broker.start()
        yield broker
    finally:
        broker.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


class PrivatePostgres:
    """initdb'd as the ``postgres`` system user (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        port = self.port = free_port()
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.data = folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _as_postgres(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True,
                              timeout=timeout, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")

    def _pg_ctl(self, *args: str) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                          "-w", "-t", "120", *args)

    def start(self) -> None:
        if not self.data.exists():
            self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                              "--no-sync")
        self._pg_ctl("-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def terminate_backends(self, database: str) -> int:
        """``pg_terminate_backend`` on every other connection to ``database``; how many it ended."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchone()[0]

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def private_postgres():
    folder = _folder_for("postgres")
    server = PrivatePostgres(folder)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(folder, ignore_errors=True)
