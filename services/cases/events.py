"""Events the cases service emits (routing key = name), each with its payload schema.

Every case event's data is the case snapshot (models.Case.snapshot, :class:`CaseSnapshot`) plus
the keys its own schema adds: who acted, and what the action was about.
"""
from __future__ import annotations

from services.cases.case_types.forms import FIELD_TYPES
from services.cases.models import PRIORITIES, SLA_KINDS, STATUSES
from services.kit.contracts import Event, Payload, declare, fields, validate


# -- queues and case types ------------------------------------------------------------------------
class QueueSnapshot(Payload):
    """A department queue."""

    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    department_id = fields.UUID(required=True, allow_none=True)
    supervisor_id = fields.UUID(required=True, allow_none=True)
    calendar_id = fields.UUID(required=True, allow_none=True)
    claim_minutes = fields.Integer(required=True, allow_none=True,
                                   metadata={"description": "null: a claim never expires"})


class QueueUpdated(QueueSnapshot):
    """The queue after the change, and what changed."""

    changed = fields.List(fields.String(), required=True, metadata={
        "description": "field names (name, department_id, supervisor_id, calendar_id, claim_minutes, sla_policies)"})


class QueueRef(Payload):
    id = fields.UUID(required=True)
    code = fields.String(required=True)


class FormField(Payload):
    """One field of a case type's form."""

    name = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(required=True)
    choices = fields.List(fields.String(), allow_none=True)
    max_length = fields.Integer(allow_none=True)


class CaseTypeSnapshot(Payload):
    """A case type: its queue, default priority and form."""

    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    default_priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    queue = fields.Nested(QueueRef, required=True)
    is_active = fields.Boolean(required=True)
    form = fields.List(fields.Nested(FormField), required=True)


class CaseTypeUpdated(CaseTypeSnapshot):
    """The case type after the change; ``changed`` is ["routing_rules"] when its rules changed."""

    changed = fields.List(fields.String())


# -- cases ----------------------------------------------------------------------------------------
class CaseTypeRef(Payload):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class CaseCustomer(Payload):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    line = fields.String(required=True, allow_none=True, metadata={"description": "the line's number"})


class CaseQueue(Payload):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    department_id = fields.UUID(required=True, allow_none=True)
    supervisor_id = fields.UUID(required=True, allow_none=True)


