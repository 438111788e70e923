#!/usr/bin/env bash
# The image's install step, also run by CI (scripts/test) in a fresh virtual environment, so a broken
# build step fails CI although no container engine runs there.
#
#   deploy/install.sh TARGET [SOURCE]
#
# Creates a new virtual environment at TARGET (it must not exist) with the Python that runs this
# script, installs Caredesk from SOURCE (default: this repository) as a regular, non-editable
# package with the exact pins of pyproject.toml, byte-compiles it, checks the dependency tree
# (pip check) and that every component's app and the Celery app import. Nothing else: no compiler,
# no test tools, no secrets.
set -euo pipefail

target=${1:?usage: deploy/install.sh TARGET [SOURCE]}
source_dir=${2:-$(cd "$(dirname "$0")/.." && pwd)}
python=${PYTHON:-python3}

if [ -e "$target" ]; then
  echo "install.sh: $target exists; the install step starts from an empty virtual environment" >&2
  exit 2
fi

"$python" -m venv "$target"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$target/bin/python" -m pip install --quiet --no-compile "$source_dir"
"$target/bin/python" -m pip check
"$target/bin/python" -m compileall -q "$target/lib"

# Smoke test of what the image runs: the command line, every component's WSGI app factory and
# module tree, and the Celery app (imports only: nothing connects at import time).
"$target/bin/caredesk" --help >/dev/null
"$target/bin/python" - <<'PY'
import importlib

from caredesk.components import COMPONENTS

for component in COMPONENTS.values():
    module = importlib.import_module(component.package)
    assert callable(module.create_app), component.name
    component.metadata, component.handlers, component.periodic_jobs
    assert component.migrations.is_dir(), f"{component.name}: migrations missing from the install"
importlib.import_module("caredesk.celery_app")
print(f"install.sh: caredesk installed, {len(COMPONENTS)} components import")
PY
