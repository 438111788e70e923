"""Fixtures every kind of test shares: a signing key pair and tokens for made-up principals."""
from __future__ import annotations

import uuid

import pytest

from gateway.auth.keys import ensure_key_pair
from tests import databases
from gateway.auth.tokens import TokenIssuer
from services.kit.auth import Principal


@pytest.fixture(scope="session")
def key_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "gateway.pem", folder / "gateway.pub"
    ensure_key_pair(private, public)
    return private, public


@pytest.fixture(scope="session")
def token_issuer(key_pair):
    return TokenIssuer.from_file(key_pair[0], lifetime_seconds=900)


def make_principal(**overrides) -> Principal:
    values = dict(user_id=uuid.uuid4(), username="agent", level=1, branch_id=uuid.uuid4(),
                  department_id=uuid.uuid4(), permissions=frozenset(), queues=frozenset())
    values.update(overrides)
    return Principal(**values)


def pytest_sessionfinish(session):
    """Drop this process's migrated templates (each xdist worker has its own)."""
    databases.finish()


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent under -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """Under ``--dist loadfile`` (scripts/test): each file on one worker, except that every e2e
    file goes to the same worker, one after another: each starts the whole system (and Chromium),
    and two or three of them at once on two cores time out."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LoadFileOneSystemAtATime(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/e2e" if nodeid.startswith("tests/e2e/") else nodeid.split("::", 1)[0]

    return LoadFileOneSystemAtATime(config, log)
