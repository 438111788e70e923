"""Read side of interactions and their catalogues, as dicts."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.interactions.models import (
    ArticleVersion, ContactPoint, Followup, Interaction, KnowledgeArticle, Macro, Reason,
)
from services.customers.interactions.repository import (
    reason_and_descendants, reason_path, reason_tree, visible_interactions,
)
from services.customers.models import Customer, directory_users
from services.customers.normalisation import fold
from services.kit.text import matches
from services.customers.queries import user_names
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query

FIELDS = ("id", "number", "customer_id", "line_id", "customer_reached", "direction", "channel", "contact_point_id",
          "contact_person", "reason_id", "topic", "comments", "inputs", "pending_items", "solution",
          "protocol_applied", "dialled_number", "started_at", "ended_at", "duration_seconds", "dialogue_seconds",
          "card_opened_at", "card_open_seconds", "status", "agent_id", "created_at", "closed_at", "version")


def _dicts(session: Session, customer: Customer, interactions: list[Interaction]) -> list[dict]:
    agents = user_names(session, {i.agent_id for i in interactions})
    point_ids = {i.contact_point_id for i in interactions if i.contact_point_id}
    points = dict(session.execute(select(ContactPoint.id, ContactPoint.name)
                                  .where(ContactPoint.id.in_(point_ids))).all()) if point_ids else {}
    lines = {line.id: line.number for line in customer.lines} if any(i.line_id for i in interactions) else {}
    return [{key: getattr(i, key) for key in FIELDS} | {
        "agent_name": agents.get(i.agent_id), "contact_point_name": points.get(i.contact_point_id),
        "line_number": lines.get(i.line_id)} for i in interactions]


def interaction_detail(session: Session, customer: Customer, interaction: Interaction,
                       principal: Principal, *, new: bool = False) -> dict:
    """The interaction with what its reason brings: the reason's path and script, its macros filled
    in for this customer, its knowledge articles; and its follow-ups (none for a ``new`` one, which
    this request opened)."""
    answer = _dicts(session, customer, [interaction])[0]
    answer |= {"reason": None, "macros": [], "articles": []}
    if interaction.reason_id:
        answer |= reason_material(session, customer=customer, reason_id=interaction.reason_id, principal=principal,
                                  line_id=interaction.line_id)
    followups = [] if new else session.scalars(select(Followup).where(Followup.interaction_id == interaction.id)
                                               .order_by(Followup.starts_at)).all()
    answer["followups"] = [followup_dict(f) for f in followups]
    return answer


def reason_material(session: Session, *, customer: Customer, reason_id: uuid.UUID, principal: Principal,
                    line_id: uuid.UUID | None = None) -> dict:
    tree = reason_tree(session)
    reason = tree[reason_id]
    agent = session.scalar(select(directory_users.c.full_name).where(directory_users.c.id == principal.user_id))
    values = {"customer_name": customer.name, "customer_code": customer.code, "agent_name": agent or principal.username,
              "line_number": next((line.number for line in customer.lines if line.id == line_id), ""),
              "today": utcnow().date().isoformat()}
    macros = session.scalars(select(Macro).where(Macro.reason_id == reason_id, Macro.is_retired.is_(False))
                             .order_by(Macro.name)).all()
    articles = session.execute(select(KnowledgeArticle.id, KnowledgeArticle.title, KnowledgeArticle.version)
                               .where(KnowledgeArticle.reason_id == reason_id)
                               .order_by(KnowledgeArticle.title)).all()
    return {"reason": reason_dict(tree, reason),
            "macros": [{"id": m.id, "reason_id": m.reason_id, "name": m.name, "body": m.body,
                        "text": m.render(values)} for m in macros],
            "articles": [{"id": a.id, "title": a.title, "version": a.version} for a in articles]}


def followup_dict(followup: Followup) -> dict:
    return {key: getattr(followup, key) for key in ("id", "interaction_id", "organiser_id", "starts_at", "ends_at",
                                                     "time_zone", "subject", "location", "participant_ids",
                                                     "copy_ids", "status", "sequence", "version", "updated_at",
                                                     "cancelled_at", "cancelled_by")}


def list_interactions(session: Session, *, principal: Principal, customer: Customer, date_from: date | None,
                      date_to: date | None, tz: str, channel: str | None, line_id: uuid.UUID | None,
                      contact_point_id: uuid.UUID | None, reason_id: uuid.UUID | None, page: int,
                      per_page: int) -> dict:
    """The card's interactions, newest first, by period (whole days in ``tz``), channel, line, point of
    contact and reason (with the reasons under it)."""
    query = select(Interaction).where(visible_interactions(principal, customer))
    zone = ZoneInfo(tz)
    if date_from:
        query = query.where(Interaction.started_at >= datetime.combine(date_from, time.min, zone))
    if date_to:
        query = query.where(Interaction.started_at < datetime.combine(date_to + timedelta(days=1), time.min, zone))
    for column, value in ((Interaction.channel, channel), (Interaction.line_id, line_id),
                          (Interaction.contact_point_id, contact_point_id)):
        if value is not None:
            query = query.where(column == value)
    if reason_id is not None:
        query = query.where(Interaction.reason_id.in_(reason_and_descendants(reason_tree(session), reason_id)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(query.order_by(Interaction.started_at.desc(), Interaction.number.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": _dicts(session, customer, list(found)), "total": total, "page": page, "per_page": per_page}


def latest_interactions(session: Session, *, principal: Principal, customer: Customer, limit: int = 5) -> list[dict]:
    """The card's summary: the latest interactions."""
    found = session.scalars(select(Interaction).where(visible_interactions(principal, customer))
                            .order_by(Interaction.started_at.desc(), Interaction.number.desc()).limit(limit)).all()
    return _dicts(session, customer, list(found))


