"""Interaction actions, one function each: open (save without closing), change, close, "new",
schedule a follow-up; and the administration of reasons, macros, points of contact and articles."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.customers.interactions.errors import CatalogueAdministratorsOnly, NotTheOrganiser
from services.customers.interactions.models import (
    CONTENT_FIELDS, OPEN, ArticleVersion, ContactPoint, Followup, Interaction, InteractionCounter,
    KnowledgeArticle, Macro, Reason,
)
from services.customers.interactions.repository import (
    check_references, get_entry, get_followup, get_interaction, reason_and_descendants, reason_tree,
)
from services.customers.errors import CustomerNotFound
from services.customers.models import Customer, FieldErrors, directory_users
from services.kit.text import search_text
from services.customers.repository import get_customer
from services.kit.auth import COMPANY, DEPARTMENT, OWN, Principal
from services.kit.db import utcnow
from services.kit.directory_replica import reachable_users
from services.kit.problems import InvalidFields, StaleVersion, ensure_version
from services.kit.uow import UnitOfWork

COUNTER = "interactions"


# Built once: its compiled form is reused.
_TAKE_NUMBER = (update(InteractionCounter.__table__).where(InteractionCounter.__table__.c.name == COUNTER)
                .values(last=InteractionCounter.__table__.c.last + 1).returning(InteractionCounter.__table__.c.last))


def _next_number(session) -> int:
    """Numbers in order without gaps between concurrent writers: taking one locks the counter row
    (made by the migration) until the interaction commits. Every writer queues on that row, so it is
    taken in one statement (no SELECT … FOR UPDATE and a later UPDATE) and as late as possible."""
    return session.execute(_TAKE_NUMBER).scalar_one()


def _open(uow: UnitOfWork, principal: Principal, customer: Customer, data: dict) -> Interaction:
    reached = data.get("customer_reached", True)
    fields = {key: data.get(key) for key in CONTENT_FIELDS if key in data}
    if not reached:
        Interaction.check_attempt(fields)
    check_references(uow.session, customer, fields).raise_if_any()
    now = utcnow()
    interaction = Interaction(
        id=uuid.uuid4(), customer_id=customer.id, customer_reached=reached, status=OPEN,
        agent_id=principal.user_id, branch_id=principal.branch_id, department_id=principal.department_id,
        created_at=now, version=1,
        **({"contact_person": "", "topic": "", "comments": "", "inputs": "", "pending_items": "", "solution": "",
            "protocol_applied": "", "dialled_number": "", "started_at": now} | {k: v for k, v in fields.items()
                                                                                if v is not None}))
    interaction.number = _next_number(uow.session)  # last: the counter stays locked until the commit
    uow.session.add(interaction)
    uow.session.flush()
    if data.get("close") or not reached:
        interaction.close(actor=principal.user_id)
    return interaction


def open_interaction(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID,
                     data: dict) -> tuple[Customer, Interaction]:
    """Save an interaction on a card you reach (the prospect "0" for unregistered callers): open, so a
    colleague who opens the card sees it at once, or closed with ``close`` (a reason needed). A
    customer not reached leaves only the attempt and closes at once; the card itself never changes.
    Returns the customer as read (its row) and the interaction.
    Raises CustomerNotFound, InvalidFields, NotReachedKeepsOnlyTheAttempt, ReasonRequired."""
    with uow:
        # the row alone: the lines load only if the body names one (check_references)
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id, card=False)
        interaction = _open(uow, principal, customer, data)
        uow.commit()
    return customer, interaction


def _to_change(uow: UnitOfWork, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
               expected_version: int) -> tuple[Customer, Interaction]:
    customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
    interaction = get_interaction(uow.session, principal=principal, customer=customer,
                                  interaction_id=interaction_id, for_update=True)
    ensure_version(interaction.version, expected_version, what=f"Interaction {interaction.number}")
    return customer, interaction


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except StaleDataError:
        raise StaleVersion("The interaction changed since you read it; read it again.") from None


def change_interaction(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                       expected_version: int, data: dict) -> Interaction:
    """Edit an open interaction; each changed field enters the card's history (who, when, old, new).
    Raises InteractionNotFound, InteractionClosed, StaleVersion, InvalidFields."""
    with uow:
        customer, interaction = _to_change(uow, principal, customer_id, interaction_id, expected_version)
        check_references(uow.session, customer, data, changing=interaction).raise_if_any()
        interaction.change(data, actor=principal.user_id)
        _commit(uow)
    return interaction


def close_interaction(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                      expected_version: int) -> Interaction:
    """Close it; refused until a reason is chosen. Raises ReasonRequired, InteractionClosed, StaleVersion."""
    with uow:
        _customer, interaction = _to_change(uow, principal, customer_id, interaction_id, expected_version)
        interaction.close(actor=principal.user_id)
        _commit(uow)
    return interaction


def open_next_interaction(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID,
                          interaction_id: uuid.UUID, expected_version: int,
                          data: dict) -> tuple[Interaction, Interaction]:
    """Seed 004's "new": close the current interaction (its reason chosen) and open the next one, for
    another contract of the visit, in one transaction: both happen or neither.
    Raises ReasonRequired, InteractionClosed, StaleVersion, CustomerNotFound, InvalidFields."""
    with uow:
        _customer, current = _to_change(uow, principal, customer_id, interaction_id, expected_version)
        current.close(actor=principal.user_id)
        target = _customer_ref(uow.session, principal, data.get("customer_id") or customer_id)
        following = _open(uow, principal, target, data)
        _commit(uow)
    return current, following


def _customer_ref(session, principal: Principal, customer_id: uuid.UUID) -> Customer:
    """The customer a body names, in the caller's reach: missing and out of reach are the same 422."""
    try:
        return get_customer(session, principal=principal, customer_id=customer_id)
    except CustomerNotFound:
        errors = FieldErrors()
        errors.add(("customer_id",), "No such customer.")
        errors.raise_if_any()
        raise


