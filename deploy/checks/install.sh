#!/usr/bin/env bash
# Part of scripts/test's install step (never run while the tests run, so nothing downloads then):
#  * .venv-deploy-checks: hadolint and checkov at the pins of deploy/checks/requirements.txt,
#    rebuilt only when those pins change;
#  * .venv-image: the image's install step (deploy/install.sh) in a fresh virtual environment,
#    every time, so a broken build step fails CI although no container engine runs here.
# tests/deploy/ uses both (with CI=true a missing one fails the run).
set -euo pipefail
cd "$(dirname "$0")/../.."

tools=.venv-deploy-checks
if ! cmp -s deploy/checks/requirements.txt "$tools/requirements.txt"; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check -r deploy/checks/requirements.txt
  cp deploy/checks/requirements.txt "$tools/requirements.txt"
fi

rm -rf .venv-image
bash deploy/install.sh .venv-image
