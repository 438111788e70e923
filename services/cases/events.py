"""Events the cases service emits (routing key = name).

Every case event's data is the case snapshot (models.Case.snapshot): id, number, subject,
priority, status, type{id,code,name}|null, customer{id,code,name,line}, queue{id,code,name,
department_id,supervisor_id}, interaction_id, initiator_id, owner_id, created_at, dispatched_at,
acceptance_due_at, resolution_due_at — plus the keys each event lists below.
"""

EMITTED = {
    "queue.created.v1": "A department queue was created; data: id, code, name, department_id, supervisor_id, "
                        "calendar_id.",
    "queue.updated.v1": "A queue changed (name, department, supervisor, calendar or SLA targets); data: the queue "
                        "snapshot and changed (field names).",
    "case_type.created.v1": "A case type was created; data: id, code, name, default_priority, queue{id,code}, "
                            "is_active, form.",
    "case_type.updated.v1": "A case type or its routing rules changed; data: the case type snapshot (and changed).",
    "case.created.v1": "A case was saved (Open, owner = initiator); data: the case snapshot.",
    "case.saved.v1": "An Open or Open-Reject case was changed by its owner; data: the case snapshot, changed, saved_by.",
    "case.dispatched.v1": "A case was sent to its queue (Open Dispatch); data: the case snapshot, dispatched_by.",
    "case.cancelled.v1": "A draft was cancelled (Closed, cancelled); data: the case snapshot, cancelled_by.",
    "case.assigned.v1": "A case was given to an agent, by take-next or by the supervisor; data: the case snapshot, "
                        "assignee_id, assigned_by, how (take_next | supervisor), previous_owner_id (supervisor).",
    "case.claim_expired.v1": "A case taken or assigned was not accepted within its queue's claim_minutes and went "
                             "back to the queue (Open Dispatch, no owner); data: the case snapshot, "
                             "previous_owner_id, claimed_at, claim_minutes.",
    "case.accepted.v1": "The agent accepted the case (Open, owner = agent); data: the case snapshot, accepted_by.",
    "case.rejected.v1": "The case was returned to its initiator (Open-Reject); data: the case snapshot, reason, "
                        "rejected_by.",
    "case.closed.v1": "The case was closed; data: the case snapshot, resolution, closed_by.",
    "case.reopened.v1": "A closed case was reopened (Open, last owner); data: the case snapshot, reason, reopened_by.",
    "case.commented.v1": "A comment was added; data: the case snapshot, comment_id, author_id, body.",
    "case.task_assigned.v1": "A task of the case got an assignee; data: the case snapshot, task{id,title,assignee_id,"
                             "due_at,is_done,blocked_by_id}, assigned_by.",
    "case.task_completed.v1": "A task of the case was done; data: the case snapshot, task, completed_by.",
    "case.sla_warned.v1": "A case used most of an SLA target (warning_percent); data: the case snapshot, kind "
                          "(acceptance | resolution), due_at. For the owner and the supervisor.",
    "case.sla_breached.v1": "A case missed an SLA target; data: the case snapshot, kind, due_at.",
    "case.escalated.v1": "A breached case was escalated to its queue's supervisor; data: the case snapshot, kind, "
                         "supervisor_id, reason.",
}
