"""My account: what every user chooses for themselves (language, time zone), kept on their user in
the directory so it follows them to any browser. Not access: no token ends and no event is needed."""
from __future__ import annotations

from gateway.directory.use_cases import get_user
from gateway.models import User
from services.kit.auth import Principal
from services.kit.problems import ensure_version
from services.kit.uow import UnitOfWork

MY_SETTINGS = ("language", "time_zone")


def change_my_settings(uow: UnitOfWork, *, principal: Principal, changes: dict, expected_version: int) -> User:
    """The signed-in user's language and time zone; a stale version is a 412 and changes nothing."""
    with uow:
        user = get_user(uow.session, principal=principal, user_id=principal.user_id)
        ensure_version(user.version, expected_version, what="Your account")
        for name in MY_SETTINGS:
            if name in changes:
                setattr(user, name, changes[name])
        uow.commit()
        return user
