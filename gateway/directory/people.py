"""Finding people in the directory by a fragment of their name (the follow-up's colleague and
supervisor picker): within the caller's reach, accents and case ignored ("sofia" finds Sofía
Vargas, "tran thi" finds Trần Thị Linh), the best matches first.

The directory is small (people, not customers), so the matching is done here on the users in reach
rather than by the database, with the one folding every search uses (services.kit.text.fold): "jose"
finds José, "елка" finds Ёлкина, "nguyen" finds Nguyễn."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.directory.use_cases import visible_users
from gateway.models import Department, User
from services.kit.auth import Principal
from services.kit.text import fold


def _rank(words: list[str], name: str, username: str) -> int | None:
    """0: the name starts with the fragment; 1: every word starts a word of the name or the username;
    2: every word is somewhere in them; None: no match."""
    if not words:
        return 2
    folded_name = fold(name)
    # a username's dots part its words ("ana.perez"), where fold would join them as in "S.A.S."
    haystack = f"{folded_name} {fold(username.replace('.', ' '))}"
    if not all(word in haystack for word in words):
        return None
    if folded_name.startswith(" ".join(words)):
        return 0
    parts = haystack.split()
    return 1 if all(any(part.startswith(word) for part in parts) for word in words) else 2


def search_people(session: Session, *, principal: Principal, q: str = "", ids: list[uuid.UUID] | None = None,
                  include_inactive: bool = False, page: int = 1, per_page: int = 20) -> dict:
    """A page of the users in reach whose name or username holds every word of ``q`` (accents and
    case ignored), best matches first, then by name; ``ids`` only those users (to name the ones
    already chosen)."""
    query = (select(User.id, User.username, User.full_name, User.level, User.department_id, User.is_active,
                    Department.name).outerjoin(Department, Department.id == User.department_id)
             .where(visible_users(principal)))
    if ids:
        query = query.where(User.id.in_(ids))
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    words = fold(q).split()
    ranked = []
    for row in session.execute(query):
        rank = _rank(words, row.full_name, row.username)
        if rank is not None:
            ranked.append((rank, fold(row.full_name), row))
    ranked.sort(key=lambda item: (item[0], item[1]))
    start = (page - 1) * per_page
    return {"total": len(ranked), "page": page, "per_page": per_page, "items": [
        {"id": row.id, "username": row.username, "full_name": row.full_name, "level": row.level,
         "department_id": row.department_id, "department_name": row.name, "is_active": row.is_active}
        for _rank_, _name, row in ranked[start:start + per_page]]}
