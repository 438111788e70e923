"""The cases service on a real PostgreSQL database of its own (cloned from the worker's migrated
template), with a connection pool big enough for the concurrency tests (32 agents at once); and
``backend_api``, the same API on each backend in turn, for suites that must hold on both."""
from __future__ import annotations

import pytest

from services.cases import MIGRATIONS, create_app
from services.cases.models import Base, CustomerReadModel
from services.kit.db import Database
from services.kit.settings import load_settings
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID, INITIATOR_ID, Api, build_app

POOL = 40


@pytest.fixture
def pg_app(make_database, tmp_path, key_pair):
    url = make_database(MIGRATIONS)
    settings = load_settings("cases", data_dir=tmp_path, database_url=url, broker_url="memory://",
                             public_key_file=key_pair[1])
    app = create_app(settings)
    context = app.extensions["caredesk"]
    context.database.dispose()
    context.database = Database(url, Base.metadata, pool_size=POOL, max_overflow=10)
    with context.database.session() as session:
        session.add(CustomerReadModel(id=CUSTOMER_ID, code="C-7", name="Дмитрий Иванов", branch_id=BRANCH, created_by=INITIATOR_ID,
                                      region="Moscow", lines=[{"number": "+79161234567", "status": "active"}],
                                      source_version=1))
        session.commit()
    yield app
    context.database.dispose()


@pytest.fixture
def pg_api(pg_app, token_issuer) -> Api:
    return Api(pg_app, token_issuer)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_api(request, tmp_path, key_pair, token_issuer) -> Api:
    """The cases API on the embedded mode's SQLite file, then on PostgreSQL (``.backend`` says
    which): a suite written once that must hold on both."""
    if request.param == "sqlite":
        api = Api(build_app(tmp_path, key_pair), token_issuer)
    else:
        api = request.getfixturevalue("pg_api")
    api.backend = request.param
    return api
