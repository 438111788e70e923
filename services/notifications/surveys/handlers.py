"""case.closed.v1 -> a satisfaction survey to the customer (seed 004): by the company's channel
(e-mail or SMS), in the customer's language, unless it withdrew its "surveys" consent, with a signed
link that expires. One survey per case (unique), recorded with its delivery in the event's
transaction."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from services.kit.contracts import Reads, fields
from services.kit.db import utcnow
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.deliveries.use_cases import record_delivery
from services.notifications.reminders.models import Consent, CustomerAddresses
from services.notifications.surveys.links import answer_url
from services.notifications.surveys.models import Survey, SurveySettings
from services.notifications.templates.use_cases import default_language, render_message

SURVEYS = "surveys"  # the consent kind
CUSTOMER = "customer"


class _Customer(Reads):
    id = fields.UUID(required=True)
    name = fields.String(required=True)


class ClosedCaseReads(Reads):
    id = fields.UUID(required=True)
    number = fields.String(required=True)
    subject = fields.String(required=True)
    customer = fields.Nested(_Customer, required=True)


def survey_settings(session) -> SurveySettings:
    return session.get(SurveySettings, 1)


def send_survey(uow: UnitOfWork, envelope: Envelope) -> None:
    session = uow.session
    case = envelope.data
    settings = survey_settings(session)
    if settings is None or settings.channel == "off":
        return
    customer_id = uuid.UUID(str(case["customer"]["id"]))
    addresses = session.get(CustomerAddresses, customer_id)
    if addresses is None:
        return  # nowhere to send it (the customers service has not told us its addresses)
    withdrawn = session.scalar(select(Consent.granted).where(
        Consent.customer_id == customer_id, Consent.subject == "", Consent.kind == SURVEYS)) is False
    address = addresses.email if settings.channel == "email" else addresses.mobile
    case_id = uuid.UUID(str(case["id"]))
    if withdrawn or not address or session.scalar(select(Survey.id).where(Survey.case_id == case_id)):
        return
    language = addresses.language or default_language(session)
    survey = Survey(id=uuid.uuid4(), case_id=case_id, case_number=case["number"], customer_id=customer_id,
                    channel=settings.channel, language=language,
                    expires_at=utcnow() + timedelta(days=settings.valid_days), created_at=utcnow())
    session.add(survey)
    session.flush()
    context = {"case": {"number": case["number"], "subject": case["subject"]},
               "customer": {"name": addresses.name}, "survey": {
                   "link": answer_url(settings, survey.id),
                   "expires_on": survey.expires_at.date().isoformat()}}
    message = render_message(session, "survey.request", settings.channel, language, context)
    record_delivery(session, event_id=envelope.id, event_type=envelope.type, channel=settings.channel,
                    recipient_kind=CUSTOMER, recipient=str(customer_id), address=address, template="survey.request",
                    language=language, subject=message.subject or case["number"], body_text=message.body_text,
                    body_html=message.body_html)


HANDLERS = [EventHandler(name="satisfaction_surveys", events=["case.closed.v1"], handle=send_survey,
                         reads=ClosedCaseReads)]
