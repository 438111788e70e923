"""Interaction endpoints under /api/v1/customers: a card's interactions with their follow-ups and
click-to-call, and the administered catalogues (reasons, macros, points of contact, articles).

Every change of a saved interaction, reason, macro, point of contact or article needs ``If-Match``
with its ETag (its version)."""
from __future__ import annotations

import uuid

from flask import current_app
from marshmallow import RAISE
from sqlalchemy.orm import Session

from services.customers.interactions import queries, use_cases
from services.customers.interactions.errors import CatalogueEntryNotFound
from services.customers.interactions.models import Interaction, KnowledgeArticle, Reason
from services.customers.interactions.repository import get_entry, get_followup, get_interaction, reason_tree
from services.customers.interactions.schemas import (
    ArticleCreateSchema, ArticlePageSchema, ArticleQuerySchema, ArticleSchema, ArticleUpdateSchema,
    ArticleVersionQuerySchema, ContactPointCreateSchema, ContactPointPageSchema, ContactPointSchema,
    ContactPointUpdateSchema, DialSchema,
    FollowupCreateSchema, FollowupSchema, FollowupUpdateSchema, InteractionCreateSchema, InteractionDetailSchema,
    InteractionFieldsSchema, InteractionNextSchema, InteractionPageSchema, InteractionPairSchema,
    InteractionQuerySchema, MacroCreateSchema, MacroEntryPageSchema, MacroEntrySchema, MacroQuerySchema, MacroUpdateSchema,
    ReasonCreateSchema, ReasonMaterialSchema, ReasonPageSchema, ReasonSchema,
    ReasonUpdateSchema,
)
from services.customers.models import Customer
from services.customers.repository import get_contact, get_customer, get_line
from services.customers.settings import CustomersSettings
from services.customers.telephony import PROVIDERS
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, install_id_converter, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_list

blp = Blueprint("interactions", __name__, url_prefix="/api/v1/customers",
                description="Interactions, follow-ups, click-to-call and the interaction catalogues")
install_id_converter(blp)


def _session() -> Session:
    return service_context().database.session()


def _detail(customer_id: uuid.UUID, interaction_id: uuid.UUID, *, status: int = 200):
    with _session() as session:
        principal = current_principal()
        # the row alone: the detail touches the lines only for an interaction on one
        customer = get_customer(session, principal=principal, customer_id=customer_id, card=False)
        interaction = get_interaction(session, principal=principal, customer=customer, interaction_id=interaction_id)
        return with_etag(queries.interaction_detail(session, customer, interaction, principal), interaction.version,
                         status)


def _written_detail(customer: Customer, interaction: Interaction, *, status: int):
    """The detail of an interaction just opened, from the writer's objects (neither is read again; the
    writer checked the card's reach), with what the detail adds read. A new interaction has no
    follow-ups yet."""
    with _session() as session:
        # detached after the commit: the customer's lines load in this session if the detail shows one
        session.add(customer)
        session.add(interaction)
        try:
            return with_etag(queries.interaction_detail(session, customer, interaction, current_principal(),
                                                        new=True), interaction.version, status)
        finally:
            session.expunge(interaction)
            session.expunge(customer)


# -- interactions -----------------------------------------------------------------------------
@blp.post("/<id:customer_id>/interactions")
@blp.arguments(InteractionCreateSchema, example={"direction": "inbound", "channel": "phone", "topic": "Roaming charges",
                                                    "comments": "Asked why roaming was billed in October."})
@blp.response(201, InteractionDetailSchema)
def open_interaction(data, customer_id: uuid.UUID):
    """Save an interaction (the prospect "0" for unregistered callers): open and visible at once to a
    colleague who opens the card, or closed with ``close: true`` (needs ``reason_id``). With
    ``customer_reached: false`` only the attempt is kept (time, channel, number dialled)."""
    customer, interaction = use_cases.open_interaction(new_uow(), principal=current_principal(),
                                                       customer_id=customer_id, data=data)
    return _written_detail(customer, interaction, status=201)


@blp.get("/<id:customer_id>/interactions")
@blp.arguments(InteractionQuerySchema, location="query", unknown=RAISE)
@blp.response(200, InteractionPageSchema)
def list_interactions(args, customer_id: uuid.UUID):
    """The card's interactions, newest first; filter by period (``from``/``to`` in ``tz``), channel,
    line, point of contact and reason (with the reasons under it)."""
    with _session() as session:
        principal = current_principal()
        customer = get_customer(session, principal=principal, customer_id=customer_id)
        return queries.list_interactions(session, principal=principal, customer=customer, **args)