def _invitable(principal: Principal) -> Principal:
    """Whom a follow-up may name: the users the caller's level reaches, as for every reference in a
    body; a level 4 agent's reach is widened to their department, so that they can invite their
    colleagues and copy their supervisor (seed 002), and no further."""
    if principal.level == OWN:
        return dataclasses.replace(principal, level=DEPARTMENT)
    return principal


def _check_people(session, principal: Principal, data: dict, errors: FieldErrors, *,
                  current: Followup | None = None) -> None:
    """Participants and copies are active users of the directory within the caller's reach
    (:func:`_invitable`); missing and out of reach give the same field error. Those already on the
    follow-up being changed stay (they were checked when named)."""
    kept = {uuid.UUID(u) for u in (current.participant_ids + current.copy_ids)} if current is not None else set()
    wanted = {*data.get("participant_ids", []), *data.get("copy_ids", [])} - kept
    users = directory_users
    known = set(session.scalars(select(users.c.id).where(
        users.c.id.in_(wanted), reachable_users(users, _invitable(principal))))) if wanted else set()
    for key in ("participant_ids", "copy_ids"):
        for index, user_id in enumerate(data.get(key, [])):
            if user_id not in known | kept:
                errors.add((key, index), "No active user of the directory has this id.")


def _followup_event(followup: Followup, customer: Customer, interaction: Interaction) -> dict:
    """followup.scheduled.v1's data (changed and cancelled add their ``sequence``)."""
    return {"id": followup.id, "customer_id": customer.id, "customer_code": customer.code,
            "interaction_id": interaction.id, "interaction_number": interaction.number,
            "organiser_id": followup.organiser_id, "starts_at": followup.starts_at, "ends_at": followup.ends_at,
            "time_zone": followup.time_zone, "subject": followup.subject, "location": followup.location,
            "participant_ids": followup.participant_ids, "copy_ids": followup.copy_ids}


