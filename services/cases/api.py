"""Cases and queues endpoints under /api/v1/cases and /api/v1/queues."""
from __future__ import annotations

import uuid

from flask_smorest import Blueprint
from sqlalchemy import select

from services.cases import use_cases
from services.cases.models import Queue
from services.cases.repository import get_case as load_case
from services.cases.schemas import CaseCreateSchema, CaseSchema, QueueCreateSchema, QueueSchema
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import etag_of

cases = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Cases")
queues = Blueprint("queues", __name__, url_prefix="/api/v1/queues", description="Department queues")


@queues.post("")
@queues.arguments(QueueCreateSchema)
@queues.response(201, QueueSchema)
def create_queue(data):
    with new_uow() as uow:
        return use_cases.create_queue(uow, principal=current_principal(), data=data)


@queues.get("")
@queues.response(200, QueueSchema(many=True))
def list_queues():
    with service_context().database.session() as session:
        return session.scalars(select(Queue).order_by(Queue.code)).all()


@cases.post("")
@cases.arguments(CaseCreateSchema)
@cases.response(201, CaseSchema)
def create_case(data):
    with new_uow() as uow:
        case = use_cases.create_case(uow, principal=current_principal(), data=data)
    return case, 201, {"ETag": etag_of(case.version)}


@cases.get("/<uuid:case_id>")
@cases.response(200, CaseSchema)
def get_case(case_id: uuid.UUID):
    with service_context().database.session() as session:
        case = load_case(session, principal=current_principal(), case_id=case_id)
    return case, 200, {"ETag": etag_of(case.version)}


@cases.post("/<uuid:case_id>/dispatch")
@cases.response(200, CaseSchema)
def dispatch_case(case_id: uuid.UUID):
    with new_uow() as uow:
        case = use_cases.dispatch_case(uow, principal=current_principal(), case_id=case_id)
    return case, 200, {"ETag": etag_of(case.version)}