# -- catalogues -------------------------------------------------------------------------------
def reason_dict(tree: dict, reason: Reason) -> dict:
    return {"id": reason.id, "parent_id": reason.parent_id, "name": reason.name, "path": reason_path(tree, reason.id),
            "script": reason.script, "is_retired": reason.is_retired, "version": reason.version}


def list_reasons(session: Session, *, include_retired: bool) -> list[dict]:
    """The tree flattened in path order (each entry names its parent and its path)."""
    tree = reason_tree(session)
    rows = [reason_dict(tree, reason) for reason in tree.values() if include_retired or not reason.is_retired]
    return sorted(rows, key=lambda row: [fold(name) for name in row["path"]])


def list_contact_points(session: Session, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    return page_from_query(session, select(ContactPoint).order_by(ContactPoint.name, ContactPoint.id), page=page,
                           per_page=per_page, item=contact_point_dict)


def contact_point_dict(point: ContactPoint) -> dict:
    return {"id": point.id, "name": point.name, "region": point.region, "is_retired": point.is_retired,
            "version": point.version}


def list_macros(session: Session, *, reason_id: uuid.UUID | None, page: int = 1,
                per_page: int = DEFAULT_PER_PAGE) -> dict:
    """One page of the macros (retired ones too), by reason and name."""
    query = select(Macro).order_by(Macro.reason_id, Macro.name, Macro.id)
    if reason_id is not None:
        query = query.where(Macro.reason_id == reason_id)
    return page_from_query(session, query, page=page, per_page=per_page)


def article_dict(article) -> dict:
    return {key: getattr(article, key) for key in ("id", "reason_id", "title", "body", "version", "updated_by",
                                                    "updated_at")}


def search_articles(session: Session, *, q: str, reason_id: uuid.UUID | None, page: int, per_page: int) -> dict:
    """Articles whose title or body holds every word typed, case and accents ignored."""
    query = select(KnowledgeArticle).where(matches(KnowledgeArticle.search_text, q))
    if reason_id is not None:
        query = query.where(KnowledgeArticle.reason_id == reason_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(query.order_by(KnowledgeArticle.title, KnowledgeArticle.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [article_dict(a) for a in found], "total": total, "page": page, "per_page": per_page}


def article_version(session: Session, *, article: KnowledgeArticle, version: int | None) -> dict | None:
    if version is None or version == article.version:
        return article_dict(article)
    old = session.get(ArticleVersion, (article.id, version))
    if old is None:
        return None
    return {"id": article.id, "reason_id": old.reason_id, "title": old.title, "body": old.body,
            "version": old.version, "updated_by": old.written_by, "updated_at": old.written_at}
