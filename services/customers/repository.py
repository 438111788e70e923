"""Loading customers within the caller's reach: out of scope reads as not found."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, Uuid, bindparam, delete, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from services.customers.errors import ContactNotFound, CustomerNotFound, LineNotFound, PhoneNotFound
from services.customers.models import PROSPECT_CODE, Contact, Customer, Line, OtherPhone, SearchTerm
from services.customers.normalisation import code_key
from services.kit.auth import Principal, scope_filter

CARD_OPTIONS = (
    selectinload(Customer.other_phones), selectinload(Customer.contacts),
    selectinload(Customer.lines).selectinload(Line.tariff_history),
)


def visible_customers(principal: Principal, customers=Customer) -> ColumnElement[bool]:
    """Access levels in the query. Everyone reaches the prospect "0" to log unknown callers, and the
    assigned salesperson always reaches their own customers (own records are inside every level)."""
    return or_(customers.code == PROSPECT_CODE,
               customers.salesperson_id == principal.user_id,
               scope_filter(principal, branch_column=customers.branch_id,
                            department_column=customers.department_id,
                            owner_columns=[customers.salesperson_id, customers.created_by]))


@dataclass(frozen=True)
class _BoundReach:
    """A principal's shape (its level, which of its ids it has) with bind parameters in place of its
    values: a statement built from it serves every principal of that shape."""

    level: int
    user_id: object
    branch_id: object
    department_id: object


def reach_shape(principal: Principal) -> tuple[int, bool, bool]:
    return principal.level, principal.branch_id is not None, principal.department_id is not None


def bound_reach(shape: tuple[int, bool, bool]) -> _BoundReach:
    """The reach of every principal of this shape, as bind parameters (``reach_params`` fills them):
    ``visible_customers(bound_reach(shape))`` is the same filter as ``visible_customers(principal)``."""
    level, has_branch, has_department = shape
    return _BoundReach(level=level, user_id=bindparam("reach_user", type_=Uuid()),
                       branch_id=bindparam("reach_branch", type_=Uuid()) if has_branch else None,
                       department_id=bindparam("reach_department", type_=Uuid()) if has_department else None)


def reach_params(principal: Principal) -> dict:
    """The values of :func:`bound_reach`'s parameters for this principal."""
    return {"reach_user": principal.user_id, "reach_branch": principal.branch_id,
            "reach_department": principal.department_id}


@lru_cache(maxsize=64)
def _customer_statement(shape: tuple[int, bool, bool], card: bool, for_update: bool):
    """Built once per shape of principal and kind of load: the statement keeps its cache key and
    compiled form, where one built per request is built and keyed again (the card's loader options
    and the reach filter: a measurable part of every customer write)."""
    query = select(Customer).where(Customer.id == bindparam("customer_id", type_=Uuid()),
                                   visible_customers(bound_reach(shape)))
    if card:
        query = query.options(*CARD_OPTIONS)
    if for_update:
        # Writers queue on the row, so the version check after the wait sees the winner's version.
        query = query.with_for_update(of=Customer)
    return query


def get_customer(session: Session, *, principal: Principal, customer_id: uuid.UUID,
                 for_update: bool = False, card: bool = True) -> Customer:
    """The whole card of a customer the caller reaches; CustomerNotFound otherwise. ``card=False``:
    the customer's row alone (one statement; its phones, contacts and lines load when touched), for
    a caller that only needs the reach check or the master data."""
    customer = session.scalar(_customer_statement(reach_shape(principal), card, for_update),
                              {"customer_id": customer_id} | reach_params(principal))
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id}.")
    return customer


# Built once per dialect. A key already stored is left as it is: the stored terms are not read
# before writing (Customer.search_key_changes), so terms written by an older normalisation must not
# turn into a conflict. Only the primary key is the arbiter: a taken code (its unique index) still fails.
_ADD_SEARCH_TERMS = {dialect: insert(SearchTerm.__table__).on_conflict_do_nothing(
                         index_elements=[SearchTerm.term, SearchTerm.kind, SearchTerm.customer_id])
                     for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_REMOVE_SEARCH_TERMS = delete(SearchTerm.__table__).where(
    SearchTerm.customer_id == bindparam("customer_id", type_=Uuid()),
    tuple_(SearchTerm.kind, SearchTerm.term).in_(bindparam("keys", expanding=True)))


def write_search_keys(session: Session, customer: Customer) -> None:
    """The card's search keys that a change touched, into customer_search_terms (after the card's
    own row is flushed): the removed ones deleted, the new ones inserted, one statement each."""
    added, removed = customer.search_key_changes()
    if removed:
        session.execute(_REMOVE_SEARCH_TERMS, {"customer_id": customer.id, "keys": sorted(removed)})
    if added:
        session.execute(_ADD_SEARCH_TERMS[session.get_bind().dialect.name],
                        [{"kind": kind, "term": term, "customer_id": customer.id} for kind, term in sorted(added)])


def get_phone(customer: Customer, phone_id: uuid.UUID) -> OtherPhone:
    for phone in customer.other_phones:
        if phone.id == phone_id:
            return phone
    raise PhoneNotFound(f"The customer has no phone {phone_id}.")


def get_contact(customer: Customer, contact_id: uuid.UUID) -> Contact:
    for contact in customer.contacts:
        if contact.id == contact_id:
            return contact
    raise ContactNotFound(f"The customer has no contact {contact_id}.")


def get_line(customer: Customer, line_id: uuid.UUID) -> Line:
    for line in customer.lines:
        if line.id == line_id:
            return line
    raise LineNotFound(f"The customer has no line {line_id}.")


def customer_ids_with_code(session: Session, code: str) -> list[uuid.UUID]:
    return list(session.scalars(select(SearchTerm.customer_id).where(SearchTerm.kind == "code",
                                                                     SearchTerm.term == code_key(code))))
