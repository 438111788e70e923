"""Apps of each component on their own SQLite file (a copy of a migrated template), with tokens signed by the session's test key."""
from __future__ import annotations

import pytest

from caredesk.components import COMPONENTS
from services.kit.settings import load_settings
from tests.databases import migrated_sqlite_database


@pytest.fixture
def component_settings(tmp_path, key_pair):
    def build(name: str):
        url = migrated_sqlite_database(COMPONENTS[name].migrations, tmp_path / (name + ".sqlite3"))
        return load_settings(name, data_dir=tmp_path, public_key_file=key_pair[1], database_url=url,
                             broker_url="memory://")
    return build


@pytest.fixture
def bearer(token_issuer):
    def header(principal) -> dict:
        token, _ = token_issuer.issue(principal)
        return {"Authorization": f"Bearer {token}"}
    return header
