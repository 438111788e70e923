"""The cases service's own database: cases (with their timeline, comments and tasks), the number
counter, and the read models of customers and directory users. Queues and case types live in
their sub-packages and are re-exported here, so this module's ``Base.metadata`` holds every table.

The four states (SPEC.md, seed 004):
  Open           in the owner's folder: just created (owner = initiator) or accepted (owner = agent)
  Open Dispatch  waiting in the queue, or in the folder of the agent it was assigned to
  Open-Reject    returned to the initiator with a reason; the SLA clock is paused
  Closed         done, with a resolution; found by search; may be reopened
"""
from __future__ import annotations

import uuid
from dataclasses import astuple, fields
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import (
    JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid, and_, event, func, literal_column,
    or_,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, object_session, relationship, validates

from services.cases.base import Base, directory_users
from services.cases.case_records import CaseComment, CaseTask, TimelineEntry
from services.cases.case_types.models import CaseType, RoutingRule
from marshmallow import ValidationError

from services.cases.case_types.forms import clean_values
from services.cases.errors import CaseClosed, FormIncomplete, TaskBlocked, TaskDependencyCycle, TransitionNotAllowed
from services.cases.queues.models import PRIORITIES, PRIORITY_RANK, Calendar, Queue, SlaPolicy
from services.cases.sla.clock import KINDS as SLA_KINDS
from services.cases.sla.clock import WARNING, SlaClock
from services.kit.auth import Principal
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.problems import Forbidden, InvalidFields
from services.kit.text import search_text
from services.kit.uow import RecordsEvents

__all__ = ["Base", "directory_users", "Calendar", "Queue", "SlaPolicy", "CaseType", "RoutingRule", "Case",
           "CaseComment", "CaseTask", "TimelineEntry", "CaseNumberCounter", "CustomerReadModel",
           "CustomerAttachmentReadModel", "PRIORITIES"]

OPEN, OPEN_DISPATCH, OPEN_REJECT, CLOSED = "open", "open_dispatch", "open_reject", "closed"
STATUSES = (OPEN, OPEN_DISPATCH, OPEN_REJECT, CLOSED)

# Every action on a case, in the order allowed_actions lists them.
ACTIONS = ("save", "dispatch", "cancel", "take", "assign", "accept", "reject", "close", "reopen")
# A user's relations to one case; a user may hold several (the initiator may also be a member).
INITIATOR, OWNER, MEMBER, SUPERVISOR = "initiator", "owner", "member", "supervisor"
# who keeps a case's tasks (an assignee who is none of these may still complete their own task)
TASK_ROLES = frozenset({INITIATOR, OWNER, MEMBER, SUPERVISOR})


# Case's columns holding its SLA clock, in the order of SlaClock's fields.
SLA_COLUMNS = tuple(field.name if field.name.startswith(SLA_KINDS) else f"sla_{field.name}"
                    for field in fields(SlaClock))


class CaseNumberCounter(Base):
    """Last case number given out per year; its row lock makes numbers gap-free and unique."""

    __tablename__ = "case_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class CustomerReadModel(Base):
    """The customers service's customers, as its events describe them (handlers.replicate_customer).
    ``region`` and ``lines`` ([{number, status}]) are what routing rules match."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # with branch and department, who reaches the customer (repository.visible_customers)
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    region: Mapped[str | None] = mapped_column(String(100))
    lines: Mapped[list | None] = mapped_column(JSON)
    source_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def line_status(self, number: str | None) -> str | None:
        """The status of the customer's line with this number: the live one if a deactivated line
        once had the same number (a number belongs to one live line at a time)."""
        statuses = [line.get("status") for line in self.lines or [] if number and line.get("number") == number]
        live = [status for status in statuses if status != "deactivated"]
        return (live or statuses or [None])[0]


def routing_facts(customer: CustomerReadModel | None, *, priority: str, line: str | None) -> dict:
    """What a case type's routing rules match: the case's priority, its customer's region and the
    status of the line the case is about."""
    return {"priority": priority, "region": customer.region if customer else None,
            "line_status": customer.line_status(line) if customer else None}


def clean_custom_fields(case_type: CaseType | None, values: dict) -> dict:
    """Form values checked against the case type's form (no type: no form); each bad value is a
    field error ``custom_fields.<name>``."""
    try:
        return clean_values(case_type.form if case_type else [], values)
    except ValidationError as error:
        messages = error.normalized_messages()
        raise InvalidFields({f"custom_fields.{name}": problems for name, problems in messages.items()}) from None


class CustomerAttachmentReadModel(Base):
    """The files on customer accounts and interactions, as attachment.added.v1 describes them
    (handlers.replicate_attachment): a case carries the ones it names by reference; their bytes
    stay in the customers service."""

    __tablename__ = "customer_attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # on the prospect "0" the interaction's branch, department and agent decide who reaches the file
    interaction_branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    interaction_department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    interaction_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    filename: Mapped[str] = mapped_column(String(255))
    type_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def reference(self) -> dict:
        """What a case keeps of the file, with where the customers API serves its bytes."""
        return {"id": str(self.id), "name": self.filename, "type": self.type_name,
                "content_type": self.content_type, "size_bytes": self.size_bytes, "sha256": self.sha256,
                "interaction_id": str(self.interaction_id) if self.interaction_id else None,
                "download_path": f"/api/v1/customers/{self.customer_id}/attachments/{self.id}/content"}


class Case(RecordsEvents, Base):
    """A customer's request handed to a department queue; the rules of its four states live here."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_queue_id_status", "queue_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    priority_rank: Mapped[int] = mapped_column(Integer, default=PRIORITY_RANK["normal"])
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    case_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_types.id"), index=True)
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"), index=True)
    is_queue_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    customer_code: Mapped[str] = mapped_column(String(40), index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    line_number: Mapped[str | None] = mapped_column(String(32), index=True)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    # subject, customer's name and the form's values folded (services.kit.text), kept on every write
    search_text: Mapped[str] = mapped_column(Text, default=" ")
    initiator_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    queue_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # the time of the last state-changing timeline entry: later entries are never earlier, even if
    # the clocks of two application servers disagree
    last_logged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # SLA: see services/cases/sla/targets.py
    sla_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sla_paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    sla_warning_percent: Mapped[int | None] = mapped_column(Integer)
    acceptance_target_seconds: Mapped[int | None] = mapped_column(Integer)
    acceptance_warning_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    acceptance_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    acceptance_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acceptance_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acceptance_met: Mapped[bool | None] = mapped_column(Boolean)
    resolution_target_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_warning_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution_met: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)

    queue: Mapped[Queue] = relationship(lazy="joined", innerjoin=True)
    case_type: Mapped[CaseType | None] = relationship(lazy="joined")
    timeline: WriteOnlyMapped["TimelineEntry"] = relationship(order_by="TimelineEntry.at")
    comments: WriteOnlyMapped["CaseComment"] = relationship(order_by="CaseComment.created_at")
    tasks: WriteOnlyMapped["CaseTask"] = relationship(order_by="CaseTask.created_at")

    __mapper_args__ = {"version_id_col": version}

    @property
    def sla(self) -> SlaClock:
        """The SLA clock (services/cases/sla/clock.py), read from its columns."""
        return SlaClock(*(getattr(self, column) for column in SLA_COLUMNS))

    @sla.setter
    def sla(self, clock: SlaClock) -> None:
        for column, value in zip(SLA_COLUMNS, astuple(clock)):
            if getattr(self, column) != value:
                setattr(self, column, value)

    @validates("priority")
    def _rank_priority(self, _key, value: str) -> str:
        self.priority_rank = PRIORITY_RANK[value]
        return value

    # -- who may do what ------------------------------------------------------------------------
    @property
    def is_draft(self) -> bool:
        """Saved but never dispatched: only its initiator holds it, and it may be cancelled."""
        return self.status == OPEN and self.dispatched_at is None

    @property
    def is_in_work(self) -> bool:
        """Open and held by a back-office agent (accepted from a queue), not by its initiator."""
        return self.status == OPEN and self.dispatched_at is not None and self.owner_id != self.initiator_id

    def roles_of(self, *, user_id: uuid.UUID, queue_codes, permissions) -> frozenset[str]:
        """The caller's relations to this case; a queue's supervisor or anyone who manages queues
        supervises it."""
        roles = set()
        if user_id == self.initiator_id:
            roles.add(INITIATOR)
        if self.owner_id is not None and user_id == self.owner_id:
            roles.add(OWNER)
        if self.queue.code in queue_codes:
            roles.add(MEMBER)
        if self.queue.supervisor_id == user_id or "manage_queues" in permissions:
            roles.add(SUPERVISOR)
        return frozenset(roles)

    def allowed_actions(self, roles: frozenset[str]) -> list[str]:
        """The state table: what a user with these roles may do with the case now."""
        allowed: set[str] = set()
        if self.status == OPEN:
            if OWNER in roles:
                allowed |= {"save", "dispatch", "close"}
                if self.is_draft:
                    allowed.add("cancel")
            if self.is_in_work:
                if roles & {OWNER, SUPERVISOR}:
                    allowed.add("reject")
                if SUPERVISOR in roles:
                    allowed.add("assign")
        elif self.status == OPEN_DISPATCH:
            if self.owner_id is None and MEMBER in roles:
                allowed.add("take")
            if SUPERVISOR in roles:
                allowed |= {"assign", "reject"}
            if OWNER in roles:
                allowed |= {"accept", "reject"}
        elif self.status == OPEN_REJECT:
            if OWNER in roles:
                allowed |= {"save", "dispatch", "close"}
        elif self.status == CLOSED:
            if not self.is_cancelled and roles & {INITIATOR, OWNER, SUPERVISOR}:
                allowed.add("reopen")
        return [action for action in ACTIONS if action in allowed]

    def require(self, action: str, roles: frozenset[str]) -> None:
        allowed = self.allowed_actions(roles)
        if action not in allowed:
            raise TransitionNotAllowed(
                f"You cannot {action} case {self.number} in status '{self.status}'.",
                case_status=self.status, action=action, allowed_actions=allowed)

    # -- snapshot, timeline -----------------------------------------------------------------------
    def snapshot(self) -> dict:
        """What every case event carries (consumers such as notify_queue_members read it)."""
        return {
            "id": self.id, "number": self.number, "subject": self.subject, "priority": self.priority,
            "status": self.status,
            "type": ({"id": self.case_type.id, "code": self.case_type.code, "name": self.case_type.name}
                     if self.case_type else None),
            "customer": {"id": self.customer_id, "code": self.customer_code, "name": self.customer_name,
                         "line": self.line_number},
            "queue": {"id": self.queue.id, "code": self.queue.code, "name": self.queue.name,
                      "department_id": self.queue.department_id, "supervisor_id": self.queue.supervisor_id},
            "interaction_id": self.interaction_id,
            "attachment_ids": [uuid.UUID(item["id"]) for item in self.attachments or []],
            "initiator_id": self.initiator_id, "owner_id": self.owner_id,
            "created_at": self.created_at, "dispatched_at": self.dispatched_at,
            "acceptance_due_at": self.acceptance_due_at, "resolution_due_at": self.resolution_due_at,
        }

    def log(self, action: str, *, actor: uuid.UUID | None, at: datetime, status_from: str | None = None,
            detail: dict | None = None, changes_case: bool = True) -> "TimelineEntry":
        """One timeline line, timed after every earlier one of the case. ``changes_case`` is False
        for comments and tasks, which leave the case's row (and its version) alone."""
        last = max(filter(None, (self.last_logged_at, self.__dict__.get("_last_logged_at"))), default=None)
        if last is not None and at <= last:
            at = last + timedelta(microseconds=1)
        self.__dict__["_last_logged_at"] = at
        if changes_case:
            self.last_logged_at = at
        entry = TimelineEntry(
            id=uuid.uuid4(), case_id=self.id, at=at, actor_id=actor, action=action,
            status_from=status_from, status_to=self.status, detail=detail or {},
            queue_id=self.queue_id if self.dispatched_at is not None else None)
        session = object_session(self)
        if session is not None:  # (a write-only collection builds a query each time it is touched)
            session.add(entry)
        else:  # a new case: the line follows it into the session
            self.timeline.add(entry)
        return entry

    # -- actions ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, *, principal: Principal, customer: CustomerReadModel, subject: str, at: datetime,
             numbering: Callable[[int], str], case_type: CaseType | None = None, queue: Queue | None = None,
             priority: str | None = None, line: str | None = None, description: str = "",
             interaction_id: uuid.UUID | None = None, attachments: list | None = None,
             custom_fields: dict | None = None) -> "Case":
        """A new case (Open, owner = its initiator) for a known customer or the prospect "0"; the form
        may still be incomplete (a draft). Its queue is the one chosen, or its type's queue refined by
        the type's routing rules; its priority the one given or the type's default. The number comes
        from the yearly sequence (``numbering(year)``) once the case is known to be valid, so the
        counter's lock is held briefly. ``attachments`` are the references of the customer's files
        the use case resolved (CustomerAttachmentReadModel.reference). Emits case.created.v1.
        Raises InvalidFields."""
        priority = priority or (case_type.default_priority if case_type else "normal")
        if queue is not None:
            chosen = True
        elif case_type is not None:
            queue, chosen = case_type.route(routing_facts(customer, priority=priority, line=line)), False
        else:
            raise InvalidFields({"type": ["Choose a case type or a queue."],
                                 "queue": ["Choose a case type or a queue."]})
        custom_fields = clean_custom_fields(case_type, custom_fields or {})
        case = cls(
            id=uuid.uuid4(), number=numbering(at.year), subject=subject, description=description, status=OPEN,
            priority=priority, case_type=case_type, queue=queue, is_queue_chosen=chosen,
            customer_id=customer.id, customer_code=customer.code, customer_name=customer.name, line_number=line,
            interaction_id=interaction_id, attachments=attachments or [], custom_fields=custom_fields,
            initiator_id=principal.user_id, owner_id=principal.user_id, branch_id=principal.branch_id,
            department_id=principal.department_id, created_at=at,
        )
        case.record_event("case.created.v1", case.snapshot())
        case.log("created", actor=principal.user_id, at=at, detail={"queue": queue.code, "priority": priority})
        return case

    def save(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, changes: dict,
             customer: CustomerReadModel | None = None) -> list[str]:
        """Change the case (Open or Open-Reject, by its owner). ``changes`` holds its own fields
        (subject, description, priority, line_number, interaction_id, attachments) and, resolved
        by the use case, ``case_type`` (a CaseType or None), ``queue`` (a Queue chosen by hand, or
        None: let the type route it) and ``custom_fields`` (merged into the values kept by the type's
        form). A case whose queue was not chosen by hand is routed again by its type, with its
        ``customer``'s region and line status. Emits case.saved.v1. Raises InvalidFields."""
        self.require("save", roles)
        changes = dict(changes)
        case_type = changes.get("case_type", self.case_type)
        chosen = self.is_queue_chosen
        if "queue" in changes:
            chosen = changes["queue"] is not None
            if not chosen:
                del changes["queue"]
                if case_type is None:
                    raise InvalidFields({"queue": ["A case without a type needs a queue."]})
            changes["is_queue_chosen"] = chosen
        if not chosen and case_type is not None:
            changes["queue"] = case_type.route(routing_facts(
                customer, priority=changes.get("priority", self.priority),
                line=changes.get("line_number", self.line_number)))
        if "custom_fields" in changes or "case_type" in changes:
            kept_names = {item["name"] for item in (case_type.form if case_type else [])}
            kept = {name: value for name, value in (self.custom_fields or {}).items() if name in kept_names}
            changes["custom_fields"] = kept | clean_custom_fields(case_type, changes.get("custom_fields") or {})
        changed = {}
        for key, value in changes.items():
            old = getattr(self, key)
            if old != value:
                changed[key] = value
                setattr(self, key, value)
        names = sorted(key.removesuffix("_id") if key in ("queue_id", "case_type_id") else key for key in changed)
        if changed:
            self.record_event("case.saved.v1", self.snapshot() | {"changed": names, "saved_by": by})
            self.log("saved", actor=by, at=at, status_from=self.status, detail={"changed": names})
        return names

    def dispatch(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime) -> None:
        """Open or Open-Reject -> Open Dispatch: the case waits in its queue. Refused while its
        form misses required fields. Starts the SLA clock (or resumes it after a return) on its
        queue's calendar, with its queue's targets for its priority. Emits case.dispatched.v1.
        Raises TransitionNotAllowed, FormIncomplete."""
        self.require("dispatch", roles)
        missing = self.missing_fields()
        if missing:
            raise FormIncomplete(
                "Fill in: " + ", ".join(item["label"] for item in missing) + ".",
                missing_fields=missing,
                errors={f"custom_fields.{item['name']}": ["Required before dispatching."] for item in missing})
        status_from = self.status
        self.status, self.owner_id, self.dispatched_at, self.assigned_at = OPEN_DISPATCH, None, at, None
        self.reject_reason = None if status_from == OPEN_REJECT else self.reject_reason
        self.sla = self.sla.dispatched(at=at, calendar=self.queue.business_calendar(),
                                       targets=self.queue.sla_targets(self.priority))
        self.record_event("case.dispatched.v1", self.snapshot() | {"dispatched_by": by})
        self.log("dispatched", actor=by, at=at, status_from=status_from,
                 detail={"queue": self.queue.code, "priority": self.priority})

    def cancel(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime) -> None:
        """Cancel a draft created by mistake (seed 004's "Cancel"): it closes as cancelled, keeping
        its number so the yearly sequence has no gaps. Emits case.cancelled.v1."""
        self.require("cancel", roles)
        self.status, self.is_cancelled, self.closed_at = CLOSED, True, at
        self.resolution = "Cancelled by the initiator."
        self.record_event("case.cancelled.v1", self.snapshot() | {"cancelled_by": by})
        self.log("cancelled", actor=by, at=at, status_from=OPEN)

    def take(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, how: str = "take_next") -> None:
        """A queue member takes the case (still Open Dispatch, now in their folder): the next one
        (``how`` take_next) or one they chose (take). Emits case.assigned.v1 with ``how``."""
        self.require("take", roles)
        self.owner_id, self.assigned_at = by, at
        self.record_event("case.assigned.v1", self.snapshot() | {
            "assignee_id": by, "assigned_by": by, "how": how})
        self.log("taken", actor=by, at=at, status_from=OPEN_DISPATCH, detail={"assignee_id": str(by)})

    def assign(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, assignee_id: uuid.UUID) -> None:
        """The supervisor gives the case to a member (Open Dispatch stays; an accepted case changes
        hands). Emits case.assigned.v1 with how=supervisor."""
        self.require("assign", roles)
        previous = self.owner_id
        self.owner_id, self.assigned_at = assignee_id, at
        self.record_event("case.assigned.v1", self.snapshot() | {
            "assignee_id": assignee_id, "assigned_by": by, "previous_owner_id": previous, "how": "supervisor"})
        self.log("assigned", actor=by, at=at, status_from=self.status,
                 detail={"assignee_id": str(assignee_id), "previous_owner_id": str(previous) if previous else None})

    def change_priority(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, priority: str) -> bool:
        """The queue's supervisor changes the priority of a case in the queue (Open Dispatch) or in
        work: take-next orders by it and the SLA targets of the new priority apply from the first
        dispatch (a target already met or breached stays decided). Returns whether it changed.
        Emits case.saved.v1 with changed=["priority"]. Raises TransitionNotAllowed."""
        if SUPERVISOR not in roles or not (self.status == OPEN_DISPATCH or self.is_in_work):
            raise TransitionNotAllowed(
                f"Only the queue's supervisor changes the priority of case {self.number}, while it is in the "
                f"queue or in work.", case_status=self.status, action="change_priority",
                allowed_actions=self.allowed_actions(roles))
        if priority == self.priority:
            return False
        previous, self.priority = self.priority, priority
        self.sla = self.sla.reprioritized(calendar=self.queue.business_calendar(),
                                          targets=self.queue.sla_targets(priority))
        self.record_event("case.saved.v1", self.snapshot() | {"changed": ["priority"], "saved_by": by})
        self.log("priority_changed", actor=by, at=at, status_from=self.status,
                 detail={"from": previous, "to": priority})
        return True

    def release_claim(self, *, at: datetime) -> None:
        """Taken or assigned and not accepted within the queue's claim time: back to the queue
        (Open Dispatch, no owner), so the work is not stranded on an agent who left.
        Emits case.claim_expired.v1."""
        previous, claimed_at = self.owner_id, self.assigned_at
        self.owner_id, self.assigned_at = None, None
        self.record_event("case.claim_expired.v1", self.snapshot() | {
            "previous_owner_id": previous, "claimed_at": claimed_at, "claim_minutes": self.queue.claim_minutes})
        self.log("claim_expired", actor=None, at=at, status_from=OPEN_DISPATCH,
                 detail={"previous_owner_id": str(previous), "claim_minutes": self.queue.claim_minutes})

    def accept(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime) -> None:
        """Open Dispatch -> Open, owner = the agent. Decides the acceptance SLA. Emits case.accepted.v1."""
        self.require("accept", roles)
        self._leave_queue(at)
        self.status, self.owner_id, self.accepted_at = OPEN, by, at
        if self.first_accepted_at is None:
            self.first_accepted_at = at
        self.sla = self.sla.accepted(at=at)
        self.record_event("case.accepted.v1", self.snapshot() | {"accepted_by": by})
        self.log("accepted", actor=by, at=at, status_from=OPEN_DISPATCH,
                 detail={"acceptance_met": self.acceptance_met})

    def reject(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, reason: str) -> None:
        """Return the case to its initiator with a reason (-> Open-Reject, owner = initiator); the
        SLA clock pauses until it is dispatched again. Emits case.rejected.v1."""
        self.require("reject", roles)
        status_from = self.status
        if status_from == OPEN_DISPATCH:
            self._leave_queue(at)
        self.status, self.owner_id, self.reject_reason, self.returned_at = OPEN_REJECT, self.initiator_id, reason, at
        self.sla = self.sla.returned(at=at)
        self.record_event("case.rejected.v1", self.snapshot() | {"reason": reason, "rejected_by": by})
        self.log("rejected", actor=by, at=at, status_from=status_from, detail={"reason": reason})

    def close(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, resolution: str) -> None:
        """Done, with a resolution (-> Closed). Decides the resolution SLA. Emits case.closed.v1."""
        self.require("close", roles)
        status_from = self.status
        self.sla = self.sla.closed(at=at)
        self.status, self.closed_at, self.resolution = CLOSED, at, resolution
        self.record_event("case.closed.v1", self.snapshot() | {"resolution": resolution, "closed_by": by})
        self.log("closed", actor=by, at=at, status_from=status_from,
                 detail={"resolution": resolution, "resolution_met": self.resolution_met})

    def reopen(self, *, roles: frozenset[str], by: uuid.UUID, at: datetime, reason: str) -> None:
        """Closed -> Open with the last owner; the SLA clock runs again on its queue's calendar (the
        time closed does not count). Emits case.reopened.v1."""
        self.require("reopen", roles)
        self.status, self.closed_at, self.resolution = OPEN, None, None
        self.sla = self.sla.reopened(at=at, calendar=self.queue.business_calendar())
        self.record_event("case.reopened.v1", self.snapshot() | {"reason": reason, "reopened_by": by})
        self.log("reopened", actor=by, at=at, status_from=CLOSED, detail={"reason": reason})

    def comment(self, *, by: uuid.UUID, at: datetime, body: str) -> "CaseComment":
        """Anyone who reaches the case may comment, in any status. Emits case.commented.v1."""
        comment = CaseComment(id=uuid.uuid4(), case_id=self.id, author_id=by, body=body, created_at=at)
        self.comments.add(comment)
        self.record_event("case.commented.v1", self.snapshot() | {
            "comment_id": comment.id, "author_id": by, "body": body})
        self.log("commented", actor=by, at=at, status_from=self.status, detail={"comment_id": str(comment.id)},
                 changes_case=False)
        return comment

    # -- tasks ------------------------------------------------------------------------------------
    def require_task_access(self, roles: frozenset[str]) -> None:
        """Tasks are kept by the case's initiator, owner, queue members and supervisor."""
        if not roles & TASK_ROLES:
            raise Forbidden("Tasks are kept by the case's initiator, owner, queue members and supervisor.")

    def add_task(self, *, by: uuid.UUID, at: datetime, title: str, assignee_id: uuid.UUID | None,
                 due_at: datetime | None, blocked_by: "CaseTask | None") -> "CaseTask":
        """A task inside the case (seed 002: no billing training before the migration is done).
        Emits case.task_assigned.v1 when it has an assignee."""
        if self.status == CLOSED:
            raise CaseClosed(f"Case {self.number} is closed; reopen it to add tasks.")
        task = CaseTask(id=uuid.uuid4(), case_id=self.id, title=title, assignee_id=assignee_id, due_at=due_at,
                        blocked_by=blocked_by, created_by=by, created_at=at, is_done=False)
        self.tasks.add(task)
        self.log("task_added", actor=by, at=at, status_from=self.status,
                 detail={"task_id": str(task.id), "title": title}, changes_case=False)
        if assignee_id is not None:
            self._task_assigned(task, by=by, at=at)
        return task

    def change_task(self, task: "CaseTask", *, by: uuid.UUID, at: datetime, changes: dict) -> None:
        """Change a task's title, assignee, due date or blocker (``changes["blocked_by"]``: a task of
        the case or None), never into a circle of tasks waiting for each other. Emits
        case.task_assigned.v1 on a new assignee. Raises TaskDependencyCycle, CaseClosed."""
        changes = dict(changes)
        blocker_changed = "blocked_by" in changes
        blocker = changes.pop("blocked_by", None)
        if blocker_changed and task.would_cycle(blocker):
            raise TaskDependencyCycle(f"'{task.title}' cannot wait for a task that waits for it.")
        if self.status == CLOSED:
            raise CaseClosed(f"Case {self.number} is closed; reopen it to change tasks.")
        if blocker_changed:
            changes["blocked_by_id"] = blocker.id if blocker else None
            task.blocked_by = blocker
        reassigned = "assignee_id" in changes and changes["assignee_id"] != task.assignee_id
        changed = sorted(key for key, value in changes.items() if getattr(task, key) != value)
        for key in changed:
            setattr(task, key, changes[key])
        if changed:
            self.log("task_changed", actor=by, at=at, status_from=self.status,
                     detail={"task_id": str(task.id), "changed": changed}, changes_case=False)
        if reassigned and task.assignee_id is not None:
            self._task_assigned(task, by=by, at=at)

    def complete_task(self, task: "CaseTask", *, roles: frozenset[str], by: uuid.UUID, at: datetime) -> None:
        """Mark a task done, by its assignee or the case's people; refused while the task that blocks
        it is not done. Emits case.task_completed.v1. Raises Forbidden, CaseClosed, TaskBlocked."""
        if task.assignee_id != by and not roles & TASK_ROLES:
            raise Forbidden("Only the task's assignee or the case's people may complete it.")
        if self.status == CLOSED:
            raise CaseClosed(f"Case {self.number} is closed; reopen it to change tasks.")
        if task.blocked_by is not None and not task.blocked_by.is_done:
            raise TaskBlocked(f"'{task.title}' waits for '{task.blocked_by.title}' to be done.",
                              blocked_by_id=str(task.blocked_by.id))
        if task.is_done:
            return
        task.is_done, task.done_at, task.done_by = True, at, by
        self.record_event("case.task_completed.v1", self.snapshot() | {"task": task.snapshot(), "completed_by": by})
        self.log("task_done", actor=by, at=at, status_from=self.status,
                 detail={"task_id": str(task.id), "title": task.title}, changes_case=False)

    def _task_assigned(self, task: "CaseTask", *, by: uuid.UUID, at: datetime) -> None:
        self.record_event("case.task_assigned.v1", self.snapshot() | {"task": task.snapshot(), "assigned_by": by})
        self.log("task_assigned", actor=by, at=at, status_from=self.status,
                 detail={"task_id": str(task.id), "assignee_id": str(task.assignee_id)}, changes_case=False)

    # -- SLA --------------------------------------------------------------------------------------
    def mark_sla(self, kind: str, stage: str, *, at: datetime) -> None:
        """Called by the periodic check when a precomputed instant has passed.
        ``stage`` "warning" emits case.sla_warned.v1; "breach" emits case.sla_breached.v1 and
        escalates to the queue's supervisor with case.escalated.v1."""
        due = self.sla.due_at(kind)
        self.sla = self.sla.marked(kind, stage, at=at)
        if stage == WARNING:
            self.record_event("case.sla_warned.v1", self.snapshot() | {"kind": kind, "due_at": due})
            self.log("sla_warning", actor=None, at=at, status_from=self.status,
                     detail={"kind": kind, "due_at": due.isoformat()})
            return
        self.record_event("case.sla_breached.v1", self.snapshot() | {"kind": kind, "due_at": due})
        self.log("sla_breached", actor=None, at=at, status_from=self.status,
                 detail={"kind": kind, "due_at": due.isoformat()})
        supervisor = self.queue.supervisor_id
        self.record_event("case.escalated.v1", self.snapshot() | {
            "kind": kind, "supervisor_id": supervisor, "reason": f"{kind} target breached"})
        self.log("escalated", actor=None, at=at, status_from=self.status,
                 detail={"kind": kind, "supervisor_id": str(supervisor) if supervisor else None})

    def _leave_queue(self, at: datetime) -> None:
        if self.dispatched_at is not None:
            self.queue_seconds = (self.queue_seconds or 0.0) + max((at - self.dispatched_at).total_seconds(), 0.0)

    # -- ages -------------------------------------------------------------------------------------
    def age_seconds(self, now: datetime) -> float:
        return max(((self.closed_at or now) - self.created_at).total_seconds(), 0.0)

    def queue_age_seconds(self, now: datetime) -> float:
        """Time spent waiting in queues (seed 004's "age"), including the current wait."""
        waiting = (now - self.dispatched_at).total_seconds() if self.status == OPEN_DISPATCH else 0.0
        return (self.queue_seconds or 0.0) + max(waiting, 0.0)

    def missing_fields(self) -> list[dict]:
        return self.case_type.missing_fields(self.custom_fields or {}) if self.case_type else []


