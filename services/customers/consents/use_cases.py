"""Consent actions: record a consent given or withdrawn; administer the consent kinds (level 1).

Recording is open to whoever reaches the card (the front office takes consents on the phone or at
the desk); it never changes the card's master data, so it needs no If-Match. Emits
consent.recorded.v1 in the same transaction.
"""
from __future__ import annotations

import uuid

from services.customers.consents.errors import (
    ConsentCatalogueAdministratorsOnly, ConsentKindNotFound, ConsentKindTaken,
)
from services.customers.consents.models import Consent, ConsentKind
from services.customers.errors import ProspectReserved
from services.customers.models import FieldErrors
from services.customers.repository import get_customer
from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.problems import ensure_version
from services.kit.uow import UnitOfWork


def record_consent(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, data: dict) -> Consent:
    """A consent of ``kind`` given (``granted``) or withdrawn by the customer or one of its contacts.
    Emits consent.recorded.v1. Raises CustomerNotFound, InvalidFields (kind, contact_id)."""
    with uow:
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
        if customer.is_prospect:
            raise ProspectReserved("The prospect customer \"0\" gives no consents; register the caller first.")
        errors = FieldErrors()
        kind = uow.session.get(ConsentKind, data["kind"])
        if kind is None:
            errors.add(("kind",), "No such consent kind.")
        elif kind.is_retired and data["granted"]:
            errors.add(("kind",), "This consent kind is retired; it can only be withdrawn.")
        if data["contact_id"] is not None and not any(c.id == data["contact_id"] for c in customer.contacts):
            errors.add(("contact_id",), "The customer has no such contact.")
        errors.raise_if_any()
        consent = Consent(id=uuid.uuid4(), customer_id=customer.id, contact_id=data["contact_id"], kind=kind.code,
                          granted=data["granted"], channel=data["channel"], note=data["note"],
                          recorded_at=utcnow(), recorded_by=principal.user_id)
        uow.session.add(consent)
        uow.emit("consent.recorded.v1", {
            "id": consent.id, "customer_id": customer.id, "customer_code": customer.code,
            "contact_id": consent.contact_id, "kind": consent.kind, "channel": consent.channel,
            "granted": consent.granted, "recorded_at": consent.recorded_at, "recorded_by": consent.recorded_by})
        uow.commit()
    return consent


def _administrator(principal: Principal) -> None:
    if principal.level != COMPANY:
        raise ConsentCatalogueAdministratorsOnly("Only a level 1 user administers the consent kinds.")


def add_consent_kind(uow: UnitOfWork, *, principal: Principal, data: dict) -> ConsentKind:
    """A new kind of consent. Raises ConsentKindTaken."""
    _administrator(principal)
    with uow:
        if uow.session.get(ConsentKind, data["code"]) is not None:
            raise ConsentKindTaken(f"The consent kind '{data['code']}' exists.")
        kind = ConsentKind(code=data["code"], names=data["names"], description=data["description"],
                           granted_by_default=data["granted_by_default"], is_retired=False, created_at=utcnow())
        uow.session.add(kind)
        uow.commit()
    return kind


def change_consent_kind(uow: UnitOfWork, *, principal: Principal, code: str, data: dict,
                        expected_version: int | None = None) -> ConsentKind:
    """Rename (per language), describe, retire or bring back a kind, from the version the caller
    read (StaleVersion otherwise); recorded consents keep it."""
    _administrator(principal)
    with uow:
        kind = uow.session.get(ConsentKind, code)
        if kind is None:
            raise ConsentKindNotFound(f"No consent kind '{code}'.")
        ensure_version(kind.version, expected_version, what=f"The consent kind '{code}'")
        if "names" in data:
            kind.names = dict(kind.names or {}) | data.pop("names")
        for key, value in data.items():
            setattr(kind, key, value)
        uow.commit()
    return kind