def schedule_followup(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                      data: dict) -> Followup:
    """A follow-up of the interaction (seed 002: day and time, copy to colleagues and the supervisor):
    participants and copies must be users of the directory within the caller's reach. Emits followup.scheduled.v1 for the
    notifications service's invitations. Raises InteractionNotFound, InvalidFields."""
    with uow:
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
        interaction = get_interaction(uow.session, principal=principal, customer=customer,
                                      interaction_id=interaction_id)
        errors = FieldErrors()
        _check_people(uow.session, principal, data, errors)
        errors.raise_if_any()
        starts_at = datetime.combine(data["date"], data["time"], ZoneInfo(data["time_zone"]))
        followup = Followup(id=uuid.uuid4(), interaction_id=interaction.id, organiser_id=principal.user_id,
                            starts_at=starts_at, ends_at=starts_at + timedelta(minutes=data["duration_minutes"]),
                            time_zone=data["time_zone"], subject=data["subject"], location=data["location"],
                            participant_ids=[str(u) for u in data["participant_ids"]],
                            copy_ids=[str(u) for u in data["copy_ids"]], created_at=utcnow())
        uow.session.add(followup)
        uow.emit("followup.scheduled.v1", _followup_event(followup, customer, interaction))
        uow.commit()
    return followup


def _followup_to_change(uow: UnitOfWork, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                        followup_id: uuid.UUID, expected_version: int) -> tuple[Customer, Interaction, Followup]:
    """The follow-up, locked, on an interaction the caller reaches. Its organiser changes it, and so
    does a user of level 1-3 who reaches the card (a supervisor moving a colleague's call); a level 4
    user only their own. Raises FollowupNotFound, NotTheOrganiser, StaleVersion."""
    customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
    interaction = get_interaction(uow.session, principal=principal, customer=customer, interaction_id=interaction_id)
    followup = get_followup(uow.session, interaction=interaction, followup_id=followup_id, for_update=True)
    if principal.level == OWN and followup.organiser_id != principal.user_id:
        raise NotTheOrganiser("A level 4 user changes only the follow-ups they organise.")
    ensure_version(followup.version, expected_version, what="The follow-up")
    return customer, interaction, followup


