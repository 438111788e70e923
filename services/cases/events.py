"""Events the cases service emits (routing key = name)."""

EMITTED = {
    "queue.created.v1": "A department queue was created; data: id, code, name, department_id, supervisor_id.",
    "case.created.v1": "A case was saved (Open); data: the case snapshot.",
    "case.dispatched.v1": "A case was sent to its queue (Open Dispatch); data: the case snapshot, dispatched_by.",
}