def waiting_condition():
    """Cases that wait in a queue for someone to take them: the partial index's predicate, with the
    status written as a literal so PostgreSQL can match the index whatever the bound parameters."""
    return and_(Case.status == literal_column(f"'{OPEN_DISPATCH}'"), Case.owner_id.is_(None))


def breached_open_condition():
    """Open cases that missed a target: the partial index's predicate, with the status written as a
    literal (see waiting_condition)."""
    return and_(Case.status != literal_column(f"'{CLOSED}'"),
                or_(Case.acceptance_met.is_(False), Case.resolution_met.is_(False)))


def acceptance_decided_at():
    """When a case's acceptance target was decided: breached, or else accepted."""
    return func.coalesce(Case.acceptance_breached_at, Case.first_accepted_at)


def resolution_decided_at():
    """When a case's resolution target was decided: breached, or else closed."""
    return func.coalesce(Case.resolution_breached_at, Case.closed_at)


def case_search_text(subject: str | None, customer_name: str | None, custom_fields: dict | None) -> str:
    """What the case search (``q``) looks in: the subject, the customer's name and the form's values."""
    return search_text(subject, customer_name, *(custom_fields or {}).values())


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _keep_search_text(_mapper, _connection, case: Case) -> None:
    case.search_text = case_search_text(case.subject, case.customer_name, case.custom_fields)


