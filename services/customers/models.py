"""Customers' own database: the customer card (account with phones, contacts, lines, flashes), its
change history and search keys, and the replicated directory users.

The customer is the aggregate (the bulk change of sales agent is its own, in sales_agents/): every
change to it or to anything on its card goes through a method here (a line's through lines/card.py),
which checks the rule, records each changed field in the history and bumps the one version the card's
ETag carries.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, case, insert, select, text, update,
)
from sqlalchemy.orm import Mapped, Session, WriteOnlyMapped, mapped_column, relationship, validates

from services.customers.base import Base, directory_users  # noqa: F401 - directory_users: handlers, queries
from services.customers.errors import (
    CustomerReadOnly, EditCustomersPermissionRequired, ProspectReserved, TaxNumberImmutable,
)
from services.customers.lines.models import (  # noqa: F401 - LINE_STATUSES, SERVICE_TYPES: the card's vocabulary
    LINE_ACTIVE, LINE_BLOCKED, LINE_DEACTIVATED, LINE_STATUSES, SERVICE_TYPES, Line,
)
from services.customers.normalisation import (
    PhoneError, code_key, email_key, first_mobile, normalise_phone, phone_terms, search_name, tax_key,
)
from services.kit.auth import BRANCH, COMPANY, Principal
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.problems import InvalidFields
from services.kit.uow import RecordsEvents

PROSPECT_CODE = "0"
CUSTOMER_KINDS = ("person", "company")
CUSTOMER_STATUSES = ("active", "suspended", "closed")
CAMPAIGN_ROLES = ("participant", "candidate")
HIDDEN = "[hidden]"  # what the history shows for a PIN: that it changed, never the hash

# Kinds of search key, in the order a match ranks (a code beats a line number beats a phone …).
SEARCH_KINDS = ("code", "line", "tax_number", "phone", "email", "contact")

# Fields a customer update may carry, in the order the history lists them.
MASTER_DATA_FIELDS = ("kind", "name", "status", "country", "tax_number", "region", "language", "address",
                      "phone", "phone2", "email", "preferred_sales_agent_id", "collections_agent_id",
                      "salesperson_id", "description", "campaigns")
PHONE_FIELDS = ("phone", "phone2")



def as_text(value: Any) -> str | None:
    """How the history keeps a value: text, or None for "nothing"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


class FieldErrors:
    """Collects field errors so one answer names every broken field (marshmallow's shape)."""

    def __init__(self) -> None:
        self.errors: dict = {}

    def add(self, path: tuple, message: str) -> None:
        node = self.errors
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1], []).append(message)

    def phone(self, path: tuple, raw: str | None, country: str | None) -> str | None:
        if raw is None or raw == "":
            return None
        try:
            return normalise_phone(raw, country=country)
        except PhoneError as error:
            self.add(path, str(error))
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


EDIT_CUSTOMERS = "edit_customers"  # the directory's permission to write customer master data (SPEC)


def ensure_may_edit_customers(principal: Principal) -> None:
    """Creating a customer or changing its master data (the card, other phones, contacts, lines,
    flashes) needs the permission edit_customers, whatever the level."""
    if EDIT_CUSTOMERS not in principal.permissions:
        raise EditCustomersPermissionRequired(
            "You need the permission 'edit_customers' to create or change customer master data.")


class Change(Base):
    """One changed field of a customer or of something on its card: who, when, old and new value."""

    __tablename__ = "customer_changes"
    __table_args__ = (Index("ix_customer_changes_customer_id_changed_at", "customer_id", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))          # customer, phone, contact, line, flash
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SearchTerm(Base):
    """A normalised identifier of a customer (code, line, tax number, phone, e-mail), one index for all."""

    __tablename__ = "customer_search_terms"
    __table_args__ = (
        # Codes are unique regardless of case: "c-1" and "C-1" are the same customer code.
        Index("uq_customer_search_terms_code", "term", unique=True,
              postgresql_where=text("kind = 'code'"), sqlite_where=text("kind = 'code'")),
    )

    term: Mapped[str] = mapped_column(String(320), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                                   primary_key=True, index=True)


