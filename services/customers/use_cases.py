"""Customer actions, one function each.

Every change of a card runs the same way: load the card within the caller's reach (out of scope:
CustomerNotFound), refuse a read-only caller (CustomerReadOnly) and a stale ``If-Match``
(StaleVersion), let the model change it and write its history, then emit ``customer.updated.v1``
with the new snapshot and the names of the changed fields, all in one transaction.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.customers.errors import CustomerCodeTaken, LineNumberTaken, SimSerialTaken, TaxNumberTaken
from services.customers.models import (
    Contact, Customer, Flash, OtherPhone, directory_users, ensure_may_edit_customers, reaches_changed,
)
from services.customers.normalisation import tax_key
from services.customers.repository import get_contact, get_customer, get_phone, write_search_keys
from services.kit.auth import Principal
from services.kit.directory_replica import is_reachable_user
from services.kit.problems import InvalidFields, StaleVersion, ensure_version
from services.kit.uow import UnitOfWork

# Unique constraints and the rule each one guards; SQLite names the columns instead of the index.
_CONFLICTS = (
    (("uq_lines_live_number", "lines.number"), LineNumberTaken, "The number belongs to another live line."),
    (("uq_lines_live_iccid", "lines.iccid"), SimSerialTaken, "The SIM serial belongs to another live line."),
    (("uq_customers_country_tax_key", "customers.country, customers.tax_key"), TaxNumberTaken,
     "Another customer of this country has this tax number."),
    (("uq_customer_search_terms_code", "uq_customers_code", "customer_search_terms.term", "customers.code"),
     CustomerCodeTaken, "A customer with this code exists."),
)


@contextmanager
def database_rules(details: dict[type, str] | None = None) -> Iterator[None]:
    """A concurrent writer that got there first shows up here, as a stale version or a taken key.
    The unique keys are checked by the database alone (no SELECT before the INSERT): ``details``
    names the value in the answer's detail, per problem."""
    try:
        yield
    except StaleDataError:
        raise StaleVersion("The customer changed since you read it; read it again.") from None
    except IntegrityError as error:
        message = str(error.orig)
        for names, problem, detail in _CONFLICTS:
            if any(name in message for name in names):
                raise problem((details or {}).get(problem, detail)) from None
        raise


PEOPLE_FIELDS = ("salesperson_id", "preferred_sales_agent_id", "collections_agent_id")


def check_people(uow: UnitOfWork, principal: Principal, named: dict, *, current: dict | None = None) -> None:
    """Every user a body names (``{field: user_id}``) is an active user within the caller's reach;
    one unchanged from ``current`` is kept as it is. Missing or out of reach: the same field error."""
    errors = {field: ["No such user."] for field, user_id in named.items()
              if user_id is not None and user_id != (current or {}).get(field)
              and not is_reachable_user(uow.session, directory_users, principal, user_id)}
    if errors:
        raise InvalidFields(errors)


# -- customers --------------------------------------------------------------------------------
def create_customer(uow: UnitOfWork, *, principal: Principal, data: dict) -> Customer:
    """A new customer in the creator's branch and department, with its phones and contacts (the
    permission edit_customers needed). Emits customer.created.v1. Raises EditCustomersPermissionRequired,
    CustomerCodeTaken, TaxNumberTaken, InvalidFields."""
    ensure_may_edit_customers(principal)
    # the code (as typed and as its search key) and the tax number are unique keys of the database:
    # a taken one fails the INSERT, answered as the same 409 a SELECT before it would give
    taken = {CustomerCodeTaken: f"A customer with code '{data['code']}' exists.",
             TaxNumberTaken: f"Another customer of {data.get('country')} has the tax number {data.get('tax_number')}."}
    with uow, database_rules(taken):
        check_people(uow, principal, {field: data[field] for field in PEOPLE_FIELDS if field in data})
        customer = Customer.register(data, principal=principal)
        uow.session.add(customer)
        uow.session.flush()
        write_search_keys(uow.session, customer)
        customer.record_event("customer.created.v1", customer.snapshot())
        customer.record_event("customer.addresses.v1", customer.addresses())
        uow.commit()
    return customer