def _commit_followup(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except StaleDataError:
        raise StaleVersion("The follow-up changed since you read it; read it again.") from None


def reschedule_followup(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                        followup_id: uuid.UUID, expected_version: int, data: dict) -> Followup:
    """Move a scheduled follow-up (date, time, zone, duration) or edit it (subject, location,
    participants, copies). A new date or time is read in the given zone, or the follow-up's own; the
    duration is kept unless given. Each changed field enters the card's history and the version (and
    the invitation's SEQUENCE) goes up: emits followup.changed.v1 so everyone invited gets an update.
    Nothing changed: nothing written. Raises FollowupNotFound, FollowupCancelled, NotTheOrganiser,
    StaleVersion, InvalidFields."""
    with uow:
        customer, interaction, followup = _followup_to_change(uow, principal, customer_id, interaction_id,
                                                              followup_id, expected_version)
        errors = FieldErrors()
        _check_people(uow.session, principal, data, errors, current=followup)
        errors.raise_if_any()
        changes = {key: data[key] for key in ("subject", "location") if key in data}
        for key in ("participant_ids", "copy_ids"):
            if key in data:
                changes[key] = [str(u) for u in data[key]]
        if {"date", "time", "time_zone", "duration_minutes"} & set(data):
            zone = data.get("time_zone", followup.time_zone)
            local = followup.starts_at.astimezone(ZoneInfo(followup.time_zone))
            starts_at = datetime.combine(data.get("date", local.date()), data.get("time", local.time()),
                                         ZoneInfo(zone)).astimezone(timezone.utc)
            duration = timedelta(minutes=data["duration_minutes"]) if "duration_minutes" in data \
                else followup.ends_at - followup.starts_at
            changes |= {"starts_at": starts_at, "ends_at": starts_at + duration, "time_zone": zone}
        if followup.reschedule(changes, customer_id=customer.id, actor=principal.user_id):
            uow.session.flush()  # the version goes up here: the event carries the new SEQUENCE
            uow.emit("followup.changed.v1",
                     _followup_event(followup, customer, interaction) | {"sequence": followup.sequence})
        _commit_followup(uow)
    return followup


def cancel_followup(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, interaction_id: uuid.UUID,
                    followup_id: uuid.UUID, expected_version: int) -> Followup:
    """Call off a scheduled follow-up; it stays on the interaction as cancelled and the change enters
    the card's history. Emits followup.cancelled.v1 (a higher SEQUENCE) so everyone invited gets a
    METHOD:CANCEL. Raises FollowupNotFound, FollowupCancelled, NotTheOrganiser, StaleVersion."""
    with uow:
        customer, interaction, followup = _followup_to_change(uow, principal, customer_id, interaction_id,
                                                              followup_id, expected_version)
        followup.cancel(customer_id=customer.id, actor=principal.user_id)
        uow.session.flush()
        uow.emit("followup.cancelled.v1",
                 _followup_event(followup, customer, interaction) | {"sequence": followup.sequence})
        _commit_followup(uow)
    return followup


# -- catalogues (level 1) ---------------------------------------------------------------------
def ensure_catalogue_administrator(principal: Principal) -> None:
    if principal.level != COMPANY:
        raise CatalogueAdministratorsOnly("Only a level 1 user administers reasons, macros, articles and "
                                          "points of contact.")


def add_reason(uow: UnitOfWork, *, principal: Principal, data: dict) -> Reason:
    """A reason under ``parent_id`` (or a root); its script is the guidance shown once it is chosen."""
    ensure_catalogue_administrator(principal)
    with uow:
        if data["parent_id"] is not None and uow.session.get(Reason, data["parent_id"]) is None:
            raise InvalidFields({"parent_id": ["No such reason."]})
        reason = Reason(id=uuid.uuid4(), parent_id=data["parent_id"], name=data["name"], script=data["script"],
                        is_retired=False, created_at=utcnow(), version=1)
        uow.session.add(reason)
        uow.commit()
    return reason


def _commit_entry(uow: UnitOfWork, *, what: str, name_taken: str | None = None) -> None:
    """A concurrent change that got there first is a stale version; a unique name taken meanwhile
    (``name_taken``: what to say) is a field error."""
    try:
        uow.commit()
    except StaleDataError:
        raise StaleVersion(f"{what} changed since you read it; read it again.") from None
    except IntegrityError:
        if name_taken is None:
            raise
        raise InvalidFields({"name": [name_taken]}) from None


def change_reason(uow: UnitOfWork, *, principal: Principal, reason_id: uuid.UUID, expected_version: int,
                  data: dict) -> Reason:
    """Rename, change its script, move it under another reason (``parent_id``; None: to the top),
    retire or bring back; interactions keep the reason they chose. Raises StaleVersion."""
    ensure_catalogue_administrator(principal)
    with uow:
        reason = get_entry(uow.session, Reason, reason_id)
        ensure_version(reason.version, expected_version, what="The reason")
        if data.get("parent_id") is not None:
            tree = reason_tree(uow.session)
            if data["parent_id"] not in tree:
                raise InvalidFields({"parent_id": ["No such reason."]})
            if data["parent_id"] in reason_and_descendants(tree, reason.id):
                raise InvalidFields({"parent_id": ["A reason cannot go under itself or a reason beneath it."]})
        for key, value in data.items():
            setattr(reason, key, value)
        _commit_entry(uow, what="The reason")
    return reason


def add_macro(uow: UnitOfWork, *, principal: Principal, data: dict) -> Macro:
    """A comment template of a reason; only the known placeholders may appear in it."""
    ensure_catalogue_administrator(principal)
    with uow:
        errors = FieldErrors()
        if uow.session.get(Reason, data["reason_id"]) is None:
            errors.add(("reason_id",), "No such reason.")
        unknown = Macro.unknown_placeholders(data["body"])
        if unknown:
            errors.add(("body",), "Unknown placeholders: " + ", ".join("{" + name + "}" for name in unknown))
        errors.raise_if_any()
        macro = Macro(id=uuid.uuid4(), created_at=utcnow(), is_retired=False, version=1, **data)
        uow.session.add(macro)
        uow.commit()
    return macro


def change_macro(uow: UnitOfWork, *, principal: Principal, macro_id: uuid.UUID, expected_version: int,
                 data: dict) -> Macro:
    """Rename, rewrite (known placeholders only) or retire a macro. Raises StaleVersion."""
    ensure_catalogue_administrator(principal)
    with uow:
        macro = get_entry(uow.session, Macro, macro_id)
        ensure_version(macro.version, expected_version, what="The macro")
        unknown = Macro.unknown_placeholders(data.get("body", ""))
        if unknown:
            raise InvalidFields({"body": ["Unknown placeholders: " + ", ".join("{" + name + "}" for name in unknown)]})
        for key, value in data.items():
            setattr(macro, key, value)
        _commit_entry(uow, what="The macro")
    return macro


def add_contact_point(uow: UnitOfWork, *, principal: Principal, data: dict) -> ContactPoint:
    ensure_catalogue_administrator(principal)
    with uow:
        if uow.session.scalar(select(ContactPoint.id).where(ContactPoint.name == data["name"])):
            raise InvalidFields({"name": ["A point of contact has this name."]})
        point = ContactPoint(id=uuid.uuid4(), is_retired=False, version=1, **data)
        uow.session.add(point)
        uow.commit()
    return point


def change_contact_point(uow: UnitOfWork, *, principal: Principal, contact_point_id: uuid.UUID,
                         expected_version: int, data: dict) -> ContactPoint:
    """Rename, move to another region or retire a point of contact. Raises StaleVersion."""
    ensure_catalogue_administrator(principal)
    with uow:
        point = get_entry(uow.session, ContactPoint, contact_point_id)
        ensure_version(point.version, expected_version, what="The point of contact")
        taken = select(ContactPoint.id).where(ContactPoint.name == data.get("name"), ContactPoint.id != point.id)
        if "name" in data and uow.session.scalar(taken):
            raise InvalidFields({"name": ["A point of contact has this name."]})
        for key, value in data.items():
            setattr(point, key, value)
        _commit_entry(uow, what="The point of contact", name_taken="A point of contact has this name.")
    return point


def _article_version(article: KnowledgeArticle) -> ArticleVersion:
    article.search_text = search_text(article.title, article.body)
    return ArticleVersion(article_id=article.id, version=article.version, reason_id=article.reason_id,
                          title=article.title, body=article.body, written_by=article.updated_by,
                          written_at=article.updated_at)


def write_article(uow: UnitOfWork, *, principal: Principal, data: dict) -> KnowledgeArticle:
    """A knowledge article of a reason (seed 004's Infocentre), version 1."""
    ensure_catalogue_administrator(principal)
    with uow:
        if uow.session.get(Reason, data["reason_id"]) is None:
            raise InvalidFields({"reason_id": ["No such reason."]})
        article = KnowledgeArticle(id=uuid.uuid4(), version=1, updated_by=principal.user_id, updated_at=utcnow(),
                                   **data)
        version = _article_version(article)
        uow.session.add(article)
        uow.session.flush()
        uow.session.add(version)
        uow.commit()
    return article


def change_article(uow: UnitOfWork, *, principal: Principal, article_id: uuid.UUID, expected_version: int,
                   data: dict) -> KnowledgeArticle:
    """A new version of the article; the earlier ones stay readable. Raises StaleVersion."""
    ensure_catalogue_administrator(principal)
    with uow:
        article = get_entry(uow.session, KnowledgeArticle, article_id)
        ensure_version(article.version, expected_version, what="The article")
        if data.get("reason_id") and uow.session.get(Reason, data["reason_id"]) is None:
            raise InvalidFields({"reason_id": ["No such reason."]})
        for key, value in data.items():
            setattr(article, key, value)
        article.version += 1
        article.updated_by, article.updated_at = principal.user_id, utcnow()
        uow.session.add(_article_version(article))
        uow.commit()
    return article

