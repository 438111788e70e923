"""Surveys under /api/v1/notifications/surveys: the company's setting (administrators) and the
answer link, read and answered without login (the signed token is the key)."""
from __future__ import annotations

from flask import redirect, request
from marshmallow import Schema, ValidationError, fields, validate

from services.kit.app import current_principal, new_uow, service_context
from services.kit.auth import COMPANY
from services.kit.db import utcnow
from services.kit.http import expected_version, with_etag
from services.kit.input import MULTILINE, Blueprint
from services.kit.problems import Conflict, DomainError, Forbidden, NotFound, ensure_version
from services.notifications.surveys import page
from services.notifications.surveys.links import LinkRefused, survey_of
from services.notifications.surveys.models import SURVEY_CHANNELS, Survey, SurveySettings
from services.notifications.templates.use_cases import default_language

surveys = Blueprint("surveys", __name__, url_prefix="/api/v1/notifications/surveys",
                    description="Satisfaction surveys of closed cases")
ANSWERED = "survey.answered.v1"


class Gone(DomainError):
    type, status, title = "gone", 410, "This link has expired"


class SettingsSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(SURVEY_CHANNELS),
                            metadata={"description": "off, email or sms: how the survey of a closed case goes out"})
    valid_days = fields.Integer(required=True, validate=validate.Range(min=1, max=90))
    link_base = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                           validate=validate.Length(max=300),
                           metadata={"description": "the gateway's address as customers reach it"})


class SurveyViewSchema(Schema):
    case_number = fields.String()
    expires_at = fields.AwareDateTime()
    answered = fields.Boolean()
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class AnswerSchema(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5),
                           metadata={"description": "1 (very unhappy) to 5 (very happy)"})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000), metadata=MULTILINE)


@surveys.get("/settings")
@surveys.response(200, SettingsSchema)
def get_settings():
    """The company's satisfaction survey settings: the channel (off, email, sms), how many days a link
    lasts and the address customers reach."""
    with service_context().database.session() as session:
        settings = session.get(SurveySettings, 1)
        return with_etag(settings, settings.version)


@surveys.put("/settings")
@surveys.arguments(SettingsSchema, example={"channel": "email", "valid_days": 14,
                                           "link_base": "https://crm.example.com"})
@surveys.response(200, SettingsSchema)
def save_settings(data):
    """How surveys go out (administrators, level 1; If-Match: the ETag read, 428 without, 412 when
    stale)."""
    if current_principal().level != COMPANY:
        raise Forbidden("Only an administrator (level 1) sets how surveys go out.")
    version = expected_version()
    with service_context().database.session() as session, session.begin():
        settings = session.get(SurveySettings, 1, with_for_update=True)
        ensure_version(settings.version, version, what="The survey settings")
        for name, value in data.items():
            setattr(settings, name, value)
        settings.updated_at, settings.version = utcnow(), settings.version + 1
        return with_etag(settings, settings.version)


def _survey(session, token: str, *, lock: bool = False) -> Survey:
    settings = session.get(SurveySettings, 1)
    try:
        survey_id = survey_of(settings, token)
    except LinkRefused as refused:
        if refused.expired:
            raise Gone("This survey's link has expired.") from None
        raise NotFound("No such survey.") from None
    survey = session.get(Survey, survey_id, with_for_update=lock)
    if survey is None:
        raise NotFound("No such survey.")
    if survey.expires_at < utcnow() and survey.answered_at is None:
        raise Gone("This survey's link has expired.")
    return survey


def _view(survey: Survey) -> dict:
    return {"case_number": survey.case_number, "expires_at": survey.expires_at,
            "answered": survey.answered_at is not None, "score": survey.score, "comment": survey.comment,
            "answered_at": survey.answered_at}


@surveys.get("/answer/<string:token>")
@surveys.response(200, SurveyViewSchema)
@surveys.alt_response(410, description="The link has expired")
def read_survey(token: str):
    """What the link is about (no login: the signed token is the key). A changed link answers 404,
    an expired one 410. A browser (Accept preferring text/html) gets the survey page instead: a
    form in the customer's language (es, en, ru, vi; ``?lang=`` switches) posted to this URL."""
    with service_context().database.session() as session:
        return _view(_survey(session, token))


class AlreadyAnswered(Conflict):
    type, title = "survey-already-answered", "This survey was already answered"


def record_answer(token: str, *, score: int, comment: str | None) -> Survey:
    """Keep the customer's answer once and publish survey.answered.v1 in the same transaction.
    Raises NotFound (a changed link), Gone (expired), AlreadyAnswered."""
    with new_uow() as uow:
        survey = _survey(uow.session, token, lock=True)
        if survey.answered_at is not None:
            raise AlreadyAnswered("This survey was already answered; thank you.")
        survey.score, survey.comment, survey.answered_at = score, comment or None, utcnow()
        uow.emit(ANSWERED, {"survey_id": survey.id, "case_id": survey.case_id, "case_number": survey.case_number,
                            "customer_id": survey.customer_id, "score": survey.score, "comment": survey.comment,
                            "answered_at": survey.answered_at})
        uow.commit()
        return survey


@surveys.post("/answer/<string:token>")
@surveys.arguments(AnswerSchema, example={"score": 5, "comment": "Quick and kind, thank you."})
@surveys.response(200, SurveyViewSchema)
@surveys.alt_response(409, description="This survey was already answered")
@surveys.alt_response(410, description="The link has expired")
def answer_survey(data, token: str):
    """The customer's answer (score 1-5, a comment): kept once, published as survey.answered.v1.
    An HTML form posted here (application/x-www-form-urlencoded, from the survey page) is answered
    with the page instead."""
    return _view(record_answer(token, score=data["score"], comment=data["comment"]))


# -- the page a browser gets on the same URL (page.py) ------------------------------------------
_PAGE_ENDPOINTS = {"surveys.read_survey", "surveys.answer_survey"}


@surveys.before_request
def _survey_page():
    """A browser opening the link gets the survey page, and its form post the page's answer; API
    clients go on to the JSON views."""
    if request.endpoint not in _PAGE_ENDPOINTS or not page.wants_page():
        return None
    token = (request.view_args or {}).get("token", "")
    with service_context().database.session() as session:
        fallback = default_language(session)
        try:
            survey = _survey(session, token)
        except Gone:
            return page.render("expired", language=page.page_language(None, fallback), status=410)
        except NotFound:
            return page.render("missing", language=page.page_language(None, fallback), status=404)
        session.expunge(survey)
    language = page.page_language(survey.language, fallback)
    if request.method == "GET":
        state = "answered" if survey.answered_at is not None else "form"
        return page.render(state, language=language, status=200, survey=survey)
    if survey.answered_at is not None:
        return page.render("already", language=language, status=409, survey=survey)
    form = {"score": request.form.get("score", ""), "comment": request.form.get("comment", "")}
    try:
        data = AnswerSchema().load({"score": form["score"] or None, "comment": form["comment"] or None})
    except ValidationError as error:
        return page.render("form", language=language, status=422, survey=survey, errors=error.messages, form=form)
    try:
        record_answer(token, score=data["score"], comment=data["comment"])
    except AlreadyAnswered:  # a second tab got there first
        with service_context().database.session() as session:
            return page.render("already", language=language, status=409, survey=_survey(session, token))
    # Post/Redirect/Get: a reload shows the thanks again and sends nothing twice
    return redirect(request.full_path.rstrip("?"), code=303)
