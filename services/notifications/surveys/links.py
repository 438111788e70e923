"""The survey's answer link: the survey id signed with itsdangerous (HMAC-SHA1 over the id and a
timestamp); a changed character is refused, and so is a link older than the survey's validity."""
from __future__ import annotations

import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ANSWER_PATH = "/api/v1/notifications/surveys/answer/{token}"
SALT = "caredesk.survey-answer"


class LinkRefused(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "tampered")
        self.expired = expired


def _serializer(settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt=SALT)


def token_for(settings, survey_id: uuid.UUID) -> str:
    return _serializer(settings).dumps(str(survey_id))


def answer_url(settings, survey_id: uuid.UUID) -> str:
    return settings.link_base.rstrip("/") + ANSWER_PATH.format(token=token_for(settings, survey_id))


def survey_of(settings, token: str) -> uuid.UUID:
    """The survey a link names; raises LinkRefused (expired or tampered)."""
    try:
        value = _serializer(settings).loads(token, max_age=settings.valid_days * 86400)
        return uuid.UUID(str(value))
    except SignatureExpired as exc:
        raise LinkRefused(expired=True) from exc
    except (BadSignature, ValueError) as exc:
        raise LinkRefused(expired=False) from exc
