"""Payment reminders under /api/v1/notifications/reminders (concepts, each customer's settings, a
run on demand) and the user's own mailbox under /api/v1/notifications/account/mailbox."""
from __future__ import annotations

import uuid

from sqlalchemy import exists, or_, select

from services.kit.app import current_principal, service_context
from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.http import expected_version, install_id_converter, put_expected_version, with_etag
from services.kit.input import Blueprint
from services.kit.problems import Conflict, Forbidden, InvalidFields, NotFound, ensure_put_version, ensure_version
from services.kit.schemas import PageQuerySchema, page_from_query
from services.notifications.base import directory_users
from services.notifications.deliveries.channels import (
    OutgoingMessage, PermanentFailure, SmtpMailer, TemporaryFailure,
)
from services.notifications.reminders.job import send_due_reminders
from services.notifications.reminders.mailboxes import Vault, fernet_key, smtp_account
from services.notifications.reminders.models import (
    AFTER_DUE, BEFORE_DUE, CustomerAddresses, MailAccount, Receivable, ReminderConcept, ReminderSettings,
)
from services.notifications.reminders.schemas import (
    ConceptPageSchema, ConceptSchema, MailboxSchema, MailboxTestSchema, ReminderSettingsSchema, RunReportSchema, RunRequestSchema,
)
from services.notifications.settings import NotificationsSettings
from services.notifications.templates.defaults import SAMPLES
from services.notifications.templates.rendering import template_errors

reminders = Blueprint("reminders", __name__, url_prefix="/api/v1/notifications",
                      description="Payment reminders and the user's own outgoing mailbox")
install_id_converter(reminders)
MANAGE_REMINDERS = "manage_reminders"


def _session():
    return service_context().database.session()


def _may_manage(principal: Principal) -> bool:
    return principal.level == COMPANY or MANAGE_REMINDERS in principal.permissions


def _require_manage(principal: Principal) -> None:
    if not _may_manage(principal):
        raise Forbidden("Administrators (level 1) or holders of manage_reminders change reminder concepts.")


# -- concepts --------------------------------------------------------------------------------
@reminders.get("/reminders/concepts")
@reminders.arguments(PageQuerySchema, location="query")
@reminders.response(200, ConceptPageSchema)
def list_concepts(args):
    """The catalogue: reminders some days before the due date, notices some days after it."""
    with _session() as session:
        return page_from_query(session, select(ReminderConcept).order_by(
            ReminderConcept.kind, ReminderConcept.days, ReminderConcept.id), **args)


@reminders.post("/reminders/concepts")
@reminders.arguments(ConceptSchema, example={"description": "Reminder a week before the due date", "days": 7, "kind": "before_due"})
@reminders.response(201, ConceptSchema)
def create_concept(data):
    """Create a reminder concept: a reminder so many days before the due date, or a notice so many days
    after it (permission manage_reminders)."""
    _require_manage(current_principal())
    with _session() as session, session.begin():
        concept = ReminderConcept(id=uuid.uuid4(), version=1, updated_at=utcnow(), **data)
        session.add(concept)
        session.flush()
        return with_etag(concept, concept.version, 201)


def _concept(session, concept_id: uuid.UUID, *, lock: bool = False) -> ReminderConcept:
    query = select(ReminderConcept).where(ReminderConcept.id == concept_id)
    concept = session.scalar(query.with_for_update() if lock else query)
    if concept is None:
        raise NotFound("No such reminder concept.")
    return concept


@reminders.get("/reminders/concepts/<id:concept_id>")
@reminders.response(200, ConceptSchema)
def get_concept(concept_id: uuid.UUID):
    """One reminder concept; the ETag is its version."""
    with _session() as session:
        concept = _concept(session, concept_id)
        return with_etag(concept, concept.version)


@reminders.put("/reminders/concepts/<id:concept_id>")
@reminders.arguments(ConceptSchema, example={"description": "Reminder a week before the due date", "days": 7, "kind": "before_due"})
@reminders.response(200, ConceptSchema)
def save_concept(data, concept_id: uuid.UUID):
    """Change a concept (If-Match). Its kind cannot change while customers use it for the other kind."""
    _require_manage(current_principal())
    version = expected_version()
    with _session() as session, session.begin():
        concept = _concept(session, concept_id, lock=True)
        ensure_version(concept.version, version, what="The reminder concept")
        if data["kind"] != concept.kind and _in_use(session, concept_id):
            raise InvalidFields({"kind": ["Customers' settings use this concept; it keeps its kind."]})
        for name, value in data.items():
            setattr(concept, name, value)
        concept.version, concept.updated_at = concept.version + 1, utcnow()
        session.flush()
        return with_etag(concept, concept.version)


def _in_use(session, concept_id: uuid.UUID) -> bool:
    return session.scalar(select(exists().where(or_(ReminderSettings.concept_id == concept_id,
                                                    ReminderSettings.after_due_concept_id == concept_id))))