@blp.get("/<id:customer_id>/interactions/<id:interaction_id>")
@blp.response(200, InteractionDetailSchema)
def get_interaction_view(customer_id: uuid.UUID, interaction_id: uuid.UUID):
    """The interaction with its reason's path and script, macros filled in for this customer,
    knowledge articles, and its follow-ups."""
    return _detail(customer_id, interaction_id)


@blp.patch("/<id:customer_id>/interactions/<id:interaction_id>")
@blp.arguments(InteractionFieldsSchema, example={"topic": "Roaming charges", "solution": "Explained the daily roaming fee; credit requested.",
                                                    "pending_items": "Send the credit note by e-mail."})
@blp.response(200, InteractionDetailSchema)
def change_interaction(data, customer_id: uuid.UUID, interaction_id: uuid.UUID):
    """Edit an open interaction (If-Match); every change enters the card's history."""
    use_cases.change_interaction(new_uow(), principal=current_principal(), customer_id=customer_id,
                                 interaction_id=interaction_id, expected_version=expected_version(), data=data)
    return _detail(customer_id, interaction_id)


@blp.post("/<id:customer_id>/interactions/<id:interaction_id>/close")
@blp.response(200, InteractionDetailSchema)
def close_interaction(customer_id: uuid.UUID, interaction_id: uuid.UUID):
    """Close it (If-Match); refused until a reason is chosen."""
    use_cases.close_interaction(new_uow(), principal=current_principal(), customer_id=customer_id,
                                interaction_id=interaction_id, expected_version=expected_version())
    return _detail(customer_id, interaction_id)


@blp.post("/<id:customer_id>/interactions/<id:interaction_id>/next")
@blp.arguments(InteractionNextSchema, example={"direction": "outbound", "channel": "phone", "topic": "Call back about the credit note"})
@blp.response(201, InteractionPairSchema)
def open_next_interaction(data, customer_id: uuid.UUID, interaction_id: uuid.UUID):
    """Seed 004's "new": close this interaction (If-Match; its reason chosen) and open the next one,
    for another contract (``customer_id``, default the same) or line, in one step."""
    closed, opened = use_cases.open_next_interaction(new_uow(), principal=current_principal(),
                                                     customer_id=customer_id, interaction_id=interaction_id,
                                                     expected_version=expected_version(), data=data)
    return {"closed": _detail(closed.customer_id, closed.id)[0], "opened": _detail(opened.customer_id, opened.id)[0]}


@blp.post("/<id:customer_id>/interactions/<id:interaction_id>/followups")
@blp.arguments(FollowupCreateSchema, example={"date": "2026-12-03", "time": "10:30", "time_zone": "America/Bogota",
                                                  "duration_minutes": 30, "subject": "Call back about the credit note"})
@blp.response(201, FollowupSchema)
def schedule_followup(data, customer_id: uuid.UUID, interaction_id: uuid.UUID):
    """Schedule a follow-up (date, time, time zone, participants, copy to colleagues and supervisor);
    published as followup.scheduled.v1 for the notifications service's invitations."""
    followup = use_cases.schedule_followup(new_uow(), principal=current_principal(), customer_id=customer_id,
                                           interaction_id=interaction_id, data=data)
    return with_etag(queries.followup_dict(followup), followup.version, 201)


def _followup_path():
    return "/<id:customer_id>/interactions/<id:interaction_id>/followups/<id:followup_id>"


@blp.get(_followup_path())
@blp.response(200, FollowupSchema)
def get_followup_view(customer_id: uuid.UUID, interaction_id: uuid.UUID, followup_id: uuid.UUID):
    """A follow-up with its status, version (the ETag) and the invitation's SEQUENCE."""
    with _session() as session:
        principal = current_principal()
        customer = get_customer(session, principal=principal, customer_id=customer_id)
        interaction = get_interaction(session, principal=principal, customer=customer, interaction_id=interaction_id)
        followup = get_followup(session, interaction=interaction, followup_id=followup_id)
        return with_etag(queries.followup_dict(followup), followup.version)


@blp.patch(_followup_path())
@blp.arguments(FollowupUpdateSchema, example={"date": "2026-12-04", "time": "09:00", "time_zone": "America/Bogota",
                                                  "duration_minutes": 15})