class OtherPhone(Base):
    """Seed 000's "otros teléfonos": any number of further numbers, each with a label."""

    __tablename__ = "customer_phones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("label", "number")


class Contact(Base):
    """A person the customer authorises to receive information about its services (seed 000)."""

    __tablename__ = "customer_contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100), default="")
    phones: Mapped[list] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    receives_notices: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("name", "role", "phones", "email", "receives_notices", "language")


class Flash(Base):
    """Urgent information on a customer or one of its lines, shown until its end (seed 004).

    Expiry needs no job: the card asks for flashes whose end is still ahead; the rest stay as history.
    """

    __tablename__ = "flashes"
    __table_args__ = (Index("ix_flashes_customer_id_ends_at", "customer_id", "ends_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def is_active(self, now: datetime | None = None) -> bool:
        return self.ends_at > (now or utcnow())


class Customer(RecordsEvents, Base):
    """The account (BAN). Its branch and department decide who sees it; its salesperson may edit it."""

    __tablename__ = "customers"
    __table_args__ = (
        # Unique per country; NULLs (no tax number) never collide.
        UniqueConstraint("country", "tax_key", name="uq_customers_country_tax_key"),
        # Partial-name search on PostgreSQL; SQLite scans (the embedded mode holds few customers).
        Index("ix_customers_search_name_trgm", "search_name", postgresql_using="gin",
              postgresql_ops={"search_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(420), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    country: Mapped[str | None] = mapped_column(String(2))
    tax_number: Mapped[str | None] = mapped_column(String(40))
    tax_key: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(100), default="", server_default="")
    language: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    phone: Mapped[str | None] = mapped_column(String(16))
    phone2: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text, default="")
    campaigns: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    preferred_sales_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    collections_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    other_phones: Mapped[list[OtherPhone]] = relationship(cascade="all, delete-orphan",
                                                          order_by=lambda: OtherPhone.created_at)
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan", order_by=lambda: Contact.created_at)
    lines: Mapped[list[Line]] = relationship(cascade="all, delete-orphan", order_by=lambda: Line.created_at)
    flashes: WriteOnlyMapped[Flash] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    history: WriteOnlyMapped[Change] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    @validates("name")
    def _keep_search_name(self, _key: str, value: str) -> str:
        self.search_name = search_name(value)
        return value

    # -- reading ------------------------------------------------------------------------------
    @property
    def is_prospect(self) -> bool:
        return self.code == PROSPECT_CODE

    def snapshot(self) -> dict:
        """What other services replicate (the cases service's customer read model); its shape is
        events.CustomerSnapshot."""
        return customer_snapshot(self, self.lines)

    def addresses(self) -> dict:
        """Where the customer and its contacts can be reached (customer.addresses.v1, CONTRACTS.md):
        the only payload with e-mails and numbers, for the notifications service alone."""
        return {
            "customer_id": self.id, "customer_code": self.code, "name": self.name,
            "language": notice_language(self.language), "email": self.email,
            "mobile": first_mobile([self.phone, self.phone2, *(p.number for p in self.other_phones)]),
            "contacts": [{"id": c.id, "name": c.name, "email": c.email, "mobile": first_mobile(c.phones),
                          "language": notice_language(c.language)} for c in self.contacts],
            "version": self.version,
        }

    def search_keys(self) -> set[tuple[str, str]]:
        """(kind, term) pairs under which search finds this customer."""
        keys = {("code", code_key(self.code))}
        if self.tax_key:
            keys.add(("tax_number", self.tax_key))
        for number in [self.phone, self.phone2, *(p.number for p in self.other_phones)]:
            if number:
                keys.update(("phone", term) for term in phone_terms(number))
        if self.email:
            keys.add(("email", email_key(self.email)))
        for contact in self.contacts:
            keys.update(("contact", term) for number in contact.phones for term in phone_terms(number))
            if contact.email:
                keys.add(("contact", email_key(contact.email)))
        for line in self.lines:
            if line.is_live:
                keys.update(("line", term) for term in phone_terms(line.number))
        return keys

    # -- rules --------------------------------------------------------------------------------
    def may_be_edited_by(self, principal: Principal) -> bool:
        """SPEC: master data is written only with the permission edit_customers, and then (seed 003)
        only by the assigned salesperson or a level 1-2 user."""
        return EDIT_CUSTOMERS in principal.permissions and (principal.level in (COMPANY, BRANCH) or (
            self.salesperson_id is not None and self.salesperson_id == principal.user_id))

    def ensure_editable_by(self, principal: Principal) -> None:
        """Raises ProspectReserved, EditCustomersPermissionRequired, CustomerReadOnly."""
        if self.is_prospect:
            raise ProspectReserved("The prospect customer \"0\" only collects unregistered callers; it is not edited.")
        ensure_may_edit_customers(principal)
        if not self.may_be_edited_by(principal):
            raise CustomerReadOnly("Only the assigned salesperson or a user of level 1-2 may change this customer.")

    # -- changes ------------------------------------------------------------------------------
    @classmethod
    def register(cls, data: dict, *, principal: Principal) -> "Customer":
        """A new customer in the creator's branch and department; every initial value enters the history.
        Raises EditCustomersPermissionRequired."""
        ensure_may_edit_customers(principal)
        errors = FieldErrors()
        country = data.get("country")
        if data.get("tax_number") and not country:
            errors.add(("country",), "Give the country: the tax number is unique per country.")
        customer = cls(id=uuid.uuid4(), code=data["code"], kind=data["kind"], name=data["name"],
                       branch_id=principal.branch_id, department_id=principal.department_id,
                       created_by=principal.user_id, campaigns=[], description="", status="active",
                       region="", address="",
                       # a new card has none yet: set, so that nothing loads them (an empty SELECT each)
                       other_phones=[], contacts=[], lines=[])
        values = {key: value for key, value in data.items()
                  if key in MASTER_DATA_FIELDS and key not in ("kind", "name")}
        values = customer._normalised(values, errors, country=country)
        other_phones = [(index, item["label"], errors.phone(("other_phones", index, "number"), item["number"], country))
                        for index, item in enumerate(data.get("other_phones", []))]
        contacts = [(index, item, [errors.phone(("contacts", index, "phones", n), raw, country)
                                   for n, raw in enumerate(item.get("phones", []))])
                    for index, item in enumerate(data.get("contacts", []))]
        errors.raise_if_any()
        actor = principal.user_id
        for key in ("code", "kind", "name"):
            customer._record("customer", customer.id, key, None, getattr(customer, key), actor)
        for key, value in values.items():
            if key == "tax_number" and value:
                customer.tax_key = tax_key(value)
            if value not in (None, "", []):
                customer._record("customer", customer.id, key, None, value, actor)
            setattr(customer, key, value)
        for _index, label, number in other_phones:
            customer._attach_phone(OtherPhone(id=uuid.uuid4(), label=label, number=number), actor)
        for _index, item, phones in contacts:
            customer._attach_contact(Contact(id=uuid.uuid4(), name=item["name"], role=item.get("role", ""),
                                             phones=phones, email=_email(item.get("email")),
                                             receives_notices=item.get("receives_notices", False),
                                             language=item.get("language")), actor)
        customer.__dict__.update(_stored_search_keys=set(), _search_keys_stale=True)  # none stored yet
        return customer

    def update(self, data: dict, *, principal: Principal) -> list[str]:
        """Change master data; returns the changed fields. The tax number, once set, never changes."""
        self.ensure_editable_by(principal)
        errors = FieldErrors()
        data = dict(data)
        if "tax_number" in data and self.tax_number:
            if not data["tax_number"] or tax_key(data["tax_number"]) != self.tax_key:
                raise TaxNumberImmutable({"tax_number": ["The tax/identity number cannot be changed after creation."]})
            del data["tax_number"]  # the same number, maybe punctuated differently: nothing changes
        country = data.get("country", self.country)
        if "country" in data and self.tax_number and data["country"] != self.country:
            errors.add(("country",), "The country is part of the tax identity and cannot change once it is set.")
        if data.get("tax_number") and not country:
            errors.add(("country",), "Give the country: the tax number is unique per country.")
        values = self._normalised(data, errors, country=country)
        errors.raise_if_any()
        changed = []
        for key in MASTER_DATA_FIELDS:
            if key not in values or values[key] == getattr(self, key):
                continue
            self._record("customer", self.id, key, getattr(self, key), values[key], principal.user_id)
            setattr(self, key, values[key])
            if key == "tax_number":
                self.tax_key = tax_key(values[key]) if values[key] else None
            changed.append(key)
        return self._touched([f"customer.{key}" for key in changed])

    def _normalised(self, data: dict, errors: FieldErrors, *, country: str | None) -> dict:
        values = dict(data)
        for key in PHONE_FIELDS:
            if key in values:
                values[key] = errors.phone((key,), values[key], country)
        if "email" in values:
            values["email"] = _email(values["email"])
        if "campaigns" in values:
            values["campaigns"] = sorted(({"campaign": c["campaign"], "role": c["role"]} for c in values["campaigns"]),
                                         key=lambda c: c["campaign"])
            names = [c["campaign"] for c in values["campaigns"]]
            if len(set(names)) != len(names):
                errors.add(("campaigns",), "Name each campaign once.")
        return {key: value for key, value in values.items() if key in MASTER_DATA_FIELDS}

    # other phones
    def add_phone(self, data: dict, *, principal: Principal) -> tuple[OtherPhone, list[str]]:
        self.ensure_editable_by(principal)
        errors = FieldErrors()
        number = errors.phone(("number",), data["number"], self.country)
        errors.raise_if_any()
        phone = OtherPhone(id=uuid.uuid4(), label=data["label"], number=number)
        self._attach_phone(phone, principal.user_id)
        return phone, self._touched(["phone.created"])

    def change_phone(self, phone: OtherPhone, data: dict, *, principal: Principal) -> list[str]:
        self.ensure_editable_by(principal)
        errors = FieldErrors()
        values = dict(data)
        if "number" in values:
            values["number"] = errors.phone(("number",), values["number"], self.country)
        errors.raise_if_any()
        return self._touched(self._apply("phone", phone, values, principal.user_id))

    def remove_phone(self, phone: OtherPhone, *, principal: Principal) -> list[str]:
        self.ensure_editable_by(principal)
        for key in OtherPhone.FIELDS:
            self._record("phone", phone.id, key, getattr(phone, key), None, principal.user_id)
        self.other_phones.remove(phone)
        return self._touched(["phone.deleted"])

    def _attach_phone(self, phone: OtherPhone, actor: uuid.UUID | None) -> None:
        for key in OtherPhone.FIELDS:
            self._record("phone", phone.id, key, None, getattr(phone, key), actor)
        self.other_phones.append(phone)

    # contacts
    def add_contact(self, data: dict, *, principal: Principal) -> tuple[Contact, list[str]]:
        self.ensure_editable_by(principal)
        errors = FieldErrors()
        phones = [errors.phone(("phones", n), raw, self.country) for n, raw in enumerate(data.get("phones", []))]
        errors.raise_if_any()
        contact = Contact(id=uuid.uuid4(), name=data["name"], role=data.get("role", ""), phones=phones,
                          email=_email(data.get("email")), receives_notices=data.get("receives_notices", False),
                          language=data.get("language"))
        self._attach_contact(contact, principal.user_id)
        return contact, self._touched(["contact.created"])

    def change_contact(self, contact: Contact, data: dict, *, principal: Principal) -> list[str]:
        self.ensure_editable_by(principal)
        errors = FieldErrors()
        values = dict(data)
        if "phones" in values:
            values["phones"] = [errors.phone(("phones", n), raw, self.country)
                                for n, raw in enumerate(values["phones"])]
        if "email" in values:
            values["email"] = _email(values["email"])
        errors.raise_if_any()
        return self._touched(self._apply("contact", contact, values, principal.user_id))

    def remove_contact(self, contact: Contact, *, principal: Principal) -> list[str]:
        self.ensure_editable_by(principal)
        for key in Contact.FIELDS:
            self._record("contact", contact.id, key, getattr(contact, key), None, principal.user_id)
        self.contacts.remove(contact)
        return self._touched(["contact.deleted"])

    def _attach_contact(self, contact: Contact, actor: uuid.UUID | None) -> None:
        for key in Contact.FIELDS:
            value = getattr(contact, key)
            if value not in (None, "", []):
                self._record("contact", contact.id, key, None, value, actor)
        self.contacts.append(contact)

    # flashes
    def add_flash(self, data: dict, *, line: Line | None, principal: Principal) -> tuple[Flash, list[str]]:
        self.ensure_editable_by(principal)
        if data["ends_at"] <= utcnow():
            raise InvalidFields({"ends_at": ["The end of a flash lies in the future."]})
        flash = Flash(id=uuid.uuid4(), customer_id=self.id, line_id=line.id if line else None, text=data["text"],
                      author_id=principal.user_id, created_at=utcnow(), ends_at=data["ends_at"])
        self.flashes.add(flash)
        self._record("flash", flash.id, "text", None, flash.text, principal.user_id)
        self._record("flash", flash.id, "ends_at", None, flash.ends_at, principal.user_id)
        return flash, self._touched(["flash.created"])

    # bulk reassignment
    @classmethod
    def move_preferred_sales_agents(cls, session: Session, moves: dict[uuid.UUID, uuid.UUID],
                                    chunk: Sequence[tuple[uuid.UUID, uuid.UUID]], *,
                                    actor: uuid.UUID) -> list[tuple[uuid.UUID, dict]]:
        """Seed 001's bulk change, a chunk of customers at a time (the permission was checked for the whole
        move, not per customer). ``chunk``: (id, current agent) of customers the caller locked; each whose
        agent ``moves`` maps to another one gets the new agent, a history entry and a new version, as
        a change on its card would, but set-based: one UPDATE … RETURNING for the chunk, one INSERT of
        the history rows and one SELECT of the lines the snapshots carry. Returns (old agent, snapshot
        after the change) for each customer moved."""
        old_agents = {customer_id: agent for customer_id, agent in chunk if moves[agent] != agent}
        if not old_agents:
            return []
        now = utcnow()
        moved = session.execute(
            update(cls).where(cls.id.in_(list(old_agents)))
            .values(preferred_sales_agent_id=case(moves, value=cls.preferred_sales_agent_id),
                    version=cls.version + 1, updated_at=now)
            .returning(*(getattr(cls, name) for name in SNAPSHOT_COLUMNS))
            .execution_options(synchronize_session=False)).all()
        session.execute(insert(Change), [
            {"id": uuid.uuid4(), "customer_id": row.id, "entity": "customer", "entity_id": row.id,
             "field": "preferred_sales_agent_id", "old_value": as_text(old_agents[row.id]),
             "new_value": as_text(row.preferred_sales_agent_id), "actor_id": actor, "changed_at": now}
            for row in moved])
        lines: dict[uuid.UUID, list] = {}
        for line in session.execute(select(Line.customer_id, Line.id, Line.number, Line.status)
                                    .where(Line.customer_id.in_(list(old_agents)))
                                    .order_by(Line.customer_id, Line.created_at)):
            lines.setdefault(line.customer_id, []).append(line)
        return [(old_agents[row.id], customer_snapshot(row, lines.get(row.id, ()))) for row in moved]

    # -- bookkeeping --------------------------------------------------------------------------
    def _apply(self, entity: str, obj, values: dict, actor: uuid.UUID) -> list[str]:
        changed = []
        for key in obj.FIELDS:
            if key in values and values[key] != getattr(obj, key):
                self._record(entity, obj.id, key, getattr(obj, key), values[key], actor)
                setattr(obj, key, values[key])
                changed.append(f"{entity}.{key}")
        return changed

    def _record(self, entity: str, entity_id: uuid.UUID | None, field: str, old: Any, new: Any,
                actor: uuid.UUID | None) -> None:
        # the write-only collection is a new object on every attribute access (a costly one): one per card
        history = self.__dict__.get("_history_writer")
        if history is None:
            history = self.__dict__["_history_writer"] = self.history
        history.add(Change(id=uuid.uuid4(), entity=entity, entity_id=entity_id, field=field,
                                old_value=as_text(old), new_value=as_text(new), actor_id=actor,
                                changed_at=utcnow()))

    def _touched(self, changed: list[str], *, search_keys_changed: bool = True) -> list[str]:
        """Anything on the card changed: bump the card's version (its ETag); its search keys are
        written again (search_key_changes)."""
        if changed:
            self.updated_at = utcnow()
            if search_keys_changed:
                self.__dict__["_search_keys_stale"] = True
        return changed

    # customer_search_terms holds search_keys() of the card as last written: derived data, so a card
    # loaded whole remembers its keys and a change writes only the difference, without the stored
    # terms ever being loaded (services.customers.repository.write_search_keys).
    def remember_search_keys(self) -> None:
        """Call on a card loaded whole (phones, contacts, lines), before changing it."""
        self.__dict__["_stored_search_keys"] = self.search_keys()

    def search_key_changes(self) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """(keys to add, keys to remove) since the keys were remembered, if a change touched them; the
        card then remembers its keys as written."""
        if not self.__dict__.pop("_search_keys_stale", False):
            return set(), set()
        stored = self.__dict__.get("_stored_search_keys")
        if stored is None:
            raise RuntimeError("A card's search keys changed without remember_search_keys() when it was loaded.")
        wanted = self.search_keys()
        self.__dict__["_stored_search_keys"] = wanted
        return wanted - stored, stored - wanted


# what customer_snapshot reads of a customer (a loaded card or a row of these columns)
SNAPSHOT_COLUMNS = ("id", "code", "kind", "name", "status", "country", "language", "branch_id", "department_id",
                    "salesperson_id", "preferred_sales_agent_id", "collections_agent_id", "created_by", "region",
                    "version")


def customer_snapshot(customer, lines: Iterable) -> dict:
    """events.CustomerSnapshot of ``customer`` (a Customer, or a row of SNAPSHOT_COLUMNS) and its
    ``lines`` (anything with id, number and status), in their order of creation."""
    return {
        "id": customer.id, "code": customer.code, "kind": customer.kind, "name": customer.name,
        "status": customer.status, "country": customer.country, "language": customer.language,
        "branch_id": customer.branch_id, "department_id": customer.department_id,
        "salesperson_id": customer.salesperson_id, "preferred_sales_agent_id": customer.preferred_sales_agent_id,
        "collections_agent_id": customer.collections_agent_id, "created_by": customer.created_by,
        # routing facts of the cases service's rules (region, a line's status)
        "region": customer.region or None,
        "lines": [{"id": line.id, "number": line.number, "status": line.status} for line in lines],
        "version": customer.version,
    }


NOTICE_LANGUAGES = ("es", "en", "ru", "vi")
# what changes where a customer is reached (customer.addresses.v1)
ADDRESS_CHANGES = ("customer.name", "customer.email", "customer.phone", "customer.phone2", "customer.language")


def notice_language(tag: str | None) -> str | None:
    """The language notices are written in: the tag's language if the templates have it (es-CO -> es)."""
    language = (tag or "").split("-")[0].lower()
    return language if language in NOTICE_LANGUAGES else None


def reaches_changed(changed: list[str]) -> bool:
    return any(name in ADDRESS_CHANGES or name.startswith(("phone.", "contact.")) for name in changed)


def _email(value: str | None) -> str | None:
    if not value:
        return None
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"