@reminders.delete("/reminders/concepts/<id:concept_id>")
@reminders.response(204)
def delete_concept(concept_id: uuid.UUID):
    """Remove an unused concept (If-Match: its ETag; 409 while a customer's settings name it)."""
    _require_manage(current_principal())
    version = expected_version()
    with _session() as session, session.begin():
        concept = _concept(session, concept_id, lock=True)
        ensure_version(concept.version, version, what="The reminder concept")
        if _in_use(session, concept_id):
            raise Conflict("Customers' reminder settings use this concept; choose another one for them first.")
        session.delete(concept)
    return None


# -- each customer's settings -----------------------------------------------------------------
def _reachable_customer(session, principal: Principal, customer_id: uuid.UUID) -> CustomerAddresses:
    """The customer, if the caller may set its reminders: an administrator, a holder of
    manage_reminders, or its collections agent. Anyone else gets what a missing customer gets."""
    customer = session.get(CustomerAddresses, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    if not _may_manage(principal) and not session.scalar(select(exists().where(
            Receivable.customer_id == customer_id, Receivable.collections_agent_id == principal.user_id))):
        raise NotFound("No such customer.")
    return customer


def _settings_view(customer_id: uuid.UUID, row: ReminderSettings | None) -> dict:
    if row is None:
        return {"customer_id": customer_id, "active": False, "subject": "", "send_to_contacts": False,
                "contact_ids": [], "concept_id": None, "after_due_active": False, "after_due_concept_id": None,
                "reminder_body": "", "after_due_body": "", "version": 0, "updated_at": None}
    return {name: getattr(row, name) for name in (
        "customer_id", "active", "subject", "send_to_contacts", "contact_ids", "concept_id", "after_due_active",
        "after_due_concept_id", "reminder_body", "after_due_body", "version", "updated_at")}


@reminders.get("/reminders/settings/<id:customer_id>")
@reminders.response(200, ReminderSettingsSchema)
def get_settings(customer_id: uuid.UUID):
    """A customer's reminder settings (version 0: none yet, reminders off)."""
    with _session() as session:
        _reachable_customer(session, current_principal(), customer_id)
        view = _settings_view(customer_id, session.get(ReminderSettings, customer_id))
    return with_etag(view, view["version"])


def _validate_settings(session, customer: CustomerAddresses, data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    kinds = {"concept_id": BEFORE_DUE, "after_due_concept_id": AFTER_DUE}
    for name, kind in kinds.items():
        if data[name] is not None:
            concept = session.get(ReminderConcept, data[name])
            if concept is None or concept.kind != kind:
                errors[name] = [f"Choose a concept of the catalogue of kind {kind}."]
    if data["active"] and data["concept_id"] is None and not data["after_due_active"]:
        errors.setdefault("concept_id", ["Choose the reminder's concept (or activate the after-due notice)."])
    if data["after_due_active"] and data["after_due_concept_id"] is None:
        errors.setdefault("after_due_concept_id", ["Choose the after-due notice's concept."])
    known = {contact["id"] for contact in customer.contacts or []}
    unknown = [str(contact_id) for contact_id in data["contact_ids"] if str(contact_id) not in known]
    if unknown:
        errors["contact_ids"] = [f"Not a contact of this customer: {', '.join(unknown)}."]
    sample = SAMPLES["payment.reminder"]
    for name, template_field in (("subject", "subject"), ("reminder_body", "body_text"), ("after_due_body", "body_text")):
        if data[name]:
            problems = template_errors({template_field: data[name]}, sample)
            if problems:
                errors[name] = problems[template_field]
    return errors


@reminders.put("/reminders/settings/<id:customer_id>")
@reminders.arguments(ReminderSettingsSchema, example={"active": True, "send_to_contacts": True, "contact_ids": [],
    "reminder_body": "Dear {{ recipient.name }}, invoice {{ invoice.number }} for {{ invoice.outstanding }} "
                     "{{ invoice.currency }} is due on {{ invoice.due_date }}."})
@reminders.response(200, ReminderSettingsSchema)
def save_settings(data, customer_id: uuid.UUID):
    """Replace a customer's reminder settings (If-Match: the version read, "0" the first time). The
    subject and bodies are Jinja2 templates: one that does not render is refused with its line."""
    principal = current_principal()
    version = expected_version()
    with _session() as session, session.begin():
        customer = _reachable_customer(session, principal, customer_id)
        row = session.scalar(select(ReminderSettings).where(ReminderSettings.customer_id == customer_id)
                             .with_for_update())
        current = row.version if row else 0
        ensure_version(current, version, what="The reminder settings")
        errors = _validate_settings(session, customer, data)
        if errors:
            raise InvalidFields(errors)
        if row is None:
            row = ReminderSettings(customer_id=customer_id, version=0)
            session.add(row)
        for name, value in data.items():
            setattr(row, name, [str(contact_id) for contact_id in value] if name == "contact_ids" else value)
        row.version, row.updated_by, row.updated_at = current + 1, principal.user_id, utcnow()
        session.flush()
        view = _settings_view(customer_id, row)
    return with_etag(view, view["version"])


@reminders.post("/reminders/run")
@reminders.arguments(RunRequestSchema, example={"date": "2026-12-01"})
@reminders.response(200, RunReportSchema)
def run_reminders(data):
    """Run the day's reminder job now (administrators); what it finds already claimed is skipped,
    so running it again, or while the scheduled run works, sends nothing twice."""
    if current_principal().level != COMPANY:
        raise Forbidden("Only an administrator (level 1) runs the reminder job.")
    return send_due_reminders(service_context().database, today=data.get("date")).as_dict()


# -- My account: the user's own mailbox ---------------------------------------------------------
def _vault() -> Vault:
    settings = service_context().settings
    return Vault(fernet_key(NotificationsSettings.load(settings).mail_account_key, settings.data_dir))


def _mailbox_view(row: MailAccount) -> dict:
    return {"host": row.host, "port": row.port, "security": row.security, "username": row.username,
            "sender": row.sender, "sender_name": row.sender_name, "has_password": bool(row.password_encrypted),
            "version": row.version, "checked_at": row.checked_at, "check_result": row.check_result,
            "updated_at": row.updated_at}


@reminders.get("/account/mailbox")
@reminders.response(200, MailboxSchema)
@reminders.alt_response(404, description="You have not configured an outgoing mailbox")
def my_mailbox():
    """My outgoing mail account (the password is never returned)."""
    with _session() as session:
        row = session.get(MailAccount, current_principal().user_id)
        if row is None:
            raise NotFound("You have not configured an outgoing mailbox.")
        return with_etag(_mailbox_view(row), row.version)


@reminders.put("/account/mailbox")
@reminders.arguments(MailboxSchema, example={"host": "smtp.example.com", "port": 587, "security": "starttls",
                                            "username": "cartera@example.com", "password": "an app password",
                                            "sender": "cartera@example.com", "sender_name": "Cartera"})
@reminders.response(200, MailboxSchema)
def save_my_mailbox(data):
    """Set my outgoing mail account; the password is stored encrypted (omit it to keep the stored one).
    Setting it up needs no If-Match; changing it needs the ETag read (428 without, 412 when stale)."""
    principal = current_principal()
    version = put_expected_version()
    with _session() as session, session.begin():
        row = session.get(MailAccount, principal.user_id, with_for_update=True)
        ensure_put_version(row.version if row else 0, version, what="Your mailbox")
        password = data.pop("password")
        if row is None:
            row = MailAccount(user_id=principal.user_id, version=0, password_encrypted="")
            session.add(row)
        for name, value in data.items():
            setattr(row, name, value)
        if password is not None:
            row.password_encrypted = _vault().seal(password)
        row.version, row.updated_at, row.checked_at, row.check_result = row.version + 1, utcnow(), None, None
        session.flush()
        return with_etag(_mailbox_view(row), row.version)


@reminders.delete("/account/mailbox")
@reminders.response(204)
def delete_my_mailbox():
    """Forget your own mailbox (If-Match: the ETag read): reminders go out from the company's sender
    again. Nothing to forget is a 404."""
    version = expected_version()
    with _session() as session, session.begin():
        row = session.get(MailAccount, current_principal().user_id, with_for_update=True)
        if row is None:
            raise NotFound("You have not configured an outgoing mailbox.")
        ensure_version(row.version, version, what="Your mailbox")
        session.delete(row)
    return None


@reminders.post("/account/mailbox/test")
@reminders.response(200, MailboxTestSchema)
@reminders.alt_response(404, description="You have not configured an outgoing mailbox")
def test_my_mailbox():
    """Send me a test message through my mailbox: ``ok`` with the server's answer, or why not."""
    principal = current_principal()
    with _session() as session, session.begin():
        row = session.get(MailAccount, principal.user_id)
        if row is None:
            raise NotFound("You have not configured an outgoing mailbox.")
        me = session.scalar(select(directory_users.c.email).where(directory_users.c.id == principal.user_id))
        to = me or row.sender
        test_id = uuid.uuid4()
        message = OutgoingMessage(delivery_id=str(test_id), message_id=f"<{test_id}@caredesk>", channel="email",
                                  address=to, subject="Caredesk: prueba de su buzón / mailbox test",
                                  body_text="Este mensaje confirma que Caredesk puede enviar desde su buzón.\n"
                                            "This message confirms that Caredesk can send from your mailbox.")
        mailer = SmtpMailer(timeout=15.0)
        try:
            _, answer = mailer.send(message, smtp_account(row, _vault()))
            ok = True
        except (TemporaryFailure, PermanentFailure) as exc:
            ok, answer = False, str(exc)
        finally:
            mailer.close_all()
        row.checked_at, row.check_result = utcnow(), ("ok: " if ok else "failed: ") + answer[:1000]
        return {"ok": ok, "to": to, "answer": answer}
