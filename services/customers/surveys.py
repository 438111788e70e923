"""Customers' answers to the satisfaction surveys of their closed cases (survey.answered.v1 from the
notifications service, seed 004's polls), kept for the card: the latest answers and the average."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, Uuid, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.customers.base import Base
from services.kit.contracts import Reads, fields
from services.kit.db import UtcDateTime
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork

CARD_ANSWERS = 5


class SurveyAnswer(Base):
    """A customer's answer to the survey of one of its cases (one per survey)."""

    __tablename__ = "customer_survey_answers"

    survey_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    case_number: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SurveyAnsweredReads(Reads):
    survey_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    case_number = fields.String(required=True)
    score = fields.Integer(required=True)
    comment = fields.String(required=True, allow_none=True)
    answered_at = fields.AwareDateTime(required=True)


def keep_survey_answer(uow: UnitOfWork, envelope: Envelope) -> None:
    """survey.answered.v1: the answer on the customer's card (a survey is answered once; a repeated
    event changes nothing)."""
    data = envelope.data
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    uow.session.execute(insert(SurveyAnswer.__table__).values(
        survey_id=uuid.UUID(str(data["survey_id"])), customer_id=uuid.UUID(str(data["customer_id"])),
        case_id=uuid.UUID(str(data["case_id"])), case_number=data["case_number"], score=int(data["score"]),
        comment=data.get("comment"), answered_at=datetime.fromisoformat(data["answered_at"]),
    ).on_conflict_do_nothing(index_elements=["survey_id"]))


def card_satisfaction(session: Session, customer_id: uuid.UUID) -> dict:
    """The card's survey part: how many answers, their average, and the latest ones."""
    answers, average = session.execute(select(func.count(), func.avg(SurveyAnswer.score))
                                       .where(SurveyAnswer.customer_id == customer_id)).one()
    latest = session.scalars(select(SurveyAnswer).where(SurveyAnswer.customer_id == customer_id)
                             .order_by(SurveyAnswer.answered_at.desc()).limit(CARD_ANSWERS)).all()
    return {"answers": answers, "average": round(float(average), 2) if average is not None else None,
            "latest": [{"case_id": a.case_id, "case_number": a.case_number, "score": a.score, "comment": a.comment,
                        "answered_at": a.answered_at} for a in latest]}


HANDLERS = [EventHandler(name="keep_survey_answers", events=["survey.answered.v1"], handle=keep_survey_answer,
                         reads=SurveyAnsweredReads)]