def update_customer(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, expected_version: int,
                    data: dict) -> Customer:
    """Change master data. Emits customer.updated.v1. Raises CustomerReadOnly, StaleVersion,
    TaxNumberImmutable, TaxNumberTaken, InvalidFields."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        check_people(uow, principal, {field: data[field] for field in PEOPLE_FIELDS if field in data},
                     current={field: getattr(customer, field) for field in PEOPLE_FIELDS})
        changed = customer.update(data, principal=principal)
        if "customer.tax_number" in changed:
            _ensure_tax_number_free(uow, customer)
        finish(uow, customer, changed)
    return customer


def card_to_change(uow: UnitOfWork, principal: Principal, customer_id: uuid.UUID,
                    expected_version: int) -> Customer:
    customer = get_customer(uow.session, principal=principal, customer_id=customer_id, for_update=True)
    customer.ensure_editable_by(principal)
    ensure_version(customer.version, expected_version, what=f"Customer {customer.code}")
    customer.remember_search_keys()
    return customer


def finish(uow: UnitOfWork, customer: Customer, changed: list[str]) -> None:
    if changed:
        uow.session.flush()  # the new version goes into the event
        write_search_keys(uow.session, customer)
        customer.record_event("customer.updated.v1", customer.snapshot() | {"changed": sorted(set(changed))})
        if reaches_changed(changed):
            customer.record_event("customer.addresses.v1", customer.addresses())
    uow.commit()


def _ensure_tax_number_free(uow: UnitOfWork, customer: Customer) -> None:
    if not customer.tax_number:
        return
    taken = uow.session.scalar(select(Customer.id).where(
        Customer.country == customer.country, Customer.tax_key == tax_key(customer.tax_number),
        Customer.id != customer.id))
    if taken:
        raise TaxNumberTaken(f"Another customer of {customer.country} has the tax number {customer.tax_number}.")


# -- other phones and contacts ----------------------------------------------------------------
def add_phone(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, expected_version: int,
              data: dict) -> tuple[Customer, OtherPhone]:
    """A further labelled number (seed 000: no limit). Emits customer.updated.v1."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        phone, changed = customer.add_phone(data, principal=principal)
        finish(uow, customer, changed)
    return customer, phone


def change_phone(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, phone_id: uuid.UUID,
                 expected_version: int, data: dict) -> tuple[Customer, OtherPhone]:
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        phone = get_phone(customer, phone_id)
        finish(uow, customer, customer.change_phone(phone, data, principal=principal))
    return customer, phone


def remove_phone(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, phone_id: uuid.UUID,
                 expected_version: int) -> Customer:
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        phone = get_phone(customer, phone_id)
        finish(uow, customer, customer.remove_phone(phone, principal=principal))
    return customer


def add_contact(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, expected_version: int,
                data: dict) -> tuple[Customer, Contact]:
    """A person the customer authorises. Emits customer.updated.v1."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        contact, changed = customer.add_contact(data, principal=principal)
        finish(uow, customer, changed)
    return customer, contact


def change_contact(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, contact_id: uuid.UUID,
                   expected_version: int, data: dict) -> tuple[Customer, Contact]:
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        contact = get_contact(customer, contact_id)
        finish(uow, customer, customer.change_contact(contact, data, principal=principal))
    return customer, contact


def remove_contact(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, contact_id: uuid.UUID,
                   expected_version: int) -> Customer:
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        contact = get_contact(customer, contact_id)
        finish(uow, customer, customer.remove_contact(contact, principal=principal))
    return customer


# -- flashes ----------------------------------------------------------------------------------
def add_flash(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, expected_version: int,
              data: dict) -> tuple[Customer, Flash]:
    """Urgent information on the customer or one of its lines until ``ends_at``; a ``line_id`` the card
    does not have is a field error (as in every body), not a missing card. Emits customer.updated.v1.
    Raises InvalidFields."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        line = None
        if data.get("line_id"):
            line = next((line for line in customer.lines if line.id == data["line_id"]), None)
            if line is None:
                raise InvalidFields({"line_id": ["The customer has no such line."]})
        flash, changed = customer.add_flash(data, line=line, principal=principal)
        finish(uow, customer, changed)
    return customer, flash
