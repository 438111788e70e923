"""Directory endpoints under /api/v1/directory."""
from __future__ import annotations

import uuid

from marshmallow import RAISE
from sqlalchemy import select

from gateway.auth import audit
from gateway.directory import people, use_cases
from gateway.directory.schemas import (AuditPageSchema, AuditQuerySchema, BranchCreateSchema, BranchPageSchema, DepartmentCreateSchema,
                                       BranchSchema, DepartmentPageSchema, DepartmentSchema, UserPageSchema,
                                       PeoplePageSchema, PeopleQuerySchema, SignInLockSchema, UserCreateSchema,
                                       UserSchema, UserUpdateSchema)
from gateway.models import Branch, Department
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, install_id_converter, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_query

blp = Blueprint("directory", __name__, url_prefix="/api/v1/directory", description="Branches, departments, users")
install_id_converter(blp)


@blp.post("/branches")
@blp.arguments(BranchCreateSchema, example={"code": "medellin", "name": "Medellín"})
@blp.response(201, BranchSchema)
def create_branch(data):
    """Create a branch (sucursal): a unique code and a name."""
    return use_cases.create_branch(new_uow(), principal=current_principal(), **data)


@blp.get("/branches")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, BranchPageSchema)
def list_branches(args):
    """Every branch, by code."""
    with service_context().database.session() as session:
        return page_from_query(session, select(Branch).order_by(Branch.code), **args)


@blp.post("/departments")
@blp.arguments(DepartmentCreateSchema, example={"code": "billing", "name": "Billing"})
@blp.response(201, DepartmentSchema)
def create_department(data):
    """Create a department of a branch."""
    return use_cases.create_department(new_uow(), principal=current_principal(), **data)


@blp.get("/departments")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, DepartmentPageSchema)
def list_departments(args):
    """Every department, by code."""
    with service_context().database.session() as session:
        return page_from_query(session, select(Department).order_by(Department.code), **args)


@blp.post("/users")
@blp.arguments(UserCreateSchema, example={
    "username": "ana.gomez", "full_name": "Ana Gómez", "email": "ana.gomez@example.com",
    "password": "a long pass phrase", "level": 3, "branch_id": "7d0f5b1e-2c4a-4f3b-9a8e-1e2d3c4b5a69",
    "department_id": "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b", "permissions": ["edit_customers"], "queues": ["billing"]})
@blp.response(201, UserSchema)
def create_user(data):
    """Create a user with a password, level, branch, department, permissions and queues, none beyond your own
    reach (permission manage_users)."""
    user = use_cases.create_user(new_uow(), principal=current_principal(), data=data)
    return with_etag(user, user.version, 201)


@blp.get("/users")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(args):
    """The users within your reach, by username."""
    with service_context().database.session() as session:
        return use_cases.list_users(session, principal=current_principal(), **args)


@blp.get("/users/search")
@blp.arguments(PeopleQuerySchema, location="query", unknown=RAISE)
@blp.response(200, PeoplePageSchema)
def search_users(args):
    """People within your reach by a fragment of their name or username, accents and case ignored, best
    matches first (such as the colleagues and supervisor invited to a follow-up); ``id`` names given users."""
    with service_context().database.session() as session:
        return people.search_people(session, principal=current_principal(), q=args["q"], ids=args["id"],
                                    include_inactive=args["include_inactive"], page=args["page"],
                                    per_page=args["per_page"])


@blp.get("/users/<id:user_id>")
@blp.response(200, UserSchema)
def get_user(user_id: uuid.UUID):
    """One user within your reach; the ETag is its version."""
    with service_context().database.session() as session:
        user = use_cases.get_user(session, principal=current_principal(), user_id=user_id)
    return with_etag(user, user.version)


@blp.get("/audit")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def search_audit(args):
    """The audit log, newest first: logins, authorisation failures, administration changes, API
    tokens; who, what, when (UTC), from where. Company-level administrators (manage_users)."""
    with service_context().database.session() as session:
        return audit.search(session, principal=current_principal(), **args)


@blp.patch("/users/<id:user_id>")
@blp.arguments(UserUpdateSchema, example={"full_name": "Ana María Gómez", "queues": ["billing", "tech"]})
@blp.response(200, UserSchema)
def update_user(changes, user_id: uuid.UUID):
    """Change a user (If-Match required): name, password, level, branch, department, permissions, queues,
    active; nothing beyond your own reach, never your own access."""
    version = expected_version()
    user = use_cases.update_user(new_uow(), principal=current_principal(), user_id=user_id, changes=changes,
                                 expected_version=version)
    return with_etag(user, user.version)


@blp.get("/users/<id:user_id>/sign-in-lock")
@blp.response(200, SignInLockSchema)
def get_sign_in_lock(user_id: uuid.UUID):
    """Whether the user is locked out of signing in after too many wrong passwords, until when, and the
    wrong passwords in a row so far (permission manage_users)."""
    with service_context().database.session() as session:
        return use_cases.sign_in_lock(session, principal=current_principal(), user_id=user_id)


@blp.delete("/users/<id:user_id>/sign-in-lock")
@blp.response(204)
def unlock_user(user_id: uuid.UUID):
    """Unlock the user's sign-in at once and forget their wrong passwords (If-Match: the user's ETag;
    permission manage_users; audited as user.unlocked). A lock of a client address stays."""
    principal = current_principal()
    use_cases.require_user_administrator(principal)  # who may comes before what the request lacks
    use_cases.unlock_user(new_uow(), principal=principal, user_id=user_id, expected_version=expected_version())
    return None
