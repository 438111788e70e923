"""The first administrator, so a new installation can be logged into."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from gateway.directory import use_cases
from gateway.models import PERMISSIONS, User
from services.kit.auth import COMPANY, Principal
from services.kit.db import Database
from services.kit.uow import UnitOfWork

INSTALLER = Principal(user_id=uuid.UUID(int=0), username="installer", level=COMPANY, branch_id=None,
                      department_id=None, permissions=frozenset(PERMISSIONS))


def ensure_first_admin(database: Database, *, username: str, password: str) -> bool:
    """Create the head-office branch and a level-1 administrator when the directory has no user."""
    with database.session() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return False
    def installer_uow() -> UnitOfWork:
        return UnitOfWork(database, producer="gateway", actor=str(INSTALLER.user_id))

    branch = use_cases.create_branch(installer_uow(), principal=INSTALLER, code="hq", name="Head office")
    use_cases.create_user(installer_uow(), principal=INSTALLER, data={
        "username": username, "full_name": "Administrator", "email": None, "password": password,
        "level": COMPANY, "branch_id": branch.id, "department_id": None,
        "permissions": list(PERMISSIONS), "queues": [],
    })
    return True
