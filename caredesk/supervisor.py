"""`caredesk up`: every component's API and worker as child processes, watched until Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from caredesk.components import COMPONENTS, TASK_SERVICES
from services.kit.settings import EMBEDDED_BROKER_URL


CATCHER_OFFSETS = (10, 11)  # SMTP and provider ports of the local catcher, after the gateway's


def _catching(env: dict) -> bool:
    """Embedded, with no mail server of one's own: mail and SMS go to the local catcher."""
    return (env.get("CAREDESK_BROKER_URL", EMBEDDED_BROKER_URL).startswith(EMBEDDED_BROKER_URL)
            and not env.get("CAREDESK_NOTIFICATIONS_SMTP_HOST"))


def _child_env(gateway_port: int, base: dict | None) -> dict:
    env = dict(os.environ if base is None else base)
    for offset, name in enumerate(("customers", "cases", "notifications"), start=1):
        env[f"CAREDESK_GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{gateway_port + offset}"
    if _catching(env):
        smtp, http = (gateway_port + offset for offset in CATCHER_OFFSETS)
        env |= {"CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp),
                "CAREDESK_NOTIFICATIONS_SMTP_SECURITY": "none",
                "CAREDESK_NOTIFICATIONS_PROVIDER_URL": f"http://127.0.0.1:{http}", "CAREDESK_CATCHER": "1"}
    return env


def _wait_ready(url: str, processes: list, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"a component exited during start-up: {' '.join(process.args)}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become ready in {timeout:.0f}s")


def _background_commands(name: str, env: dict) -> list[list[str]]:
    """Embedded: one worker (relay, consumers) per component. With a real broker each runs as its
    own process, as in production."""
    if env.get("CAREDESK_BROKER_URL", EMBEDDED_BROKER_URL).startswith(EMBEDDED_BROKER_URL):
        return [["worker", name]]
    component = COMPONENTS[name]
    return [["relay", name]] + ([["consume", name]] if component.handlers else [])


# Once for the whole system: a Celery worker for every task queue and the one beat.
SYSTEM_COMMANDS = {"tasks": ["tasks", *TASK_SERVICES], "beat": ["beat"]}


def start_system(gateway_port: int, log_dir, env: dict | None = None) -> list[subprocess.Popen]:
    """Start API servers and workers; once every API answers /readyz, the Celery worker, beat (and
    the catcher), which need no API but compete with the APIs' start for the CPU; then return."""
    env = _child_env(gateway_port, env)
    log_dir.mkdir(parents=True, exist_ok=True)
    processes = []
    caredesk = [sys.executable, "-m", "caredesk.cli"]
    for offset, name in enumerate(COMPONENTS):
        log = open(log_dir / f"{name}.log", "ab")
        commands = [["serve", name, "--port", str(gateway_port + offset)]] + _background_commands(name, env)
        processes.extend(subprocess.Popen(caredesk + command, env=env, stdout=log, stderr=subprocess.STDOUT)
                         for command in commands)
    system_commands = dict(SYSTEM_COMMANDS)
    if env.get("CAREDESK_CATCHER"):
        smtp, http = (gateway_port + offset for offset in CATCHER_OFFSETS)
        system_commands["catcher"] = ["catcher", "--smtp-port", str(smtp), "--http-port", str(http)]
    try:
        for offset in range(len(COMPONENTS)):
            _wait_ready(f"http://127.0.0.1:{gateway_port + offset}/readyz", processes)
        for name, command in system_commands.items():
            log = open(log_dir / f"{name}.log", "ab")
            processes.append(subprocess.Popen(caredesk + command, env=env, stdout=log, stderr=subprocess.STDOUT))
    except BaseException:
        stop_system(processes)
        raise
    return processes


def stop_system(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def run_system(*, gateway_port: int, demo: bool) -> None:
    from caredesk.demo import load_demo_data
    from services.kit.settings import data_dir

    log_dir = data_dir() / "logs"
    processes = start_system(gateway_port, log_dir)
    url = f"http://127.0.0.1:{gateway_port}/"
    try:
        if demo:
            load_demo_data(url)
        print(f"Caredesk is running: {url}  (sign in as admin / caredesk-admin; logs in {log_dir}; Ctrl-C stops)",
              flush=True)
        if _catching(dict(os.environ)):
            print(f"Mail and SMS the system sends are kept in {data_dir() / 'caught'} "
                  f"(GET {url}api/v1/notifications/caught)", flush=True)
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        while not stopping:
            exited = [p for p in processes if p.poll() is not None]
            if exited:
                print(f"stopping: a component exited: {' '.join(exited[0].args)}", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        stop_system(processes)
