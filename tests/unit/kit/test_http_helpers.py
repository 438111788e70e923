"""The kit's glue every service's views and use cases share: the stale-version check, answers
with an ETag, ids in paths, and queue membership read from the directory replica."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import MetaData, create_engine, insert
from sqlalchemy.orm import Session

from services.kit.directory_replica import define_users_replica, is_queue_member, queue_members
from services.kit.http import IdConverter, MalformedId, no_content, with_etag
from services.kit.problems import StaleVersion, ensure_version


def test_a_stale_version_is_refused_with_the_current_one_and_no_if_match_passes():
    ensure_version(3, 3, what="Case 2026-000001")
    ensure_version(3, None, what="Case 2026-000001")  # an action sent without If-Match
    with pytest.raises(StaleVersion) as refused:
        ensure_version(4, 3, what="Case 2026-000001")
    assert refused.value.status == 412 and refused.value.extra == {"current_version": 4}
    assert refused.value.detail.startswith("Case 2026-000001 is at version 4; you read version 3.")


def test_answers_carry_the_version_as_etag():
    assert with_etag({"id": 1}, 7) == ({"id": 1}, 200, {"ETag": '"7"'})
    assert with_etag({"id": 1}, 1, 201)[1:] == (201, {"ETag": '"1"'})
    with Flask(__name__).app_context():
        answer = no_content(5)
    assert (answer.status_code, answer.headers["ETag"]) == (204, '"5"')


def test_the_id_converter_keeps_a_malformed_id_for_the_404_after_authentication():
    from werkzeug.routing import Map

    converter = IdConverter(Map())
    known = uuid.uuid4()
    assert converter.to_python(str(known)) == known
    assert isinstance(converter.to_python("42"), MalformedId)


def test_queue_membership_is_read_from_the_replica_in_one_place():
    metadata = MetaData()
    users = define_users_replica(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    boris, vera, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        session.execute(insert(users), [
            {"id": user_id, "username": name, "full_name": name, "email": None, "level": 4, "branch_id": None,
             "department_id": None, "permissions": [], "queues": queues, "is_active": active,
             "directory_version": 1, "updated_at": now}
            for user_id, name, queues, active in ((vera, "vera", ["delivery"], True),
                                                  (boris, "boris", ["delivery", "billing"], True),
                                                  (gone, "gone", ["delivery"], False))])
        assert [row.username for row in queue_members(session, users, "delivery")] == ["boris", "vera"]
        assert [row.id for row in queue_members(session, users, "billing")] == [boris]
        assert is_queue_member(session, users, "billing", boris)
        assert not is_queue_member(session, users, "billing", vera)
        assert not is_queue_member(session, users, "delivery", gone)  # disabled
        assert not is_queue_member(session, users, "delivery", uuid.uuid4())  # unknown
