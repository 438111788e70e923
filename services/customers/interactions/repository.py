"""Loading interactions and catalogue entries within the caller's reach; out of reach is not found.

An interaction is seen by whoever reaches its customer's card (seed 004: a colleague who opens the
same card sees what was saved). The prospect "0" is reached by everyone, so its interactions
follow the caller's level on the interaction's own branch, department and agent instead.
"""
from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from services.customers.interactions.errors import CatalogueEntryNotFound, FollowupNotFound, InteractionNotFound
from services.customers.interactions.models import ContactPoint, Followup, Interaction, Reason
from services.customers.models import PROSPECT_CODE, Customer, FieldErrors
from services.kit.auth import Principal, scope_filter


def visible_interactions(principal: Principal, customer: Customer) -> ColumnElement[bool]:
    """Interactions of a card the caller reaches: all of them, or on the prospect by level."""
    if customer.code != PROSPECT_CODE:
        return Interaction.customer_id == customer.id
    return (Interaction.customer_id == customer.id) & scope_filter(
        principal, branch_column=Interaction.branch_id, department_column=Interaction.department_id,
        owner_columns=[Interaction.agent_id])


def get_interaction(session: Session, *, principal: Principal, customer: Customer, interaction_id: uuid.UUID,
                    for_update: bool = False) -> Interaction:
    query = select(Interaction).where(Interaction.id == interaction_id, visible_interactions(principal, customer))
    if for_update:
        query = query.with_for_update()
    interaction = session.scalar(query)
    if interaction is None:
        raise InteractionNotFound(f"The customer has no interaction {interaction_id} you can see.")
    return interaction


def get_followup(session: Session, *, interaction: Interaction, followup_id: uuid.UUID,
                 for_update: bool = False) -> Followup:
    """A follow-up of an interaction the caller already reached; another interaction's is not found."""
    query = select(Followup).where(Followup.id == followup_id, Followup.interaction_id == interaction.id)
    if for_update:
        query = query.with_for_update()
    followup = session.scalar(query)
    if followup is None:
        raise FollowupNotFound(f"The interaction has no follow-up {followup_id}.")
    return followup


def get_entry(session: Session, model, entry_id: uuid.UUID):
    entry = session.get(model, entry_id)
    if entry is None:
        raise CatalogueEntryNotFound(f"No {model.__tablename__.replace('_', ' ')} entry {entry_id}.")
    return entry


def check_references(session: Session, customer: Customer, data: dict, *, changing: Interaction | None = None,
                     errors: FieldErrors | None = None) -> FieldErrors:
    """Every reference of an interaction body, resolved: the line is the customer's, the point of
    contact and the reason exist and are not retired (a retired one an interaction already has stays)."""
    errors = errors or FieldErrors()
    if data.get("line_id") and not any(line.id == data["line_id"] for line in customer.lines):
        errors.add(("line_id",), "The customer has no such line.")
    for key, model, what in (("contact_point_id", ContactPoint, "point of contact"), ("reason_id", Reason, "reason")):
        value = data.get(key)
        if not value or (changing is not None and getattr(changing, key) == value):
            continue
        entry = session.get(model, value)
        if entry is None:
            errors.add((key,), f"No such {what}.")
        elif entry.is_retired:
            errors.add((key,), f"This {what} is retired; choose a current one.")
    return errors


def reason_tree(session: Session) -> dict[uuid.UUID, Reason]:
    """The whole reason tree by id (administered, small)."""
    return {reason.id: reason for reason in session.scalars(select(Reason))}


def reason_path(tree: dict[uuid.UUID, Reason], reason_id: uuid.UUID) -> list[str]:
    names, seen, node = [], set(), tree.get(reason_id)
    while node is not None and node.id not in seen:
        seen.add(node.id)
        names.append(node.name)
        node = tree.get(node.parent_id) if node.parent_id else None
    return names[::-1]


def reason_and_descendants(tree: dict[uuid.UUID, Reason], reason_id: uuid.UUID) -> set[uuid.UUID]:
    found, frontier = {reason_id}, [reason_id]
    while frontier:
        parent = frontier.pop()
        for reason in tree.values():
            if reason.parent_id == parent and reason.id not in found:
                found.add(reason.id)
                frontier.append(reason.id)
    return found


