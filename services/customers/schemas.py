"""Request and response shapes of the customers API.

Requests refuse unknown fields (marshmallow 4's default), wrong types and oversize strings; the
rules that need the customer (its country for phones, the immutable tax number) live in the model.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from services.customers.consents.schemas import ConsentStateSchema
from services.customers.interactions.schemas import InteractionSchema
from services.customers.lines.schemas import LineSchema
from services.customers.offers.schemas import OfferSchema
from services.customers.models import CAMPAIGN_ROLES, CUSTOMER_KINDS, CUSTOMER_STATUSES
from services.customers.normalisation import COUNTRIES, PHONE_RULE
from services.customers.queries import SEARCH_BY
from services.kit.input import MULTILINE
from services.kit.schemas import PageQuerySchema, PageSchema, page_of

PHONE_TEXT = validate.Length(min=1, max=40)
PHONE = PHONE_RULE


def _text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


class Country(fields.String):
    """ISO 3166-1 alpha-2, any case in, upper case out."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text.upper() not in COUNTRIES:
            raise ValidationError("Use the two-letter ISO 3166 country code, such as CO, MX, CR, VN or RU.")
        return text.upper()


# lists rather than validate.And, so that the document states each rule (length and pattern)
TAX_NUMBER = [validate.Length(min=1, max=40), validate.Regexp(
    r"^[0-9A-Za-z][0-9A-Za-z .\-/]*$", error="Use digits, letters, spaces, '.', '-' or '/'.")]
TAX_NUMBER_DOC = {"description": "Tax or identity number: digits, letters, spaces, '.', '-' or '/'. Compared without "
                                 "punctuation or case (900.123.456-7 = 9001234567): one customer per number in a "
                                 "country, so it needs the customer's country. Once set it never changes."}
LANGUAGE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", error="Use a language tag such as es, vi, ru or es-CO.")
LANGUAGE_TAG = [validate.Length(max=16), LANGUAGE]


class CampaignSchema(Schema):
    campaign = _text(80, required=True, min_length=1)
    role = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_ROLES))


class OtherPhoneCreateSchema(Schema):
    label = _text(40, required=True, min_length=1)
    number = fields.String(required=True, validate=PHONE_TEXT, metadata=PHONE)


class OtherPhoneUpdateSchema(Schema):
    label = _text(40, min_length=1)
    number = fields.String(validate=PHONE_TEXT, metadata=PHONE)


class ContactCreateSchema(Schema):
    name = _text(200, required=True, min_length=1)
    role = _text(100, load_default="")
    phones = fields.List(fields.String(validate=PHONE_TEXT, metadata=PHONE), load_default=list,
                         validate=validate.Length(max=5))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    receives_notices = fields.Boolean(load_default=False)
    language = fields.String(load_default=None, allow_none=True, validate=LANGUAGE_TAG)


class ContactUpdateSchema(Schema):
    name = _text(200, min_length=1)
    role = _text(100)
    phones = fields.List(fields.String(validate=PHONE_TEXT, metadata=PHONE), validate=validate.Length(max=5))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    receives_notices = fields.Boolean()
    language = fields.String(allow_none=True, validate=LANGUAGE_TAG)


class _MasterDataSchema(Schema):
    status = fields.String(validate=validate.OneOf(CUSTOMER_STATUSES))
    country = Country(allow_none=True, validate=validate.Length(equal=2))
    tax_number = fields.String(allow_none=True, validate=TAX_NUMBER, metadata=TAX_NUMBER_DOC)
    region = _text(100)
    language = fields.String(allow_none=True, validate=LANGUAGE_TAG)
    address = _text(500, metadata=MULTILINE)
    phone = fields.String(allow_none=True, validate=PHONE_TEXT, metadata=PHONE)
    phone2 = fields.String(allow_none=True, validate=PHONE_TEXT, metadata=PHONE)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    preferred_sales_agent_id = fields.UUID(allow_none=True)
    collections_agent_id = fields.UUID(allow_none=True)
    salesperson_id = fields.UUID(allow_none=True)
    description = _text(4000, metadata=MULTILINE)
    campaigns = fields.List(fields.Nested(CampaignSchema), validate=validate.Length(max=50))


