"""Directory actions: who may do them, what they change, which events they announce."""
from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth import audit, throttle
from gateway.models import Branch, Department, RevokedToken, User
from services.kit.auth import BRANCH, COMPANY, Principal, scope_filter
from services.kit.directory_replica import prune_revoked_tokens
from services.kit.problems import Conflict, Forbidden, InvalidFields, NotFound, Unauthorized, ensure_version
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query
from services.kit.uow import UnitOfWork

password_hasher = PasswordHasher()
# Compared against when the user does not exist, so both paths cost one argon2 verification.
_UNKNOWN_USER_HASH = password_hasher.hash("no such user: constant-time refusal")


def _require_admin(principal: Principal) -> None:
    principal.require("manage_users")


require_user_administrator = _require_admin


def create_branch(uow: UnitOfWork, *, principal: Principal, code: str, name: str) -> Branch:
    """Emits branch.created.v1; a duplicate code is a 409."""
    return _create_unit(uow, Branch, "branch", principal=principal, code=code, name=name)


def create_department(uow: UnitOfWork, *, principal: Principal, code: str, name: str) -> Department:
    """Emits department.created.v1; a duplicate code is a 409."""
    return _create_unit(uow, Department, "department", principal=principal, code=code, name=name)


def _create_unit(uow: UnitOfWork, model: type[Branch] | type[Department], kind: str, *, principal: Principal,
                 code: str, name: str) -> Branch | Department:
    """A branch or a department: company-level administrators only, codes unique, announced by
    ``<kind>.created.v1`` and audited."""
    with uow:
        _require_admin(principal)
        if principal.level != COMPANY:
            raise NotFound(f"Only company-level administrators manage {kind}s.")
        if uow.session.scalar(select(model.id).where(model.code == code)):
            raise Conflict(f"A {kind} with code '{code}' exists.")
        unit = model(id=uuid.uuid4(), code=code, name=name)
        uow.session.add(unit)
        unit.record_event(f"{kind}.created.v1", unit.snapshot())
        audit.add(uow.session, f"{kind}.created", actor=principal, subject_id=unit.id, detail={"code": code})
        uow.commit()
        return unit


SELF_MANAGED = frozenset({"full_name", "email", "password", "language"})
# A change of any of these ends the user's tokens: they carry the old access, or the old password let them be made.
TOKEN_CLAIMS = frozenset({"password", "level", "branch_id", "department_id", "permissions", "queues", "is_active"})


def _grantable_queues(principal: Principal, wanted: set[str]) -> set[str]:
    """Queue codes beyond the principal's reach: their own queues, or any at company level."""
    return set() if principal.level == COMPANY else wanted - set(principal.queues)


def _check_placement(session: Session, principal: Principal, data: dict, *, current: User | None = None) -> None:
    """Nobody grants a level, permission, branch, department or queue beyond their own reach. On a
    change only what is added or taken away counts, so an administrator can still edit the name of
    a user who holds a queue they do not."""
    errors = {}
    if "branch_id" in data and session.get(Branch, data["branch_id"]) is None:
        errors["branch_id"] = ["No such branch."]
    if data.get("department_id") and session.get(Department, data["department_id"]) is None:
        errors["department_id"] = ["No such department."]
    if "level" in data and data["level"] < principal.level:
        errors["level"] = ["You cannot grant a wider access level than your own."]
    if principal.level != COMPANY and data.get("branch_id") not in (None, principal.branch_id):
        errors["branch_id"] = ["You can only place users in your own branch."]
    if principal.level > BRANCH and "department_id" in data and data["department_id"] != principal.department_id:
        errors["department_id"] = ["You can only place users in your own department."]
    if "permissions" in data:
        changed = set(data["permissions"]) ^ set(current.permissions if current else ())
        if changed - principal.permissions:
            errors["permissions"] = [f"You cannot grant or take away '{name}': you do not hold it."
                                     for name in sorted(changed - principal.permissions)]
    if "queues" in data:
        beyond = _grantable_queues(principal, set(data["queues"]) ^ set(current.queues if current else ()))
        if beyond:
            errors["queues"] = [f"You cannot grant or take away the queue '{code}': you are not its member."
                                for code in sorted(beyond)]
    if errors:
        raise InvalidFields(errors)


def _check_within_reach(principal: Principal, user: User) -> None:
    """An administrator manages only users who hold nothing beyond their own reach: otherwise a new
    password would let them act with more than they hold."""
    if (user.level < principal.level or set(user.permissions) - principal.permissions
            or _grantable_queues(principal, set(user.queues))):
        raise Forbidden("This user holds more than you do; an administrator of a wider reach manages them.")


