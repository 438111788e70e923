"""Deployment checks, all offline: the tools come from scripts/test's install step
(deploy/checks/install.sh). A missing tool skips its checks with the reason; with CI=true it fails."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHECK_TOOLS = ROOT / ".venv-deploy-checks" / "bin"
IMAGE_VENV = ROOT / ".venv-image"
REPORTED: list[str] = []  # one line per check run, repeated at the end of the test output


def missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """A tool of .venv-deploy-checks, else one on PATH (kubectl, promtool ship on the machine)."""
    local = CHECK_TOOLS / name
    if local.exists():
        return str(local)
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (bash deploy/checks/install.sh, or see deploy/README.md)")
    return path


def report(line: str) -> None:
    print(line, flush=True)
    REPORTED.append(line)


def pytest_terminal_summary(terminalreporter):
    if REPORTED:
        terminalreporter.section("deploy checks")
        for line in REPORTED:
            terminalreporter.write_line(line)
