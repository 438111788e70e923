"""Read side of consents: what is in force for the customer and each contact, and the history."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.consents.models import Consent, ConsentKind
from services.customers.models import Customer, directory_users
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query


def kind_dict(kind: ConsentKind) -> dict:
    return {"code": kind.code, "names": kind.names or {}, "description": kind.description,
            "granted_by_default": kind.granted_by_default, "is_retired": kind.is_retired, "version": kind.version}


def list_kinds(session: Session, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    return page_from_query(session, select(ConsentKind).order_by(ConsentKind.code), page=page, per_page=per_page,
                           item=kind_dict)


def consent_states(session: Session, customer: Customer, *, language: str, recorded: list | None = None) -> dict:
    """Each current kind for the customer itself and for each contact: the latest record, or the default.
    ``recorded``: the card's consent records when the caller knows them (a card just created has none)."""
    kinds = list(session.scalars(select(ConsentKind).where(ConsentKind.is_retired.is_(False))
                                 .order_by(ConsentKind.code)))
    latest: dict = {}
    if recorded is None:
        recorded = session.scalars(select(Consent).where(Consent.customer_id == customer.id)
                                   .order_by(Consent.recorded_at, Consent.id))
    for consent in recorded:
        latest[(consent.contact_id, consent.kind)] = consent
    items = []
    for contact_id, contact_name in [(None, None), *((c.id, c.name) for c in customer.contacts)]:
        for kind in kinds:
            record = latest.get((contact_id, kind.code))
            items.append({
                "contact_id": contact_id, "contact_name": contact_name, "kind": kind.code,
                "kind_name": (kind.names or {}).get(language) or (kind.names or {}).get("en") or kind.code,
                "granted": record.granted if record else kind.granted_by_default, "by_default": record is None,
                "recorded_at": record.recorded_at if record else None, "channel": record.channel if record else None,
                "recorded_by": record.recorded_by if record else None})
    return {"items": items}


def consent_history(session: Session, customer: Customer, *, kind: str | None = None, contact_id=None,
                    page: int, per_page: int) -> dict:
    """Every consent record of the card (given and withdrawn), newest first."""
    where = [Consent.customer_id == customer.id]
    if kind:
        where.append(Consent.kind == kind)
    if contact_id:
        where.append(Consent.contact_id == contact_id)
    total = session.scalar(select(func.count()).select_from(Consent).where(*where))
    rows = session.execute(
        select(Consent, directory_users.c.full_name).outerjoin(directory_users, directory_users.c.id == Consent.recorded_by)
        .where(*where).order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    contacts = {c.id: c.name for c in customer.contacts}
    return {"total": total, "page": page, "per_page": per_page, "items": [consent_dict(c, name, contacts)
                                                                          for c, name in rows]}


def consent_dict(consent: Consent, recorded_by_name: str | None = None, contacts: dict | None = None) -> dict:
    return {"id": consent.id, "customer_id": consent.customer_id, "contact_id": consent.contact_id,
            "contact_name": (contacts or {}).get(consent.contact_id), "kind": consent.kind,
            "granted": consent.granted, "channel": consent.channel, "note": consent.note,
            "recorded_at": consent.recorded_at, "recorded_by": consent.recorded_by,
            "recorded_by_name": recorded_by_name}