@blp.response(200, FollowupSchema)
def reschedule_followup(data, customer_id: uuid.UUID, interaction_id: uuid.UUID, followup_id: uuid.UUID):
    """Reschedule or edit a scheduled follow-up (If-Match): its organiser, or a level 1-3 user who
    reaches the card. Everyone invited gets an update (followup.changed.v1, a higher SEQUENCE); who
    was taken off gets a cancel. Every change enters the card's history."""
    followup = use_cases.reschedule_followup(new_uow(), principal=current_principal(), customer_id=customer_id,
                                             interaction_id=interaction_id, followup_id=followup_id,
                                             expected_version=expected_version(), data=data)
    return with_etag(queries.followup_dict(followup), followup.version)


@blp.post(_followup_path() + "/cancel")
@blp.response(200, FollowupSchema)
def cancel_followup(customer_id: uuid.UUID, interaction_id: uuid.UUID, followup_id: uuid.UUID):
    """Cancel a scheduled follow-up (If-Match); it stays listed as cancelled and everyone invited gets
    a METHOD:CANCEL invitation (followup.cancelled.v1)."""
    followup = use_cases.cancel_followup(new_uow(), principal=current_principal(), customer_id=customer_id,
                                         interaction_id=interaction_id, followup_id=followup_id,
                                         expected_version=expected_version())
    return with_etag(queries.followup_dict(followup), followup.version)


@blp.get("/<id:customer_id>/interaction-reasons/<id:reason_id>")
@blp.response(200, ReasonMaterialSchema)
def reason_for_customer(customer_id: uuid.UUID, reason_id: uuid.UUID):
    """What choosing this reason brings on this card: its script, its macros filled in, its articles."""
    with _session() as session:
        principal = current_principal()
        customer = get_customer(session, principal=principal, customer_id=customer_id)
        get_entry(session, Reason, reason_id)
        return queries.reason_material(session, customer=customer, reason_id=reason_id, principal=principal)


# -- click-to-call ----------------------------------------------------------------------------
def _dial(number: str) -> dict:
    settings = current_app.extensions.get("customers", CustomersSettings())
    provider = PROVIDERS[settings.telephony]()
    return {"provider": provider.name, "number": number, "action": provider.dial(number, agent=current_principal())}


@blp.get("/<id:customer_id>/lines/<id:line_id>/dial")
@blp.response(200, DialSchema)
def dial_line(customer_id: uuid.UUID, line_id: uuid.UUID):
    """Dial the line's number through the telephony provider."""
    with _session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return _dial(get_line(customer, line_id).number)


@blp.get("/<id:customer_id>/contacts/<id:contact_id>/dial/<int:index>")
@blp.response(200, DialSchema)
def dial_contact(customer_id: uuid.UUID, contact_id: uuid.UUID, index: int):
    """Dial a contact's phone (``index``: its position in the contact's phones, from 0)."""
    with _session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        phones = get_contact(customer, contact_id).phones
        if index >= len(phones):
            raise CatalogueEntryNotFound(f"The contact has no phone {index}.")
        return _dial(phones[index])


# -- catalogues -------------------------------------------------------------------------------
@blp.get("/interaction-reasons")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ReasonPageSchema)
def list_reasons(args):
    """The reason tree in path order; retired reasons are left out unless an administrator asks.
    The tree is built whole, then paged: ask per_page=200 (or follow links.next) for all of it."""
    with _session() as session:
        return page_from_list(queries.list_reasons(session, include_retired=current_principal().level == 1), **args)


@blp.post("/interaction-reasons")
@blp.arguments(ReasonCreateSchema, example={"name": "Billing question", "script": "Ask for the invoice number and its date."})
@blp.response(201, ReasonSchema)
def add_reason(data):
    """Add a reason under ``parent_id`` (any depth) with its script (level 1)."""
    reason = use_cases.add_reason(new_uow(), principal=current_principal(), data=data)
    with _session() as session:
        return with_etag(queries.reason_dict(reason_tree(session), reason), reason.version, 201)


@blp.patch("/interaction-reasons/<id:reason_id>")
@blp.arguments(ReasonUpdateSchema, example={"script": "Ask for the invoice number, its date and the amount disputed."})
@blp.response(200, ReasonSchema)
def change_reason(data, reason_id: uuid.UUID):
    """Rename, change the script, retire or bring back (If-Match; level 1); past interactions keep it."""
    reason = use_cases.change_reason(new_uow(), principal=current_principal(), reason_id=reason_id,
                                     expected_version=expected_version(), data=data)
    with _session() as session:
        return with_etag(queries.reason_dict(reason_tree(session), reason), reason.version)


@blp.get("/interaction-macros")
@blp.arguments(MacroQuerySchema, location="query", unknown=RAISE)
@blp.response(200, MacroEntryPageSchema)
def list_macros(args):
    """The comment templates, retired ones too (level 1: what the administration edits)."""
    use_cases.ensure_catalogue_administrator(current_principal())
    with _session() as session:
        return queries.list_macros(session, **args)