# Partial words anywhere in the folded text (services.kit.text.matches), from trigrams on PostgreSQL.
Index("ix_cases_search_text_trgm", Case.search_text, postgresql_using="gin",
      postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
# Take next: highest priority, then the oldest dispatch, among the cases nobody holds yet.
Index("ix_cases_waiting", Case.priority_rank, Case.dispatched_at, Case.id,
      postgresql_where=waiting_condition(), sqlite_where=waiting_condition())
# A queue's oldest and median wait (queue statistics and snapshots).
Index("ix_cases_waiting_by_queue", Case.queue_id, Case.dispatched_at,
      postgresql_where=waiting_condition(), sqlite_where=waiting_condition())
# A queue's open breaches, and its targets decided in a window (queue statistics): read from these
# rather than from every case the queue ever had.
Index("ix_cases_breached_open", Case.queue_id,
      postgresql_where=breached_open_condition(), sqlite_where=breached_open_condition())
Index("ix_cases_acceptance_decided", Case.queue_id, acceptance_decided_at(),
      postgresql_where=Case.acceptance_met.is_not(None), sqlite_where=Case.acceptance_met.is_not(None))
Index("ix_cases_resolution_decided", Case.queue_id, resolution_decided_at(),
      postgresql_where=Case.resolution_met.is_not(None), sqlite_where=Case.resolution_met.is_not(None))

from services.cases.surveys import CaseSurvey  # noqa: E402,F401 - survey answers' table in Base.metadata
