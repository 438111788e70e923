"""The image: multi-stage on a pinned base, non-root, one health check for every process kind,
OCI labels; hadolint and checkov pass on it; its install step works in a fresh virtual environment
(scripts/test runs deploy/install.sh into .venv-image before the tests)."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib

from caredesk.components import COMPONENTS
from tests.deploy.conftest import DEPLOY, IMAGE_VENV, ROOT, missing, report, require_tool

DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[str]:
    """Instruction lines, continuation lines joined."""
    joined, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            joined.append(current.strip())
            current = ""
    return joined


def stages() -> list[list[str]]:
    result = []
    for line in instructions():
        if line.startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def test_two_stages_on_the_same_base_pinned_to_an_exact_tag():
    bases = [stage[0].split()[1] for stage in stages()]
    assert len(bases) == 2 and bases[0] == bases[1]
    assert stages()[0][0].endswith(" AS build")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", bases[0]), bases[0]


def test_the_final_stage_copies_only_the_virtual_environment_and_runs_no_installer():
    final = stages()[1]
    assert [line for line in final if line.startswith("COPY")] == ["COPY --from=build /opt/caredesk /opt/caredesk"]
    runs = " ".join(line for line in final if line.startswith("RUN"))
    for tool in ("pip", "apt-get", "gcc", "install.sh"):
        assert tool not in runs, tool


def test_the_build_stage_installs_through_the_script_ci_runs():
    build = stages()[0]
    assert "RUN bash deploy/install.sh /opt/caredesk /src" in build
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert "!deploy/install.sh" in ignore
    # every package pyproject.toml installs is copied in and not ignored
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    for package in packages:
        assert f"COPY {package} ./{package}" in build
        assert f"!{package}/" in ignore
    assert "!pyproject.toml" in ignore


def test_runs_as_a_fixed_non_root_user_with_caredesk_as_entrypoint():
    final = stages()[1]
    uid = int(re.search(r"ARG CAREDESK_UID=(\d+)", DOCKERFILE.read_text()).group(1))
    assert uid >= 10000
    assert [line for line in final if line.startswith("USER")] == ["USER ${CAREDESK_UID}:${CAREDESK_UID}"]
    assert 'ENTRYPOINT ["caredesk"]' in final
    (expose,) = [line for line in final if line.startswith("EXPOSE")]
    assert {int(port) for port in expose.split()[1:]} == {c.default_port for c in COMPONENTS.values()}


def test_one_health_check_for_every_process_kind():
    (check,) = [line for line in stages()[1] if line.startswith("HEALTHCHECK")]
    assert check.endswith('CMD ["caredesk", "health"]')
    assert "CAREDESK_HEALTH_FILE=/tmp/caredesk-health.json" in " ".join(stages()[1])


def test_oci_labels():
    labels = " ".join(line for line in stages()[1] if line.startswith("LABEL"))
    for key in ("title", "description", "version", "revision", "created", "licenses", "base.name"):
        assert f"org.opencontainers.image.{key}=" in labels, key


def test_no_secret_baked_in():
    text = " ".join(instructions())
    assert not re.search(r"(PASSWORD|SECRET|TOKEN|PRIVATE_KEY)\w*=", text, re.IGNORECASE)
    assert "keys/gateway.pem" not in text


def test_hadolint_passes():
    hadolint = require_tool("hadolint")
    result = subprocess.run([hadolint, "--format", "json", str(DOCKERFILE)], capture_output=True, text=True,
                            timeout=120, check=False)
    findings = json.loads(result.stdout or "[]")
    report(f"DEPLOY hadolint deploy/Dockerfile: findings={len(findings)} ignored=0")
    assert result.returncode == 0 and findings == [], findings


def test_checkov_passes_on_the_dockerfile():
    checkov = require_tool("checkov")
    result = subprocess.run([checkov, "--skip-download", "--quiet", "-o", "json", "--framework", "dockerfile",
                             "-f", str(DOCKERFILE)], capture_output=True, text=True, timeout=600, check=False)
    summary = json.loads(result.stdout)["summary"]
    report(f"DEPLOY checkov dockerfile: passed={summary['passed']} failed={summary['failed']} "
           f"skipped={summary['skipped']}")
    assert summary["failed"] == 0 and summary["skipped"] == 0, result.stdout[-4000:]
    assert summary["passed"] > 0


def test_install_step_ran_in_a_fresh_virtual_environment():
    python = IMAGE_VENV / "bin" / "python"
    if not python.exists():
        missing("no .venv-image: run bash deploy/checks/install.sh (part of scripts/test's install step)")
    located = subprocess.run([str(python), "-c", "import caredesk, gateway, services; "
                              "print(caredesk.__file__, gateway.__file__, services.__file__)"],
                             capture_output=True, text=True, timeout=60, check=True, cwd="/")
    for path in located.stdout.split():
        assert path.startswith(str(IMAGE_VENV)), f"{path}: installed as a link to the source tree"
    help_text = subprocess.run([str(IMAGE_VENV / "bin" / "caredesk"), "--help"], capture_output=True, text=True,
                               timeout=60, check=True).stdout
    for command in ("serve", "relay", "consume", "tasks", "beat", "init", "health"):
        assert command in help_text, command
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, timeout=60,
                            check=True).stdout.lower()
    for test_tool in ("pytest", "hypothesis", "schemathesis", "playwright", "checkov", "kubernetes-validate"):
        assert f"{test_tool}==" not in freeze, f"{test_tool} is in the image's environment"
    report(f"DEPLOY install step (.venv-image): packages={len(freeze.splitlines())}")
