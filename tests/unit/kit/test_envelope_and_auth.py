"""Envelope naming and validation; token verification; the access-level filter."""
from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from marshmallow import ValidationError
from sqlalchemy import Column, MetaData, Table, Uuid, select
from sqlalchemy.dialects import sqlite

from gateway.auth.tokens import TokenIssuer
from services.kit.auth import TokenVerifier, scope_filter
from services.kit.messaging.envelope import Envelope, split_event_name
from services.kit.problems import Forbidden, Unauthorized
from tests.conftest import make_principal


@pytest.mark.parametrize("name,expected", [("case.dispatched.v1", ("case.dispatched", 1)),
                                           ("customer.preferred_agent.changed.v12", ("customer.preferred_agent.changed", 12))])
def test_event_names_split_into_type_and_version(name, expected):
    assert split_event_name(name) == expected


@pytest.mark.parametrize("name", ["case.dispatched", "Case.Dispatched.v1", "dispatched.v0", "case.dispatched.1"])
def test_event_names_outside_the_convention_are_refused(name):
    with pytest.raises(ValueError):
        split_event_name(name)


def test_envelope_round_trips_and_rejects_a_malformed_body():
    envelope = Envelope(type="case.dispatched", version=1, producer="cases", data={"n": 1}, correlation_id="c",
                        actor="a")
    assert Envelope.from_dict(envelope.to_dict()) == envelope
    with pytest.raises(ValidationError) as caught:
        Envelope.from_dict({"id": "nope", "type": "x", "data": []})
    assert {"id", "type", "data", "version", "occurred_at", "producer", "correlation_id"} <= set(caught.value.messages)


def test_tokens_are_verified_and_expired_ones_refused(key_pair):
    issuer = TokenIssuer.from_file(key_pair[0], lifetime_seconds=60)
    verifier = TokenVerifier.from_file(key_pair[1])
    principal = make_principal(level=3, permissions=frozenset({"edit_customers"}), queues=frozenset({"billing"}))
    token, _ = issuer.issue(principal)
    verified = verifier.verify(token)
    assert (verified.user_id, verified.level, verified.department_id, verified.queues) == (
        principal.user_id, 3, principal.department_id, frozenset({"billing"}))
    expired, _ = issuer.issue(principal, lifetime=timedelta(seconds=-1))
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(expired)
    with pytest.raises(Unauthorized):
        verifier.verify(token[:-4] + "AAAA")


def test_a_verified_token_is_checked_once_and_refused_when_it_expires(key_pair, monkeypatch):
    issuer = TokenIssuer.from_file(key_pair[0], lifetime_seconds=60)
    verifier = TokenVerifier.from_file(key_pair[1])
    token, _ = issuer.issue(make_principal())
    decoded = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: decoded.append(1) or real_decode(*args, **kwargs))
    first, second = verifier.verify(token), verifier.verify(token)
    assert first is second and len(decoded) == 1
    # the same token with another signature is a token of its own: checked, and refused
    with pytest.raises(Unauthorized, match="not valid"):
        verifier.verify(token[:-4] + "AAAA")
    issued_at = time.time()
    monkeypatch.setattr(time, "time", lambda: issued_at + 61)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_permissions_are_required_by_name():
    with pytest.raises(Forbidden, match="manage_queues"):
        make_principal().require("manage_queues")


rows = Table("rows", MetaData(), Column("branch_id", Uuid), Column("department_id", Uuid), Column("owner_id", Uuid))


def where_sql(principal) -> str:
    clause = scope_filter(principal, branch_column=rows.c.branch_id, department_column=rows.c.department_id,
                          owner_columns=[rows.c.owner_id])
    return str(select(rows).where(clause).compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def test_each_level_filters_in_the_query():
    principal = make_principal(level=2)
    assert "WHERE 1 = 1" in where_sql(make_principal(level=1)) or "WHERE true" in where_sql(make_principal(level=1))
    assert "rows.branch_id = " in where_sql(principal)
    assert "rows.department_id = " in where_sql(make_principal(level=3))
    assert "rows.owner_id = " in where_sql(make_principal(level=4))
    # a level-3 user without a department reaches nothing, rather than everything
    assert "WHERE 0 = 1" in where_sql(make_principal(level=3, department_id=None)) or \
        "WHERE false" in where_sql(make_principal(level=3, department_id=None))