@blp.post("/interaction-macros")
@blp.arguments(MacroCreateSchema, example={"reason_id": "5b7e2c1a-8d3f-4e6a-9b0c-1d2e3f4a5b6c", "name": "Invoice resent",
                                              "body": "{customer_name} ({customer_code}) got the invoice again on {line_number}. "
                                                      "Agent: {agent_name}."})
@blp.response(201, MacroEntrySchema)
def add_macro(data):
    """A comment template of a reason (level 1)."""
    macro = use_cases.add_macro(new_uow(), principal=current_principal(), data=data)
    return with_etag(macro, macro.version, 201)


@blp.patch("/interaction-macros/<id:macro_id>")
@blp.arguments(MacroUpdateSchema, example={"body": "Invoice resent to {customer_name} on {today} by {agent_name}."})
@blp.response(200, MacroEntrySchema)
def change_macro(data, macro_id: uuid.UUID):
    """Rename, rewrite or retire a comment template (If-Match; level 1)."""
    macro = use_cases.change_macro(new_uow(), principal=current_principal(), macro_id=macro_id,
                                   expected_version=expected_version(), data=data)
    return with_etag(macro, macro.version)


@blp.get("/contact-points")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ContactPointPageSchema)
def list_contact_points(args):
    """Every flow or point of contact an interaction may name, by name."""
    with _session() as session:
        return queries.list_contact_points(session, **args)


@blp.post("/contact-points")
@blp.arguments(ContactPointCreateSchema, example={"name": "Mayakovskaya office", "region": "Moscow"})
@blp.response(201, ContactPointSchema)
def add_contact_point(data):
    """A flow or point of contact, such as the office "Mayakovskaya" (level 1)."""
    point = use_cases.add_contact_point(new_uow(), principal=current_principal(), data=data)
    return with_etag(queries.contact_point_dict(point), point.version, 201)


@blp.patch("/contact-points/<id:contact_point_id>")
@blp.arguments(ContactPointUpdateSchema, example={"name": "Tverskaya office", "region": "Moscow"})
@blp.response(200, ContactPointSchema)
def change_contact_point(data, contact_point_id: uuid.UUID):
    """Rename a point of contact, change its region or retire it (If-Match; level 1)."""
    point = use_cases.change_contact_point(new_uow(), principal=current_principal(), contact_point_id=contact_point_id,
                                           expected_version=expected_version(), data=data)
    return with_etag(queries.contact_point_dict(point), point.version)


@blp.get("/knowledge-articles")
@blp.arguments(ArticleQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ArticlePageSchema)
def search_articles(args):
    """Seed 004's Infocentre: articles by words in title or body (case and accents ignored) and reason."""
    with _session() as session:
        return queries.search_articles(session, **args)


@blp.post("/knowledge-articles")
@blp.arguments(ArticleCreateSchema, example={"reason_id": "5b7e2c1a-8d3f-4e6a-9b0c-1d2e3f4a5b6c", "title": "Roaming charges",
                                                  "body": "Roaming is billed by the day from the first use abroad."})
@blp.response(201, ArticleSchema)
def write_article(data):
    """A knowledge article of a reason (level 1)."""
    article = use_cases.write_article(new_uow(), principal=current_principal(), data=data)
    return with_etag(queries.article_dict(article), article.version, 201)


@blp.get("/knowledge-articles/<id:article_id>")
@blp.arguments(ArticleVersionQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ArticleSchema)
def get_article(args, article_id: uuid.UUID):
    """The article, or one of its earlier versions (``version``)."""
    with _session() as session:
        article = get_entry(session, KnowledgeArticle, article_id)
        found = queries.article_version(session, article=article, version=args["version"])
        if found is None:
            raise CatalogueEntryNotFound(f"The article has no version {args['version']}.")
        return with_etag(found, article.version)


@blp.patch("/knowledge-articles/<id:article_id>")
@blp.arguments(ArticleUpdateSchema, example={"body": "Roaming is billed by the day from the first use abroad; a day without use costs nothing."})
@blp.response(200, ArticleSchema)
def change_article(data, article_id: uuid.UUID):
    """A new version of the article (If-Match; level 1); earlier versions stay readable."""
    article = use_cases.change_article(new_uow(), principal=current_principal(), article_id=article_id,
                                       expected_version=expected_version(), data=data)
    return with_etag(queries.article_dict(article), article.version)