class CustomerCreateSchema(_MasterDataSchema):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$", error="Use 1-40 letters, digits or '-'."))
    kind = fields.String(required=True, validate=validate.OneOf(CUSTOMER_KINDS))
    name = _text(200, required=True, min_length=1)
    other_phones = fields.List(fields.Nested(OtherPhoneCreateSchema), validate=validate.Length(max=50))
    contacts = fields.List(fields.Nested(ContactCreateSchema), validate=validate.Length(max=20))

    @validates("name")
    def _name_has_letters(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Type the name.")


class CustomerUpdateSchema(_MasterDataSchema):
    """Master data; the code is not here (it never changes) and the tax number only to be refused."""

    kind = fields.String(validate=validate.OneOf(CUSTOMER_KINDS))
    name = _text(200, min_length=1)


class FlashCreateSchema(Schema):
    text = _text(1000, required=True, min_length=1, metadata=MULTILINE)
    ends_at = fields.AwareDateTime(required=True)
    line_id = fields.UUID(load_default=None, allow_none=True)


# -- queries ----------------------------------------------------------------------------------
class CustomerListQuerySchema(PageQuerySchema):
    q = fields.String(load_default="", validate=validate.Length(max=200))


class SearchQuerySchema(PageQuerySchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    by = fields.String(load_default="any", validate=validate.OneOf(SEARCH_BY))

    @validates("q")
    def _not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Type what to look for.")


class CallerQuerySchema(Schema):
    number = fields.String(required=True, validate=PHONE_TEXT)


class FlashQuerySchema(PageQuerySchema):
    state = fields.String(load_default="all", validate=validate.OneOf(("active", "expired", "all")))


class HistoryQuerySchema(PageQuerySchema):
    period = fields.String(load_default=None, validate=validate.OneOf(("week", "month", "range")))
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)
    tz = fields.String(load_default="UTC", validate=validate.Length(max=64))

    @validates("tz")
    def _zone(self, value: str, **_kwargs) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("Use an IANA time zone such as America/Bogota or Asia/Ho_Chi_Minh.") from None

    @validates_schema
    def _range(self, data: dict, **_kwargs) -> None:
        period = data.get("period") or ("range" if data.get("date_from") or data.get("date_to") else "week")
        if period == "range":
            missing = {key: ["Give both ends of the range."] for key, attr in (("from", "date_from"), ("to", "date_to"))
                       if data.get(attr) is None}
            if missing:
                raise ValidationError(missing)
            if data["date_from"] > data["date_to"]:
                raise ValidationError({"to": ["The range ends before it starts."]})
        elif data.get("date_from") or data.get("date_to"):
            raise ValidationError({"period": ["'from' and 'to' go with period=range."]})

    @post_load
    def _default_period(self, data: dict, **_kwargs) -> dict:
        data["period"] = data["period"] or ("range" if data["date_from"] else "week")
        return data


# -- responses --------------------------------------------------------------------------------
class CustomerSummarySchema(Schema):
    """What a customer shows in any list: identifiers, contact points, where it belongs."""

    id = fields.UUID()
    code = fields.String()
    kind = fields.String()
    name = fields.String()
    status = fields.String()
    country = fields.String(allow_none=True)
    tax_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    phone2 = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    branch_id = fields.UUID(allow_none=True)
    department_id = fields.UUID(allow_none=True)
    salesperson_id = fields.UUID(allow_none=True)
    version = fields.Integer()


class CustomerSchema(CustomerSummarySchema):
    """The customer in lists and in the answer to its creation."""

    description = fields.String()
    created_at = fields.AwareDateTime()


CustomerPageSchema = page_of(CustomerSchema, "CustomerPageSchema")


class OtherPhoneSchema(Schema):
    id = fields.UUID()
    label = fields.String()
    number = fields.String()


class ContactSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    role = fields.String()
    phones = fields.List(fields.String())
    email = fields.String(allow_none=True)
    receives_notices = fields.Boolean()
    language = fields.String(allow_none=True)


class FlashSchema(Schema):
    id = fields.UUID()
    text = fields.String()
    line_id = fields.UUID(allow_none=True)
    line_number = fields.String(allow_none=True)
    author_id = fields.UUID(allow_none=True)
    author_name = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    is_active = fields.Boolean()


class CardSurveyAnswerSchema(Schema):
    case_id = fields.UUID()
    case_number = fields.String()
    score = fields.Integer(metadata={"description": "1 (very dissatisfied) to 5 (very satisfied)"})
    comment = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime()


class CardSatisfactionSchema(Schema):
    """The customer's answers to the satisfaction surveys of its closed cases (seed 004's polls)."""

    answers = fields.Integer()
    average = fields.Float(allow_none=True)
    latest = fields.List(fields.Nested(CardSurveyAnswerSchema), metadata={"description": "The latest five"})


class CustomerCardSchema(CustomerSchema):
    """The whole card: active flashes first, master data, other phones, contacts, lines."""

    flashes = fields.List(fields.Nested(FlashSchema))
    region = fields.String()
    language = fields.String(allow_none=True)
    address = fields.String()
    campaigns = fields.List(fields.Nested(CampaignSchema))
    salesperson_name = fields.String(allow_none=True)
    preferred_sales_agent_id = fields.UUID(allow_none=True)
    preferred_sales_agent_name = fields.String(allow_none=True)
    collections_agent_id = fields.UUID(allow_none=True)
    collections_agent_name = fields.String(allow_none=True)
    created_by = fields.UUID(allow_none=True)
    updated_at = fields.AwareDateTime()
    is_prospect = fields.Boolean()
    other_phones = fields.List(fields.Nested(OtherPhoneSchema))
    contacts = fields.List(fields.Nested(ContactSchema))
    lines = fields.List(fields.Nested(LineSchema))
    latest_interactions = fields.List(fields.Nested(InteractionSchema), metadata={"description": "The latest five"})
    consents = fields.List(fields.Nested(ConsentStateSchema), metadata={
        "description": "Every current consent kind for the customer (contact_id null) and each contact: given "
                       "or not, by the latest record or the kind's default; names in the Accept-Language"})
    active_offers = fields.List(fields.Nested(OfferSchema), metadata={
        "description": "Offers still awaiting the customer's answer (outcome pending), newest first, at most "
                       "20; the whole history is GET /api/v1/customers/{id}/offers"})
    satisfaction = fields.Nested(CardSatisfactionSchema)


class SearchHitSchema(CustomerSummarySchema):
    matched = fields.String(metadata={"description": "What matched: code, line, tax_number, phone, email, "
                                                     "contact or name"})


SearchPageSchema = page_of(SearchHitSchema, "SearchPageSchema")


FlashPageSchema = page_of(FlashSchema, "FlashPageSchema")


class ChangeSchema(Schema):
    id = fields.UUID()
    changed_at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_name = fields.String(allow_none=True)
    entity = fields.String(metadata={"description": "customer, phone, contact, line or flash"})
    entity_id = fields.UUID(allow_none=True)
    field = fields.String()
    old_value = fields.String(allow_none=True)
    new_value = fields.String(allow_none=True)


class HistoryPageSchema(PageSchema):
    items = fields.List(fields.Nested(ChangeSchema))
    date_from = fields.AwareDateTime(data_key="from")
    date_to = fields.AwareDateTime(data_key="to")
