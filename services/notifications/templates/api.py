"""Templates (/api/v1/notifications/templates), my preferences and the company's language."""
from __future__ import annotations

from services.kit.app import current_principal, service_context
from services.kit.http import expected_version, put_expected_version, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_list
from services.notifications.templates import use_cases
from services.notifications.templates.models import CompanySettings, UserPreferences
from services.notifications.templates.schemas import (
    CompanySettingsSchema, PreferencesSchema, PreviewRequestSchema, PreviewSchema, TemplatePageSchema, TemplateSchema,
    TemplateTextsSchema,
)

templates = Blueprint("templates", __name__, url_prefix="/api/v1/notifications",
                      description="Message templates, preferences and the company's language")
KEY = "/templates/<string:template>/<string:channel>/<string:language>"
# texts of case.dispatched/email/en (they render its sample: placeholders are per template, see GET)
TEMPLATE_EXAMPLE = {"subject": "Case {{ case.number }} waits in {{ case.queue.name }}",
                    "body_text": "{{ case.subject }}\nCustomer: {{ case.customer.code }} {{ case.customer.name }}\n"
                                 "Priority: {{ case.priority }}. Please take it from the queue."}


def _session():
    return service_context().database.session()


@templates.get("/templates")
@templates.arguments(PageQuerySchema, location="query")
@templates.response(200, TemplatePageSchema)
def list_templates(args):
    """Every template in every language: the administrators' version or the shipped one."""
    with _session() as session:
        return page_from_list(use_cases.template_keys(), item=lambda key: use_cases.effective_template(session, *key),
                              **args)


@templates.get(KEY)
@templates.response(200, TemplateSchema)
def get_template(template: str, channel: str, language: str):
    """The template in force for a channel and language (the company's own or the built-in one); the ETag is
    its version."""
    with _session() as session:
        found = use_cases.effective_template(session, template, channel, language)
    return with_etag(found, found["version"])


@templates.put(KEY)
@templates.arguments(TemplateTextsSchema, example=TEMPLATE_EXAMPLE)
@templates.response(200, TemplateSchema)
def save_template(texts, template: str, channel: str, language: str):
    """Replace the texts (permission manage_templates); refused with each field's line and error
    when it does not render the sample context. The shipped text is version 0: the first save
    needs no If-Match (or "0"); replacing the company's own text needs its ETag (428, 412)."""
    version = put_expected_version()
    with _session() as session, session.begin():
        saved = use_cases.save_template(session, principal=current_principal(), template=template, channel=channel,
                                        language=language, texts=texts, expected_version=version)
    return with_etag(saved, saved["version"])


@templates.delete(KEY)
@templates.response(200, TemplateSchema)
def reset_template(template: str, channel: str, language: str):
    """Back to the shipped text (If-Match: the ETag read; permission manage_templates)."""
    version = expected_version()
    with _session() as session, session.begin():
        reset = use_cases.reset_template(session, principal=current_principal(), template=template,
                                         channel=channel, language=language, expected_version=version)
    return with_etag(reset, reset["version"])


@templates.post(KEY + "/preview")
@templates.arguments(PreviewRequestSchema, example={"texts": TEMPLATE_EXAMPLE})
@templates.response(200, PreviewSchema)
def preview_template(data, template: str, channel: str, language: str):
    """Render the given texts, or the current template, with sample data."""
    with _session() as session:
        return use_cases.preview_template(session, template=template, channel=channel, language=language,
                                          texts=data.get("texts"))


@templates.get("/preferences/me")
@templates.response(200, PreferencesSchema)
def my_preferences():
    """Your own notification preferences: language and whether to get e-mail; the ETag is their
    version (0 while you never saved them)."""
    with _session() as session:
        saved = session.get(UserPreferences, current_principal().user_id)
        return with_etag(saved or {"language": None, "email": True}, saved.version if saved else 0)


@templates.put("/preferences/me")
@templates.arguments(PreferencesSchema, example={"language": "es", "email": True})
@templates.response(200, PreferencesSchema)
def save_my_preferences(data):
    """My language and whether I get e-mail besides the in-app inbox. The first save needs no
    If-Match; a later one needs the ETag read (428 without, 412 when stale)."""
    version = put_expected_version()
    with _session() as session, session.begin():
        saved = use_cases.save_preferences(session, principal=current_principal(), expected_version=version, **data)
        return with_etag(saved, saved.version)


@templates.get("/settings")
@templates.response(200, CompanySettingsSchema)
def company_settings():
    """The company's notification settings: its default language; the ETag is their version."""
    with _session() as session:
        settings = session.get(CompanySettings, 1)
        return with_etag({"default_language": use_cases.default_language(session)}, settings.version if settings else 0)


@templates.put("/settings")
@templates.arguments(CompanySettingsSchema, example={"default_language": "es"})
@templates.response(200, CompanySettingsSchema)
def save_company_settings(data):
    """The language of recipients who chose none (administrators; If-Match: the ETag read)."""
    version = put_expected_version()
    with _session() as session, session.begin():
        settings: CompanySettings = use_cases.save_default_language(
            session, principal=current_principal(), language=data["default_language"], expected_version=version)
        return with_etag({"default_language": settings.default_language}, settings.version)
