"""Rules of the cases service that a request can break."""
from services.kit.problems import Conflict, DomainError, Forbidden, NotFound


class CaseNotFound(NotFound):
    type, title = "case-not-found", "Case not found"


class QueueNotFound(NotFound):
    type, title = "queue-not-found", "Queue not found"


class CaseTypeNotFound(NotFound):
    type, title = "case-type-not-found", "Case type not found"


class CalendarNotFound(NotFound):
    type, title = "calendar-not-found", "Calendar not found"


class RoutingRuleNotFound(NotFound):
    type, title = "routing-rule-not-found", "Routing rule not found"


class TaskNotFound(NotFound):
    type, title = "task-not-found", "Task not found"


class QueueCodeTaken(Conflict):
    type, title = "queue-code-taken", "The queue code is taken"


class CaseTypeCodeTaken(Conflict):
    type, title = "case-type-code-taken", "The case type code is taken"


class CalendarCodeTaken(Conflict):
    type, title = "calendar-code-taken", "The calendar code is taken"


class TransitionNotAllowed(Conflict):
    """Carries ``allowed_actions``: what this user may do with the case in its status."""

    type, title = "transition-not-allowed", "This action is not allowed in the case's status"


class FormIncomplete(DomainError):
    """Carries ``missing_fields`` (name and label of each required field left empty)."""

    type, status, title = "form-incomplete", 422, "Fill in the required fields before dispatching"


class TaskBlocked(Conflict):
    type, title = "task-blocked", "The task is blocked by another task that is not done"


class TaskDependencyCycle(DomainError):
    type, status, title = "task-dependency-cycle", 422, "Tasks cannot block each other in a circle"


class CaseClosed(Conflict):
    type, title = "case-closed", "The case is closed"


class NotQueueMember(Forbidden):
    type, title = "not-queue-member", "You are not a member of this queue"

