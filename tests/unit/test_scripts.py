"""The README's test command (scripts/test) on a fresh machine, with the servers faked on PATH: it
starts PostgreSQL and RabbitMQ when installed but stopped, and when they are not installed it runs
the tests anyway and ends with one line naming what was skipped and how to get the servers, or,
with CI=true, fails at once. The shared servers of this machine are never touched."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("dirname", "seq", "sleep", "ls", "sed")  # what the scripts use besides bash builtins


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A PATH holding only the tools the scripts need, a log of what the fakes were asked, and a
    fake pytest that records its arguments and exits with $FAKE_PYTEST_STATUS."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    log = tmp_path / "calls.log"
    _stub(bin_dir, "fake-pytest", f'echo "pytest $*" >> {log}; exit "${{FAKE_PYTEST_STATUS:-0}}"')
    etc = tmp_path / "etc-postgresql"
    (etc / "15").mkdir(parents=True)

    class Machine:
        def __init__(self) -> None:
            self.bin, self.log, self.etc, self.state = bin_dir, log, etc, tmp_path

        def install_postgres(self, *, running: bool) -> None:
            up = self.state / "pg.up"
            if running:
                up.touch()
            _stub(self.bin, "pg_isready", f'[ -e {up} ]')
            _stub(self.bin, "pg_ctlcluster", f'echo "pg_ctlcluster $*" >> {self.log}; : > {up}')

        def install_rabbitmq(self, *, running: bool) -> None:
            up = self.state / "rabbit.up"
            if running:
                up.touch()
            _stub(self.bin, "rabbitmq-diagnostics", f'[ -e {up} ]')
            _stub(self.bin, "rabbitmq-server", f'echo "rabbitmq-server $*" >> {self.log}; : > {up}')

        def calls(self) -> list[str]:
            return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

        def run_tests(self, *args: str, **env: str) -> subprocess.CompletedProcess:
            environment = {key: value for key, value in os.environ.items()
                           if key not in ("CI", "CAREDESK_TEST_POSTGRES_URL", "CAREDESK_TEST_RABBITMQ_URL",
                                          "CAREDESK_TEST_WORKERS")}
            environment |= {"PATH": str(self.bin), "CAREDESK_SKIP_INSTALL": "1", "CAREDESK_PYTEST": "fake-pytest",
                            "CAREDESK_POSTGRES_ETC": str(self.etc), "CAREDESK_SERVER_WAIT": "2"} | env
            return subprocess.run(["/bin/bash", str(ROOT / "scripts" / "test"), *args], env=environment,
                                  capture_output=True, text=True, timeout=60)

    return Machine()


def test_servers_installed_but_stopped_are_started_before_the_tests(machine):
    machine.install_postgres(running=False)
    machine.install_rabbitmq(running=False)
    done = machine.run_tests("tests/unit", "-q")
    assert done.returncode == 0, done.stderr
    assert machine.calls() == ["pg_ctlcluster --skip-systemctl-redirect 15 main start",
                               "rabbitmq-server -detached", "pytest -n 4 --dist loadfile tests/unit -q"]
    assert "PostgreSQL is up" in done.stdout and "RabbitMQ is up" in done.stdout
    assert "Skipped" not in done.stdout


def test_running_servers_are_left_alone_and_the_tests_status_is_the_runs(machine):
    machine.install_postgres(running=True)
    machine.install_rabbitmq(running=True)
    done = machine.run_tests(FAKE_PYTEST_STATUS="3")
    assert done.returncode == 3
    assert machine.calls() == ["pytest -n 4 --dist loadfile"]


def test_missing_servers_run_what_can_run_and_end_with_one_line_saying_how_to_get_them(machine):
    done = machine.run_tests("-x", FAKE_PYTEST_STATUS="0")
    assert done.returncode == 0, done.stderr
    assert machine.calls() == ["pytest -n 4 --dist loadfile -x"]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("Skipped the tests that need PostgreSQL and RabbitMQ (tests/integration")
    assert "apt-get install -y postgresql rabbitmq-server" in last and "CAREDESK_TEST_POSTGRES_URL" in last
    assert sum("Skipped" in line for line in done.stdout.splitlines()) == 1


def test_only_the_missing_server_is_named(machine):
    machine.install_postgres(running=True)
    done = machine.run_tests(FAKE_PYTEST_STATUS="1")
    assert done.returncode == 1  # the tests' own failure still fails the run
    assert done.stdout.strip().splitlines()[-1].startswith("Skipped the tests that need RabbitMQ (")


def test_in_ci_a_missing_server_fails_the_run_before_any_test(machine):
    machine.install_rabbitmq(running=True)
    done = machine.run_tests(CI="true")
    assert done.returncode == 1
    assert "CI=true and not installed: PostgreSQL" in done.stderr
    assert machine.calls() == []


def test_tests_run_in_parallel_unless_told_otherwise(machine):
    machine.install_postgres(running=True)
    machine.install_rabbitmq(running=True)
    machine.run_tests("tests/unit", CAREDESK_TEST_WORKERS="2")
    machine.run_tests("tests/unit", "-n", "1")
    machine.run_tests("-p", "no:xdist", "tests/unit")
    machine.run_tests("tests/unit", CAREDESK_TEST_WORKERS="0")
    assert machine.calls() == ["pytest -n 2 --dist loadfile tests/unit", "pytest tests/unit -n 1",
                               "pytest -p no:xdist tests/unit", "pytest tests/unit"]


def test_ci_calls_the_readme_command():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=true" in run and run.rstrip().endswith("bash scripts/test")
