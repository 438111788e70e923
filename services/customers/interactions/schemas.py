"""Request and response shapes of interactions, follow-ups and the interaction catalogues."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.customers.interactions.models import CHANNELS, DIRECTIONS
from services.kit.input import MULTILINE
from services.kit.schemas import PageQuerySchema, page_of


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Use an IANA time zone such as America/Bogota or Europe/Moscow.") from None


class InteractionFieldsSchema(Schema):
    """Seed 002's list and seed 004's card; times are the timing block (when the customer came or
    called, when the dialogue ended, its length, when the agent opened the card)."""

    line_id = fields.UUID(allow_none=True)
    direction = fields.String(validate=validate.OneOf(DIRECTIONS))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    contact_point_id = fields.UUID(allow_none=True, metadata={"description": "Flow or point of contact"})
    contact_person = _text(200)
    reason_id = fields.UUID(allow_none=True)
    topic = _text(200)
    comments = _text(20_000, metadata=MULTILINE)
    inputs = _text(5_000, metadata={"description": "Inputs the customer gave or we gave the customer", **MULTILINE})
    pending_items = _text(5_000, metadata=MULTILINE)
    solution = _text(5_000, metadata=MULTILINE)
    protocol_applied = _text(200)
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    dialogue_seconds = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=86_400))
    card_opened_at = fields.AwareDateTime(allow_none=True)
    dialled_number = _text(40, metadata={"description": "The number dialled (an attempt)"})

    @validates_schema
    def _order(self, data: dict, **_kwargs) -> None:
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] < data["started_at"]:
            raise ValidationError({"ended_at": ["The interaction ends before it starts."]})


class InteractionCreateSchema(InteractionFieldsSchema):
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    customer_reached = fields.Boolean(load_default=True)
    close = fields.Boolean(load_default=False, metadata={"description": "Save and close at once (needs reason_id)"})


class InteractionNextSchema(InteractionCreateSchema):
    """"New" (seed 004): closes the current interaction and opens the next, maybe on another customer."""

    customer_id = fields.UUID(load_default=None, metadata={"description": "Default: the same customer"})


class InteractionQuerySchema(PageQuerySchema):
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)
    tz = fields.String(load_default="UTC", validate=_zone)
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    line_id = fields.UUID(load_default=None)
    contact_point_id = fields.UUID(load_default=None)
    reason_id = fields.UUID(load_default=None, metadata={"description": "The reason or any reason under it"})


# a follow-up's day: far enough out for any plan, near enough that its end time stays a date
FOLLOWUP_DAYS = validate.Range(min=date(2000, 1, 1), max=date(2199, 12, 31))
TIME = {"description": "Local time in the follow-up's zone, HH:MM (or HH:MM:SS)", "example": "10:30"}


class FollowupCreateSchema(Schema):
    date = fields.Date(required=True, validate=FOLLOWUP_DAYS)
    time = fields.Time(required=True, metadata=TIME)
    time_zone = fields.String(required=True, validate=_zone)
    duration_minutes = fields.Integer(load_default=30, validate=validate.Range(min=5, max=24 * 60))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    participant_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))
    copy_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50),
                           metadata={"description": "Colleagues and the supervisor in copy"})


class FollowupUpdateSchema(Schema):
    """Reschedule or edit a follow-up: only the fields sent change. A new ``date`` or ``time`` is read in
    ``time_zone`` if sent, else in the follow-up's own zone; the duration is kept unless sent."""

    class Meta:
        description = "Only the fields sent change; send at least one."
        openapi = {"minProperties": 1}

    date = fields.Date(validate=FOLLOWUP_DAYS)
    time = fields.Time(metadata=TIME)
    time_zone = fields.String(validate=_zone)
    duration_minutes = fields.Integer(validate=validate.Range(min=5, max=24 * 60))
    subject = fields.String(validate=validate.Length(min=1, max=200))
    location = fields.String(allow_none=True, validate=validate.Length(max=200))
    participant_ids = fields.List(fields.UUID(), validate=validate.Length(max=50))
    copy_ids = fields.List(fields.UUID(), validate=validate.Length(max=50),
                           metadata={"description": "Colleagues and the supervisor in copy"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class FollowupSchema(Schema):
    id = fields.UUID()
    interaction_id = fields.UUID()
    organiser_id = fields.UUID()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    time_zone = fields.String()
    subject = fields.String()
    location = fields.String(allow_none=True)
    participant_ids = fields.List(fields.UUID())
    copy_ids = fields.List(fields.UUID())
    status = fields.String(metadata={"description": "scheduled or cancelled"})
    sequence = fields.Integer(metadata={"description": "The invitation's iCalendar SEQUENCE (0 at first)"})
    version = fields.Integer(metadata={"description": "What If-Match sends back (also the ETag)"})
    updated_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.UUID(allow_none=True)


class ReasonRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    path = fields.List(fields.String(), metadata={"description": "Names from the root to this reason"})
    script = fields.String()
    is_retired = fields.Boolean()


class MacroSchema(Schema):
    id = fields.UUID()
    reason_id = fields.UUID()
    name = fields.String()
    body = fields.String()


class MacroEntrySchema(MacroSchema):
    """A macro as administered: retired ones included, with the version its changes send back."""

    is_retired = fields.Boolean()
    version = fields.Integer(metadata={"description": "What If-Match sends back (also the ETag)"})


class RenderedMacroSchema(MacroSchema):
    text = fields.String(metadata={"description": "The body with this customer's values filled in"})


class ArticleRefSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    version = fields.Integer()


class InteractionSchema(Schema):
    id = fields.UUID()
    number = fields.Integer()
    customer_id = fields.UUID()
    line_id = fields.UUID(allow_none=True)
    line_number = fields.String(allow_none=True)
    customer_reached = fields.Boolean()
    direction = fields.String()
    channel = fields.String()
    contact_point_id = fields.UUID(allow_none=True)
    contact_point_name = fields.String(allow_none=True)
    contact_person = fields.String()
    reason_id = fields.UUID(allow_none=True)
    topic = fields.String()
    comments = fields.String()
    inputs = fields.String()
    pending_items = fields.String()
    solution = fields.String()
    protocol_applied = fields.String()
    dialled_number = fields.String()
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    dialogue_seconds = fields.Integer(allow_none=True)
    card_opened_at = fields.AwareDateTime(allow_none=True)
    card_open_seconds = fields.Integer(allow_none=True)
    status = fields.String()
    agent_id = fields.UUID()
    agent_name = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()


class ReasonMaterialSchema(Schema):
    """What choosing a reason brings: its path and script, its macros filled in, its articles."""

    reason = fields.Nested(ReasonRefSchema, allow_none=True)
    macros = fields.List(fields.Nested(RenderedMacroSchema))
    articles = fields.List(fields.Nested(ArticleRefSchema))


class InteractionDetailSchema(InteractionSchema, ReasonMaterialSchema):
    followups = fields.List(fields.Nested(FollowupSchema))


class InteractionPairSchema(Schema):
    closed = fields.Nested(InteractionDetailSchema)
    opened = fields.Nested(InteractionDetailSchema)


InteractionPageSchema = page_of(InteractionSchema, "InteractionPage")


# -- catalogues -------------------------------------------------------------------------------
class ReasonCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    script = _text(5_000, load_default="", metadata=MULTILINE)


class ReasonUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    parent_id = fields.UUID(allow_none=True, metadata={"description": "Move it under this reason; null: to the top"})
    script = _text(5_000, metadata=MULTILINE)
    is_retired = fields.Boolean()


class ReasonSchema(ReasonRefSchema):
    parent_id = fields.UUID(allow_none=True)
    version = fields.Integer(metadata={"description": "What If-Match sends back (also the ETag)"})


class MacroCreateSchema(Schema):
    reason_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=5_000),
                         metadata={"description": "Placeholders: {customer_name} {customer_code} {line_number} "
                                                  "{agent_name} {today}", **MULTILINE})


class MacroUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(min=1, max=5_000), metadata=MacroCreateSchema().fields["body"].metadata)
    is_retired = fields.Boolean(metadata={"description": "No longer offered when the reason is chosen"})


class MacroQuerySchema(PageQuerySchema):
    reason_id = fields.UUID(load_default=None, metadata={"description": "The macros of this reason only"})


class ContactPointCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    region = _text(100, load_default="")


class ContactPointUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    region = _text(100)
    is_retired = fields.Boolean()


class ContactPointSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    region = fields.String()
    is_retired = fields.Boolean()
    version = fields.Integer(metadata={"description": "What If-Match sends back (also the ETag)"})


class ArticleCreateSchema(Schema):
    reason_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=50_000), metadata=MULTILINE)


class ArticleUpdateSchema(Schema):
    reason_id = fields.UUID()
    title = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(min=1, max=50_000), metadata=MULTILINE)


class ArticleSchema(Schema):
    id = fields.UUID()
    reason_id = fields.UUID()
    title = fields.String()
    body = fields.String()
    version = fields.Integer()
    updated_by = fields.UUID(allow_none=True)
    updated_at = fields.AwareDateTime()


class ArticleQuerySchema(PageQuerySchema):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "Words in the title or body: case and accents ignored, every word "
                                                 "must occur, partial words match", "example": "roaming"})
    reason_id = fields.UUID(load_default=None)


class ArticleVersionQuerySchema(Schema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))


ArticlePageSchema = page_of(ArticleSchema, "KnowledgeArticlePage")


class DialSchema(Schema):
    provider = fields.String()
    number = fields.String()
    action = fields.String(metadata={"description": "What the console opens to dial, such as tel:+5716012345"})


ReasonPageSchema = page_of(ReasonSchema, "ReasonPage")
MacroEntryPageSchema = page_of(MacroEntrySchema, "MacroEntryPage")
ContactPointPageSchema = page_of(ContactPointSchema, "ContactPointPage")
