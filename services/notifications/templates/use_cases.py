"""Finding, rendering and editing templates; users' preferences and the company's language."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.problems import Forbidden, InvalidFields, NotFound, ensure_put_version, ensure_version
from services.notifications.templates.defaults import DEFAULTS, SAMPLES
from services.notifications.templates.models import (
    LANGUAGES, TEMPLATE_CHANNEL_OF, CompanySettings, Template, UserPreferences,
)
from services.notifications.templates.rendering import Rendered, render, template_errors

MANAGE_TEMPLATES = "manage_templates"


def default_language(session: Session) -> str:
    settings = session.get(CompanySettings, 1)
    return settings.default_language if settings else "es"


def language_of_user(session: Session, user_id: uuid.UUID, *, fallback: str) -> str:
    preferences = session.get(UserPreferences, user_id)
    return preferences.language if preferences and preferences.language else fallback


def wants_email(session: Session, user_id: uuid.UUID) -> bool:
    preferences = session.get(UserPreferences, user_id)
    return preferences is None or preferences.email


def texts_of(session: Session, template: str, channel: str, language: str) -> dict:
    """The administrators' version if there is one, else the shipped one (in ``language``, else
    the shipped Spanish)."""
    family = TEMPLATE_CHANNEL_OF[channel]
    edited = session.scalar(select(Template).where(Template.template == template, Template.channel == family,
                                                   Template.language == language))
    if edited is not None:
        return {"subject": edited.subject, "body_text": edited.body_text, "body_html": edited.body_html}
    shipped = DEFAULTS[(template, family)]
    subject, body = shipped.get(language) or shipped["es"]
    return {"subject": subject, "body_text": body, "body_html": None}


def render_message(session: Session, template: str, channel: str, language: str, context: dict) -> Rendered:
    return render(texts_of(session, template, channel, language), context)


def effective_template(session: Session, template: str, channel: str, language: str) -> dict:
    _known(template, channel, language)
    edited = session.scalar(select(Template).where(Template.template == template, Template.channel == channel,
                                                   Template.language == language))
    texts = texts_of(session, template, channel, language)
    return {"template": template, "channel": channel, "language": language, **texts,
            "is_default": edited is None, "version": edited.version if edited else 0,
            "updated_at": edited.updated_at if edited else None}


def template_keys() -> list[tuple[str, str, str]]:
    """Every (template, channel, language) there is, in the order lists show them."""
    return [(template, channel, language) for template, channel in sorted(DEFAULTS) for language in LANGUAGES]


def list_templates(session: Session) -> list[dict]:
    return [effective_template(session, *key) for key in template_keys()]


def _known(template: str, channel: str, language: str) -> None:
    if (template, channel) not in DEFAULTS or language not in LANGUAGES:
        raise NotFound(f"No template {template} for {channel} in {language}.")


def _validated(template: str, texts: dict) -> None:
    errors = template_errors(texts, SAMPLES[template])
    if errors:
        raise InvalidFields(errors, "The template does not render; see each field's line and error.")


def save_template(session: Session, *, principal: Principal, template: str, channel: str, language: str,
                  texts: dict, expected_version: int | None) -> dict:
    """Replace a template's texts (permission manage_templates). Refused when a field does not
    render the sample context (422, with its line) or the version moved on (412)."""
    principal.require(MANAGE_TEMPLATES)
    _known(template, channel, language)
    _validated(template, texts)
    row = session.scalar(select(Template).where(Template.template == template, Template.channel == channel,
                                                Template.language == language).with_for_update())
    current = row.version if row else 0
    ensure_put_version(current, expected_version, what=f"Template {template} ({channel}, {language})")
    if row is None:
        row = Template(template=template, channel=channel, language=language, version=0)
        session.add(row)
    row.subject, row.body_text, row.body_html = texts.get("subject") or "", texts["body_text"], texts.get("body_html")
    row.version, row.updated_by, row.updated_at = current + 1, principal.user_id, utcnow()
    session.flush()
    return effective_template(session, template, channel, language)


def reset_template(session: Session, *, principal: Principal, template: str, channel: str, language: str,
                   expected_version: int | None = None) -> dict:
    """Back to the shipped text (permission manage_templates), from the version the caller read
    (412 when stale; the shipped text is version 0)."""
    principal.require(MANAGE_TEMPLATES)
    _known(template, channel, language)
    row = session.scalar(select(Template).where(Template.template == template, Template.channel == channel,
                                                Template.language == language).with_for_update())
    ensure_version(row.version if row else 0, expected_version, what=f"Template {template} ({channel}, {language})")
    if row is not None:
        session.delete(row)
        session.flush()
    return effective_template(session, template, channel, language)


def preview_template(session: Session, *, template: str, channel: str, language: str, texts: dict | None) -> dict:
    """Render the given texts (or the current template) with the sample context."""
    _known(template, channel, language)
    texts = texts or texts_of(session, template, channel, language)
    _validated(template, texts)
    rendered = render(texts, SAMPLES[template])
    return {"subject": rendered.subject, "body_text": rendered.body_text, "body_html": rendered.body_html,
            "context": SAMPLES[template]}


def save_preferences(session: Session, *, principal: Principal, language: str | None, email: bool,
                     expected_version: int | None = None) -> UserPreferences:
    """My language and e-mail choice: the first save creates them (no If-Match needed), a later
    one replaces them from the version read (428 without If-Match, 412 when stale)."""
    preferences = session.get(UserPreferences, principal.user_id, with_for_update=True)
    ensure_put_version(preferences.version if preferences else 0, expected_version, what="Your preferences")
    if preferences is None:
        preferences = UserPreferences(user_id=principal.user_id, version=0)
    preferences.language, preferences.email, preferences.updated_at = language, email, utcnow()
    preferences.version += 1
    session.add(preferences)
    session.flush()
    return preferences


def save_default_language(session: Session, *, principal: Principal, language: str,
                          expected_version: int | None = None) -> CompanySettings:
    """The language of recipients who chose none (administrators, level 1), from the settings'
    version read (the migration made the row: 428 without If-Match, 412 when stale)."""
    if principal.level != COMPANY:
        raise Forbidden("Only an administrator (level 1) sets the company's language.")
    settings = session.get(CompanySettings, 1, with_for_update=True)
    ensure_put_version(settings.version if settings else 0, expected_version, what="The company's settings")
    if settings is None:
        settings = CompanySettings(id=1, version=0)
    settings.default_language, settings.updated_at = language, utcnow()
    settings.version += 1
    session.add(settings)
    session.flush()
    return settings
