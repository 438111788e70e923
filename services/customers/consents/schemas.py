"""Request and response shapes of consents and the consent-kind catalogue."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.customers.consents.models import CHANNELS, LANGUAGES
from services.kit.schemas import PageQuerySchema, page_of

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error="A code of lowercase letters, digits and _ (2-40).")


NAMES = {"description": "The kind's name per language (es, en, ru, vi).",
         "propertyNames": {"enum": list(LANGUAGES)}}


class ConsentKindCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    names = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                        values=fields.String(validate=validate.Length(min=1, max=100)), load_default=dict,
                        metadata=NAMES)
    description = fields.String(load_default="", validate=validate.Length(max=500))
    granted_by_default = fields.Boolean(load_default=False, metadata={
        "description": "Whether a customer with no consent recorded for this kind counts as consenting."})


class ConsentKindUpdateSchema(Schema):
    names = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                        values=fields.String(validate=validate.Length(min=1, max=100)), metadata=NAMES)
    description = fields.String(validate=validate.Length(max=500))
    is_retired = fields.Boolean()


class ConsentKindSchema(Schema):
    code = fields.String()
    names = fields.Dict()
    description = fields.String()
    granted_by_default = fields.Boolean()
    is_retired = fields.Boolean()
    version = fields.Integer(dump_only=True, metadata={"description": "Send it as If-Match to change the kind"})


ConsentKindListSchema = page_of(ConsentKindSchema, "ConsentKindListSchema")


class ConsentCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    contact_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "A contact of the customer; absent or null: the customer itself."})
    granted = fields.Boolean(required=True, metadata={"description": "false withdraws the consent."})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ConsentSchema(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    contact_id = fields.UUID(allow_none=True)
    contact_name = fields.String(allow_none=True)
    kind = fields.String()
    granted = fields.Boolean()
    channel = fields.String()
    note = fields.String()
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.UUID()
    recorded_by_name = fields.String(allow_none=True)


class ConsentStateSchema(Schema):
    """Whether a kind is in force for the customer or one contact, and the record that says so."""

    contact_id = fields.UUID(allow_none=True)
    contact_name = fields.String(allow_none=True)
    kind = fields.String()
    kind_name = fields.String(allow_none=True)
    granted = fields.Boolean()
    by_default = fields.Boolean(metadata={"description": "No consent recorded: the kind's default applies."})
    recorded_at = fields.AwareDateTime(allow_none=True)
    channel = fields.String(allow_none=True)
    recorded_by = fields.UUID(allow_none=True)


ConsentStatesSchema = page_of(ConsentStateSchema, "ConsentStatesSchema")


ConsentPageSchema = page_of(ConsentSchema, "ConsentPage")


class ConsentHistoryQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.Length(min=1, max=40))
    contact_id = fields.UUID()


class LanguageQuerySchema(PageQuerySchema):
    language = fields.String(validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The language of the kinds' names (es, en, ru, vi); without it, the request's "
                       "Accept-Language, else en."})
