"""Rules of the cases service that a request can break."""
from services.kit.problems import Conflict, NotFound


class CaseNotFound(NotFound):
    type, title = "case-not-found", "Case not found"


class QueueNotFound(NotFound):
    type, title = "queue-not-found", "Queue not found"


class QueueCodeTaken(Conflict):
    type, title = "queue-code-taken", "The queue code is taken"


class TransitionNotAllowed(Conflict):
    type, title = "transition-not-allowed", "This action is not allowed in the case's status"
