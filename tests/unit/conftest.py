"""Apps of each component on their own SQLite file, with tokens signed by the session's test key."""
from __future__ import annotations

import pytest

from caredesk.components import COMPONENTS
from services.kit import migrations
from services.kit.settings import load_settings


@pytest.fixture
def component_settings(tmp_path, key_pair):
    def build(name: str):
        settings = load_settings(name, data_dir=tmp_path, public_key_file=key_pair[1],
                                 database_url=f"sqlite:///{tmp_path / (name + '.sqlite3')}",
                                 broker_url="memory://")
        migrations.upgrade(COMPONENTS[name].migrations, settings.database_url)
        return settings
    return build


@pytest.fixture
def bearer(token_issuer):
    def header(principal) -> dict:
        token, _ = token_issuer.issue(principal)
        return {"Authorization": f"Bearer {token}"}
    return header
