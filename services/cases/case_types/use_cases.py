"""Administering case types, their forms and routing rules (permission manage_queues)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.cases.case_types.models import CaseType, RoutingRule
from services.cases.errors import CaseTypeCodeTaken
from services.cases.repository import administered_queues, get_case_type, get_routing_rule, queue_named_in
from services.kit.auth import Principal
from services.kit.db import bump_version
from services.kit.problems import ensure_version
from services.kit.uow import UnitOfWork

MANAGE_QUEUES = "manage_queues"


def create_case_type(uow: UnitOfWork, *, principal: Principal, data: dict) -> CaseType:
    """A case type: its target queue, default priority and form. Emits case_type.created.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        if uow.session.scalar(select(CaseType.id).where(CaseType.code == data["code"])):
            raise CaseTypeCodeTaken(f"A case type with code '{data['code']}' exists.")
        queue = queue_named_in(uow.session, data.pop("queue"), within=administered_queues(principal))
        case_type = CaseType(id=uuid.uuid4(), queue=queue, routing_rules=[], **data)
        uow.session.add(case_type)
        case_type.record_event("case_type.created.v1", case_type.snapshot())
        uow.commit()
        return case_type


def change_case_type(uow: UnitOfWork, *, principal: Principal, case_type_id: uuid.UUID, expected_version: int,
                     data: dict) -> CaseType:
    """Rename, retarget, re-prioritise, change the form or retire a case type. Cases keep their
    values; dispatch checks the form as it is then. Emits case_type.updated.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        case_type = get_case_type(uow.session, case_type_id)
        ensure_version(case_type.version, expected_version, what=f"Case type {case_type.code}")
        if "queue" in data:
            case_type.queue = queue_named_in(uow.session, data.pop("queue"), within=administered_queues(principal))
        for key, value in data.items():
            setattr(case_type, key, value)
        uow.session.flush()
        case_type.record_event("case_type.updated.v1", case_type.snapshot())
        uow.commit()
        return case_type


def add_routing_rule(uow: UnitOfWork, *, principal: Principal, case_type_id: uuid.UUID, data: dict) -> RoutingRule:
    """A rule sending cases of the type that match region, priority and/or line status to another
    queue; rules are tried by position, the first match wins."""
    with uow:
        principal.require(MANAGE_QUEUES)
        case_type = get_case_type(uow.session, case_type_id)
        queue = queue_named_in(uow.session, data.pop("queue"), within=administered_queues(principal))
        position = data.pop("position", None)
        if position is None:
            last = uow.session.scalar(
                select(func.max(RoutingRule.position)).where(RoutingRule.case_type_id == case_type.id))
            position = (last or 0) + 10
        rule = RoutingRule(id=uuid.uuid4(), case_type_id=case_type.id, queue=queue, position=position, **data)
        uow.session.add(rule)
        bump_version(case_type)  # a rule is part of the case type: its ETag moves on
        uow.session.flush()
        case_type.record_event("case_type.updated.v1", case_type.snapshot() | {"changed": ["routing_rules"]})
        uow.commit()
        return rule


def remove_routing_rule(uow: UnitOfWork, *, principal: Principal, case_type_id: uuid.UUID,
                        rule_id: uuid.UUID, expected_version: int | None = None) -> CaseType:
    """Remove a routing rule, from the case type's version the caller read (412 when stale); the
    case type's version moves on. Emits case_type.updated.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        case_type = get_case_type(uow.session, case_type_id)
        ensure_version(case_type.version, expected_version, what=f"Case type {case_type.code}")
        rule = get_routing_rule(uow.session, case_type_id=case_type_id, rule_id=rule_id)
        uow.session.delete(rule)
        bump_version(case_type)
        case_type.record_event("case_type.updated.v1", case_type.snapshot() | {"changed": ["routing_rules"]})
        uow.commit()
        return case_type
