"""Finding people in the directory by a fragment of their name (the follow-up's colleague and
supervisor picker): within the caller's reach, accents and case ignored ("sofia" finds Sofía
Vargas, "tran thi" finds Trần Thị Linh), the best matches first.

The directory is small (people, not customers), so the folding is done here on the users in reach
rather than by the database: SQLite and PostgreSQL fold accents differently, and PostgreSQL's
unaccent extension is not installed everywhere."""
from __future__ import annotations

import unicodedata
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.directory.use_cases import visible_users
from gateway.models import Department, User
from services.kit.auth import Principal

# Letters that carry no combining mark to drop (Vietnamese đ, Nordic ø...), folded by hand.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Lower case without accents: what a name fragment is compared as."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _rank(words: list[str], name: str, username: str) -> int | None:
    """0: the name starts with the fragment; 1: every word starts a word of the name or the username;
    2: every word is somewhere in them; None: no match."""
    if not words:
        return 2
    folded_name = fold(name)
    haystack = f"{folded_name} {fold(username)}"
    if not all(word in haystack for word in words):
        return None
    if folded_name.startswith(" ".join(words)):
        return 0
    parts = haystack.replace(".", " ").replace("-", " ").replace("_", " ").split()
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