def create_user(uow: UnitOfWork, *, principal: Principal, data: dict) -> User:
    """Emits user.created.v1 (which every service replicates); duplicate username is a 409."""
    with uow:
        _require_admin(principal)
        _check_placement(uow.session, principal, data)
        if uow.session.scalar(select(User.id).where(User.username == data["username"])):
            raise Conflict(f"The username '{data['username']}' is taken.")
        fields = {key: value for key, value in data.items() if key != "password"}
        user = User(id=uuid.uuid4(), password_hash=password_hasher.hash(data["password"]), **fields)
        uow.session.add(user)
        uow.session.flush()
        user.record_event("user.created.v1", user.snapshot())
        audit.add(uow.session, "user.created", actor=principal, subject_id=user.id, detail=audit.changed_fields(data))
        uow.commit()
        return user


def visible_users(principal: Principal):
    return scope_filter(principal, branch_column=User.branch_id, department_column=User.department_id,
                        owner_columns=[User.id])


def get_manageable_user(session: Session, *, principal: Principal, user_id: uuid.UUID) -> User:
    """A user the principal sees and may act for (issue a token as): nothing beyond their reach."""
    user = get_user(session, principal=principal, user_id=user_id)
    _check_within_reach(principal, user)
    return user


def get_user(session: Session, *, principal: Principal, user_id: uuid.UUID) -> User:
    user = session.scalar(select(User).where(User.id == user_id, visible_users(principal)))
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(session: Session, *, principal: Principal, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    """One page of the users within the caller's reach, by username."""
    return page_from_query(session, select(User).where(visible_users(principal)).order_by(User.username),
                           page=page, per_page=per_page)


def update_user(uow: UnitOfWork, *, principal: Principal, user_id: uuid.UUID, changes: dict,
                expected_version: int) -> User:
    """Emits user.updated.v1; a stale version is a 412 and changes nothing."""
    with uow:
        _require_admin(principal)
        user = get_user(uow.session, principal=principal, user_id=user_id)
        ensure_version(user.version, expected_version, what=f"User {user.username}")
        if user.id == principal.user_id:
            if forbidden := set(changes) - SELF_MANAGED:
                raise InvalidFields({name: ["You cannot change your own access."] for name in forbidden})
        else:
            _check_within_reach(principal, user)
        _check_placement(uow.session, principal, changes, current=user)
        for key, value in changes.items():
            if key == "password":
                user.password_hash = password_hasher.hash(value)
            else:
                setattr(user, key, value)
        if set(changes) & TOKEN_CLAIMS:
            user.token_version += 1
        uow.session.flush()
        user.record_event("user.updated.v1", user.snapshot())
        audit.add(uow.session, "user.updated", actor=principal, subject_id=user.id,
                  detail=audit.changed_fields(changes))
        uow.commit()
        return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The active user with this password; one vague 401 for every failure."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        password_hasher.verify(user.password_hash if user else _UNKNOWN_USER_HASH, password)
    except VerificationError:
        raise Unauthorized("Wrong username or password.") from None
    if user is None or not user.is_active:
        raise Unauthorized("Wrong username or password.")
    return user


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, level=user.level, branch_id=user.branch_id,
                     department_id=user.department_id, permissions=frozenset(user.permissions),
                     queues=frozenset(user.queues), token_version=user.token_version)


def revoke_token(uow: UnitOfWork, *, principal: Principal, expires_at) -> None:
    """End this token (logout) here and, by token.revoked.v1, at every service."""
    if principal.token_id is None:
        return
    with uow:
        prune_revoked_tokens(uow.session, RevokedToken.__table__)
        revoked = uow.session.merge(RevokedToken(token_id=principal.token_id, expires_at=expires_at))
        revoked.record_event("token.revoked.v1", {"token_id": principal.token_id, "user_id": principal.user_id,
                                                  "expires_at": expires_at})
        audit.add(uow.session, "logout", actor=principal, subject_id=principal.token_id)
        uow.commit()


def sign_in_lock(session: Session, *, principal: Principal, user_id: uuid.UUID) -> dict:
    """Whether a user within reach is locked out of signing in after wrong passwords, and until when."""
    _require_admin(principal)
    user = get_user(session, principal=principal, user_id=user_id)
    lock = throttle.account_lock(session, username=user.username)
    return {"user_id": user.id, "locked": lock.locked_until is not None, "locked_until": lock.locked_until,
            "failures": lock.failures}


def unlock_user(uow: UnitOfWork, *, principal: Principal, user_id: uuid.UUID,
                expected_version: int | None = None) -> None:
    """Lift a user's sign-in lock and count of wrong passwords (audited as user.unlocked); nothing
    beyond the administrator's reach. The lock is the user's: the administrator unlocks the user
    as they read it (its ETag; StaleVersion otherwise). The user record itself does not change."""
    with uow:
        _require_admin(principal)
        user = get_manageable_user(uow.session, principal=principal, user_id=user_id)
        ensure_version(user.version, expected_version, what=f"The user {user.username}")
        was_locked = throttle.unlock_account(uow.session, username=user.username)
        audit.add(uow.session, "user.unlocked", actor=principal, subject_id=user.id, detail={"was_locked": was_locked})
        uow.commit()
