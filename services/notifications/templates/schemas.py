"""Request and response shapes of templates, preferences and the company's language."""
from marshmallow import Schema, fields, validate

from services.kit.input import MULTILINE
from services.kit.schemas import page_of
from services.notifications.templates.models import LANGUAGES

TEXT = validate.Length(max=20000)


class TemplateSchema(Schema):
    template = fields.String()
    channel = fields.String()
    language = fields.String()
    subject = fields.String()
    body_text = fields.String()
    body_html = fields.String(allow_none=True)
    is_default = fields.Boolean()
    version = fields.Integer()
    updated_at = fields.AwareDateTime(allow_none=True)


class TemplateTextsSchema(Schema):
    class Meta:
        description = ("Jinja2, rendered in a sandbox with the template's context (GET the template or preview it "
                       "to see its placeholders); texts that do not render the template's sample are refused, "
                       "each field with its line and error.")

    subject = fields.String(load_default="", validate=validate.Length(max=1000))
    body_text = fields.String(required=True, validate=[validate.Length(min=1), TEXT], metadata=MULTILINE)
    body_html = fields.String(load_default=None, allow_none=True, validate=TEXT, metadata=MULTILINE)


class PreviewRequestSchema(Schema):
    texts = fields.Nested(TemplateTextsSchema, load_default=None, allow_none=True)


class PreviewSchema(Schema):
    subject = fields.String()
    body_text = fields.String()
    body_html = fields.String(allow_none=True)
    context = fields.Dict()


class PreferencesSchema(Schema):
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES))
    email = fields.Boolean(load_default=True)


class CompanySettingsSchema(Schema):
    default_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


TemplatePageSchema = page_of(TemplateSchema, "TemplatePage")