class CaseSnapshot(Payload):
    """What every case event carries."""

    id = fields.UUID(required=True)
    number = fields.String(required=True)
    subject = fields.String(required=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    type = fields.Nested(CaseTypeRef, required=True, allow_none=True)
    customer = fields.Nested(CaseCustomer, required=True)
    queue = fields.Nested(CaseQueue, required=True)
    interaction_id = fields.UUID(required=True, allow_none=True)
    attachment_ids = fields.List(fields.UUID(), required=True, metadata={
        "description": "the customer's files the case carries by reference (the customers service's attachment "
                       "ids: those of its interaction, or papers on the account)"})
    initiator_id = fields.UUID(required=True)
    owner_id = fields.UUID(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    dispatched_at = fields.AwareDateTime(required=True, allow_none=True)
    acceptance_due_at = fields.AwareDateTime(required=True, allow_none=True)
    resolution_due_at = fields.AwareDateTime(required=True, allow_none=True)


def _case_event(name: str, doc: str, **extra) -> type[Payload]:
    """The case snapshot plus the event's own keys."""
    return type(name, (CaseSnapshot,), {"__doc__": doc, **extra})


def _actor(description: str) -> fields.UUID:
    return fields.UUID(required=True, metadata={"description": description})


class TaskSnapshot(Payload):
    """A task of the case."""

    id = fields.UUID(required=True)
    title = fields.String(required=True)
    assignee_id = fields.UUID(required=True, allow_none=True)
    due_at = fields.AwareDateTime(required=True, allow_none=True)
    is_done = fields.Boolean(required=True)
    blocked_by_id = fields.UUID(required=True, allow_none=True)


SLA_KIND = fields.String(required=True, validate=validate.OneOf(SLA_KINDS))

CaseCreated = _case_event("CaseCreated", "The case snapshot.")
CaseSaved = _case_event("CaseSaved", "The case snapshot, what changed and who saved it.",
                        changed=fields.List(fields.String(), required=True), saved_by=_actor("the owner, or the supervisor who changed the priority"))
CaseDispatched = _case_event("CaseDispatched", "The case snapshot and who dispatched it.",
                             dispatched_by=_actor("the owner who sent it to the queue"))
CaseCancelled = _case_event("CaseCancelled", "The case snapshot and who cancelled it.",
                            cancelled_by=_actor("the initiator"))
CaseAssigned = _case_event(
    "CaseAssigned", "The case snapshot, the new owner, who gave it and how.",
    assignee_id=fields.UUID(required=True), assigned_by=_actor("the agent (take-next or take) or the supervisor"),
    how=fields.String(required=True, validate=validate.OneOf(("take_next", "take", "supervisor"))),
    previous_owner_id=fields.UUID(allow_none=True, metadata={"description": "sent when a supervisor assigns"}))
CaseClaimExpired = _case_event(
    "CaseClaimExpired", "The case snapshot (back in the queue, no owner) and the claim that expired.",
    previous_owner_id=fields.UUID(required=True, allow_none=True),
    claimed_at=fields.AwareDateTime(required=True, allow_none=True),
    claim_minutes=fields.Integer(required=True, allow_none=True))
CaseAccepted = _case_event("CaseAccepted", "The case snapshot (owner = the agent).", accepted_by=_actor("the agent"))
CaseRejected = _case_event("CaseRejected", "The case snapshot (owner = the initiator) and why it came back.",
                           reason=fields.String(required=True), rejected_by=_actor("the agent or supervisor"))
CaseClosed = _case_event("CaseClosed", "The case snapshot and its resolution.",
                         resolution=fields.String(required=True), closed_by=_actor("who closed it"))
CaseReopened = _case_event("CaseReopened", "The case snapshot (Open, last owner) and why it was reopened.",
                           reason=fields.String(required=True), reopened_by=_actor("who reopened it"))
CaseCommented = _case_event("CaseCommented", "The case snapshot and the comment.",
                            comment_id=fields.UUID(required=True), author_id=_actor("the comment's author"),
                            body=fields.String(required=True))
CaseTaskAssigned = _case_event("CaseTaskAssigned", "The case snapshot and the task that got an assignee.",
                               task=fields.Nested(TaskSnapshot, required=True), assigned_by=_actor("who assigned it"))
CaseTaskCompleted = _case_event("CaseTaskCompleted", "The case snapshot and the task that was done.",
                                task=fields.Nested(TaskSnapshot, required=True), completed_by=_actor("who did it"))
CaseSlaWarned = _case_event("CaseSlaWarned", "The case snapshot, which target and when it is due.",
                            kind=SLA_KIND, due_at=fields.AwareDateTime(required=True))
CaseSlaBreached = _case_event("CaseSlaBreached", "The case snapshot, which target was missed and when it was due.",
                              kind=SLA_KIND, due_at=fields.AwareDateTime(required=True))
CaseEscalated = _case_event("CaseEscalated", "The case snapshot, the breached target and the supervisor told.",
                            kind=SLA_KIND, supervisor_id=fields.UUID(required=True, allow_none=True),
                            reason=fields.String(required=True))

EMITTED = declare(
    "cases",
    Event("queue.created.v1", "A department queue was created.", QueueSnapshot),
    Event("queue.updated.v1", "A queue changed (name, department, supervisor, calendar, claim time or SLA "
                              "targets).", QueueUpdated),
    Event("case_type.created.v1", "A case type was created.", CaseTypeSnapshot),
    Event("case_type.updated.v1", "A case type or its routing rules changed.", CaseTypeUpdated),
    Event("case.created.v1", "A case was saved (Open, owner = initiator).", CaseCreated),
    Event("case.saved.v1", "An Open or Open-Reject case was changed by its owner, or the priority of a case in the "
                            "queue or in work by the queue's supervisor.", CaseSaved),
    Event("case.dispatched.v1", "A case was sent to its queue (Open Dispatch).", CaseDispatched),
    Event("case.cancelled.v1", "A draft was cancelled (Closed, cancelled).", CaseCancelled),
    Event("case.assigned.v1", "A case was given to an agent, by take-next or by the supervisor.", CaseAssigned),
    Event("case.claim_expired.v1", "A case taken or assigned was not accepted within its queue's claim_minutes "
                                   "and went back to the queue (Open Dispatch, no owner).", CaseClaimExpired),
    Event("case.accepted.v1", "The agent accepted the case (Open, owner = agent).", CaseAccepted),
    Event("case.rejected.v1", "The case was returned to its initiator (Open-Reject).", CaseRejected),
    Event("case.closed.v1", "The case was closed.", CaseClosed),
    Event("case.reopened.v1", "A closed case was reopened (Open, last owner).", CaseReopened),
    Event("case.commented.v1", "A comment was added.", CaseCommented),
    Event("case.task_assigned.v1", "A task of the case got an assignee.", CaseTaskAssigned),
    Event("case.task_completed.v1", "A task of the case was done.", CaseTaskCompleted),
    Event("case.sla_warned.v1", "A case used most of an SLA target (warning_percent); for the owner and the "
                                "supervisor.", CaseSlaWarned),
    Event("case.sla_breached.v1", "A case missed an SLA target.", CaseSlaBreached),
    Event("case.escalated.v1", "A breached case was escalated to its queue's supervisor.", CaseEscalated),
)
