"""Customers' answers to the satisfaction survey of a closed case (survey.answered.v1 from the
notifications service): kept with the case, and counted in its queue's statistics."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, Text, Uuid, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.cases.base import Base
from services.kit.contracts import Reads, fields
from services.kit.db import UtcDateTime
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork


class CaseSurvey(Base):
    """The answer to a case's survey (one per case), with the queue the case was closed in."""

    __tablename__ = "case_surveys"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SurveyAnsweredReads(Reads):
    survey_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    score = fields.Integer(required=True)
    comment = fields.String(required=True, allow_none=True)
    answered_at = fields.AwareDateTime(required=True)


def keep_survey_answer(uow: UnitOfWork, envelope: Envelope) -> None:
    """survey.answered.v1: the score and comment on the case (the first answer counts)."""
    from services.cases.models import Case

    data = envelope.data
    case_id = uuid.UUID(str(data["case_id"]))
    if uow.session.get(CaseSurvey, case_id) is not None:
        return
    queue_id = uow.session.scalar(select(Case.queue_id).where(Case.id == case_id))
    uow.session.add(CaseSurvey(case_id=case_id, survey_id=uuid.UUID(str(data["survey_id"])), queue_id=queue_id,
                               score=int(data["score"]), comment=data.get("comment"),
                               answered_at=datetime.fromisoformat(data["answered_at"])))


def survey_of(session: Session, case_id: uuid.UUID) -> dict | None:
    return survey_answer(session.get(CaseSurvey, case_id))


def survey_answer(row: CaseSurvey | None) -> dict | None:
    return None if row is None else {"score": row.score, "comment": row.comment, "answered_at": row.answered_at}


def satisfaction(session: Session, queue_id: uuid.UUID, *, since: datetime, until: datetime | None = None) -> dict:
    """How many customers answered the survey of a case of this queue since ``since`` (and before
    ``until``), and the average."""
    query = select(func.count(), func.avg(CaseSurvey.score)).where(
        CaseSurvey.queue_id == queue_id, CaseSurvey.answered_at >= since)
    if until is not None:
        query = query.where(CaseSurvey.answered_at < until)
    answers, average = session.execute(query).one()
    return {"answers": answers, "average": round(float(average), 2) if average is not None else None}


HANDLERS = [EventHandler(name="keep_survey_answers", events=["survey.answered.v1"], handle=keep_survey_answer,
                         reads=SurveyAnsweredReads)]
