"""Read side of customers: the card, search, change history, flashes and agents, as plain dicts.

Search runs as one SQL statement on both backends:
  identifiers  every code, line number, tax number, phone and e-mail of a customer is a row of
               ``customer_search_terms`` (normalised by the model); what the agent typed is turned
               into the keys it may stand for and looked up in that one index;
  names        ``customers.search_name`` holds the name lower-cased, accent-folded and padded with
               spaces; each typed word must occur in it (a word of 1-2 letters must start a word),
               which PostgreSQL answers from a pg_trgm GIN index and SQLite by scanning.
Matches rank by kind (code, line, tax number, phone, e-mail, contact, then name: the whole name, every
word typed is a whole word, the name starts with it, every word starts a word, anywhere), then
shorter names first; the caller's access level is in the WHERE clause.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functools import lru_cache

from sqlalchemy import Connection, Integer, Select, and_, bindparam, case, func, select, union_all
from sqlalchemy.orm import Session

from services.customers.errors import CallerAmbiguous, CallerNotFound
from services.customers.lines.queries import line_dict
from services.customers.models import (
    PROSPECT_CODE, SEARCH_KINDS, Change, Customer, Flash, SearchTerm, directory_users,
)
from services.customers.normalisation import (
    DEFAULT_PHONE_REGIONS, code_key, email_key, fold, looks_like_phone, phone_candidates, tax_key,
)
from services.customers.repository import bound_reach, reach_params, reach_shape, visible_customers
from services.kit.auth import Principal
from services.kit.db import execute_rendered, utcnow

SEARCH_BY = ("any", "code", "line", "tax_number", "phone", "email", "name")
RANKS = {kind: rank for rank, kind in enumerate(SEARCH_KINDS)}
NAME_RANK = 10
_KINDS_BY = {"code": ["code"], "line": ["line"], "tax_number": ["tax_number"], "phone": ["phone", "contact"],
             "email": ["email", "contact"]}
CALLER_KINDS = ("line", "phone", "contact")

RESULT_COLUMNS = (Customer.id, Customer.code, Customer.name, Customer.kind, Customer.status, Customer.country,
                  Customer.tax_number, Customer.phone, Customer.phone2, Customer.email, Customer.branch_id,
                  Customer.department_id, Customer.salesperson_id, Customer.version)


# -- search -----------------------------------------------------------------------------------
def search_keys(q: str, *, by: str = "any",
                regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> tuple[list[str], list[str] | None, list[str]]:
    """(identifier keys, kinds to look in or None for all, name words) for what the agent typed."""
    keys: set[str] = set()
    if by in ("any", "code"):
        keys.add(code_key(q))
    if by in ("any", "tax_number") and tax_key(q):
        keys.add(tax_key(q))
    if by in ("any", "email") and "@" in q:
        keys.add(email_key(q))
    if by in ("any", "phone", "line"):
        keys.update(phone_candidates(q, regions=regions))
    words = fold(q).split()
    if by == "name" or (by == "any" and _reads_as_name(q)):
        name_words = words
    else:
        name_words = []
    return sorted(k for k in keys if k), _KINDS_BY.get(by), name_words


def _reads_as_name(q: str) -> bool:
    """A name has letters, more letters than digits, and no @ (codes such as "C-1001" do not)."""
    letters = sum(map(str.isalpha, q))
    digits = sum(map(str.isdigit, q))
    return "@" not in q and letters >= 2 and letters > digits


def search_query(principal: Principal, *, q: str, by: str = "any", page: int = 1, per_page: int = 25,
                 regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS,
                 kinds: tuple[str, ...] | None = None) -> tuple[Select, dict] | None:
    """The one SELECT behind a search and its parameters (the benchmark issues the same statement
    directly as its floor); None when there is nothing to look for."""
    keys, by_kinds, words = search_keys(q, by=by, regions=regions)
    if not keys and not words:
        return None
    kinds = tuple(kinds) if kinds is not None else (tuple(by_kinds) if by_kinds is not None else None)
    statement = _search_template(reach_shape(principal), len(keys), kinds, len(words))
    params = reach_params(principal) | {f"key{n}": key for n, key in enumerate(keys)} | {
        "limit": per_page, "offset": (page - 1) * per_page}
    if words:
        whole = " ".join(words)
        params |= {"name_whole": f" {whole} ", "name_prefix": f" {whole}%"}
        for n, word in enumerate(words):
            # 3+ letters: anywhere (trigrams narrow it); 1-2 letters: start of a word (" le" is a trigram too)
            params |= {f"w{n}": f"%{word}%" if len(word) >= 3 else f"% {word}%",
                       f"w{n}_word": f"% {word} %", f"w{n}_start": f"% {word}%"}
    return statement, params


def search_statement(principal: Principal, **kwargs) -> Select | None:
    """:func:`search_query` with its parameters bound (for EXPLAIN and the benchmark's floor)."""
    query = search_query(principal, **kwargs)
    return query[0].params(query[1]) if query else None


@lru_cache(maxsize=2048)
def _search_template(reach: tuple[int, bool, bool], keys: int, kinds: tuple[str, ...] | None, words: int) -> Select:
    """Built once per shape of caller (its level, which of its ids it has: their values are bound),
    number of identifier keys and name words: building the statement costs more than running it for
    an identifier, so searches only bind new parameters. The keys are that many parameters, not one
    expanding IN, which SQLAlchemy would render into the SQL text again on every execution."""
    parts = []
    if keys:
        terms = select(SearchTerm.customer_id.label("customer_id"),
                       case(RANKS, value=SearchTerm.kind, else_=len(RANKS)).label("rank")
                       ).where(SearchTerm.term.in_([bindparam(f"key{n}", type_=SearchTerm.term.type)
                                                    for n in range(keys)]))
        if kinds is not None:  # bound with their values, like the keys (a list would expand per execution)
            terms = terms.where(SearchTerm.kind.in_([bindparam(f"kind{n}", kind, type_=SearchTerm.kind.type)
                                                     for n, kind in enumerate(kinds)]))
        parts.append(terms)
    if words:
        parts.append(_name_hits(words))
    if len(parts) == 1 and words:
        hits = parts[0].subquery("hits")  # one row per customer already
    else:
        united = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("hits")
        hits = select(united.c.customer_id, func.min(united.c.rank).label("rank")
                      ).group_by(united.c.customer_id).subquery("best")
    return (select(*RESULT_COLUMNS, hits.c.rank, func.count().over().label("total"))
            .join(hits, hits.c.customer_id == Customer.id)
            .where(visible_customers(bound_reach(reach)))
            .order_by(hits.c.rank, func.length(Customer.search_name), Customer.search_name, Customer.id)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def _name_hits(words: int) -> Select:
    column = Customer.search_name
    each = range(words)
    rank = case((column == bindparam("name_whole"), NAME_RANK),
                (and_(*(column.like(bindparam(f"w{n}_word")) for n in each)), NAME_RANK + 1),
                (column.like(bindparam("name_prefix")), NAME_RANK + 2),
                (and_(*(column.like(bindparam(f"w{n}_start")) for n in each)), NAME_RANK + 3), else_=NAME_RANK + 4)
    return select(Customer.id.label("customer_id"), rank.label("rank")).where(
        *(column.like(bindparam(f"w{n}")) for n in each))


def matched_kind(rank: int) -> str:
    return SEARCH_KINDS[rank] if rank < len(SEARCH_KINDS) else "name"


def search_customers(connection: Session | Connection, *, principal: Principal, q: str, by: str = "any",
                     page: int = 1, per_page: int = 25, regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> dict:
    """Ranked, paged matches within the caller's access level."""
    query = search_query(principal, q=q, by=by, page=page, per_page=per_page, regions=regions)
    if query is None:
        return {"items": [], "total": 0, "page": page, "per_page": per_page}
    statement, params = query
    if isinstance(connection, Session):
        connection = connection.connection()
    rows = execute_rendered(connection, statement, params).all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # past the last page: the window count came back with no rows
        total = connection.execute(select(func.count()).select_from(
            statement.limit(None).offset(None).order_by(None).subquery()), params).scalar()
    items = [{"id": row.id, "code": row.code, "name": row.name, "kind": row.kind, "status": row.status,
              "country": row.country, "tax_number": row.tax_number, "phone": row.phone, "phone2": row.phone2,
              "email": row.email, "branch_id": row.branch_id, "department_id": row.department_id,
              "salesperson_id": row.salesperson_id, "version": row.version, "matched": matched_kind(row.rank)}
             for row in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def list_customers(session: Session, *, principal: Principal, q: str, page: int, per_page: int,
                   regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> dict:
    """All reachable customers by code, or the search results when ``q`` is given."""
    if q:
        return search_customers(session, principal=principal, q=q, page=page, per_page=per_page, regions=regions)
    query = select(Customer).where(visible_customers(principal))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Customer.code).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


def find_caller(session: Session, *, principal: Principal, number: str,
                regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS) -> uuid.UUID:
    """The one customer a caller number belongs to: a live line first, then the customer's phones,
    then its contacts' phones. Raises CallerNotFound, CallerAmbiguous."""
    query = search_query(principal, q=number, by="phone", page=1, per_page=20, regions=regions,
                         kinds=CALLER_KINDS) if looks_like_phone(number) else None
    rows = session.execute(*query).all() if query is not None else []
    if not rows:
        raise CallerNotFound(f"No card you can open has the number {number}.")
    best = [row for row in rows if row.rank == rows[0].rank]
    if len(best) > 1:
        raise CallerAmbiguous(f"{len(best)} cards have the number {number}; search and choose one.",
                              matches=[{"id": str(row.id), "code": row.code, "name": row.name} for row in best])
    return best[0].id


# -- the card ---------------------------------------------------------------------------------
def card(session: Session, customer: Customer, *, flashes: list | None = None) -> dict:
    """Everything the front office sees when the card opens: active flashes first (seed 004).
    ``flashes``: the active ones when the caller knows them (a card just created has none)."""
    now = utcnow()
    if flashes is None:
        flashes = session.scalars(select(Flash).where(Flash.customer_id == customer.id, Flash.ends_at > now)
                                  .order_by(Flash.created_at.desc(), Flash.id)).all()
    people = {customer.salesperson_id, customer.preferred_sales_agent_id, customer.collections_agent_id,
              *(f.author_id for f in flashes)}
    names = user_names(session, people)
    numbers = {line.id: line.number for line in customer.lines}
    return {
        "flashes": [_flash(flash, names, numbers, now) for flash in flashes],
        "id": customer.id, "code": customer.code, "kind": customer.kind, "name": customer.name,
        "status": customer.status, "country": customer.country, "tax_number": customer.tax_number,
        "region": customer.region, "language": customer.language, "address": customer.address,
        "phone": customer.phone, "phone2": customer.phone2, "email": customer.email,
        "description": customer.description, "campaigns": customer.campaigns,
        "branch_id": customer.branch_id, "department_id": customer.department_id,
        "salesperson_id": customer.salesperson_id, "salesperson_name": names.get(customer.salesperson_id),
        "preferred_sales_agent_id": customer.preferred_sales_agent_id,
        "preferred_sales_agent_name": names.get(customer.preferred_sales_agent_id),
        "collections_agent_id": customer.collections_agent_id,
        "collections_agent_name": names.get(customer.collections_agent_id),
        "created_by": customer.created_by, "created_at": customer.created_at, "updated_at": customer.updated_at,
        "version": customer.version, "is_prospect": customer.code == PROSPECT_CODE,
        "other_phones": [{"id": p.id, "label": p.label, "number": p.number} for p in customer.other_phones],
        "contacts": [contact_dict(c) for c in customer.contacts],
        "lines": [line_dict(line) for line in customer.lines],
    }


def contact_dict(contact) -> dict:
    return {"id": contact.id, "name": contact.name, "role": contact.role, "phones": contact.phones,
            "email": contact.email, "receives_notices": contact.receives_notices, "language": contact.language}


def _flash(flash: Flash, names: dict, numbers: dict, now: datetime) -> dict:
    return {"id": flash.id, "text": flash.text, "line_id": flash.line_id, "line_number": numbers.get(flash.line_id),
            "author_id": flash.author_id, "author_name": names.get(flash.author_id),
            "created_at": flash.created_at, "ends_at": flash.ends_at, "is_active": flash.ends_at > now}


def user_names(session: Session, ids) -> dict:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    users = directory_users
    return {row.id: row.full_name for row in session.execute(
        select(users.c.id, users.c.full_name).where(users.c.id.in_(ids)))}


def list_flashes(session: Session, *, customer: Customer, state: str, page: int, per_page: int) -> dict:
    """Active flashes first, then expired ones (which stay as history), newest first within each."""
    now = utcnow()
    query = select(Flash).where(Flash.customer_id == customer.id)
    if state == "active":
        query = query.where(Flash.ends_at > now)
    elif state == "expired":
        query = query.where(Flash.ends_at <= now)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    flashes = session.scalars(query.order_by(case((Flash.ends_at > now, 0), else_=1), Flash.created_at.desc(),
                                             Flash.id).offset((page - 1) * per_page).limit(per_page)).all()
    names = user_names(session, {f.author_id for f in flashes})
    numbers = {line.id: line.number for line in customer.lines}
    return {"items": [_flash(f, names, numbers, now) for f in flashes], "total": total, "page": page,
            "per_page": per_page}


# -- change history ("Ctrl H", seed 000) -------------------------------------------------------
def history_window(*, period: str, date_from: date | None, date_to: date | None, tz: str,
                   now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of this week (from Monday), this month, or whole days from..to, in the zone ``tz``."""
    zone = ZoneInfo(tz)
    local_now = (now or utcnow()).astimezone(zone)
    if period == "week":
        start_day = local_now.date() - timedelta(days=local_now.weekday())
        end_day = start_day + timedelta(days=7)
    elif period == "month":
        start_day = local_now.date().replace(day=1)
        end_day = (start_day + timedelta(days=32)).replace(day=1)
    else:
        start_day, end_day = date_from, date_to + timedelta(days=1)
    return (datetime.combine(start_day, time.min, zone), datetime.combine(end_day, time.min, zone))


def customer_history(session: Session, *, customer_id: uuid.UUID, start: datetime, end: datetime, page: int,
                     per_page: int) -> dict:
    """Every recorded change of the card in [start, end), newest first, paged."""
    where = (Change.customer_id == customer_id, Change.changed_at >= start, Change.changed_at < end)
    total = session.scalar(select(func.count()).select_from(Change).where(*where))
    changes = session.scalars(select(Change).where(*where).order_by(Change.changed_at.desc(), Change.id)
                              .offset((page - 1) * per_page).limit(per_page)).all()
    names = user_names(session, {c.actor_id for c in changes})
    items = [{"id": c.id, "changed_at": c.changed_at, "actor_id": c.actor_id, "actor_name": names.get(c.actor_id),
              "entity": c.entity, "entity_id": c.entity_id, "field": c.field, "old_value": c.old_value,
              "new_value": c.new_value} for c in changes]
    return {"items": items, "total": total, "page": page, "per_page": per_page, "date_from": start, "date_to": end}
