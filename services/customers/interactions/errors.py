"""Rules of interactions and their catalogues that a request can break."""
from services.kit.problems import Conflict, Forbidden, InvalidFields, NotFound


class InteractionNotFound(NotFound):
    type, title = "interaction-not-found", "Interaction not found"


class InteractionClosed(Conflict):
    type, title = "interaction-closed", "The interaction is closed"


class ReasonRequired(InvalidFields):
    type, title = "reason-required", "Choose a reason before closing the interaction"


class NotReachedKeepsOnlyTheAttempt(InvalidFields):
    type, title = "not-reached-keeps-only-the-attempt", "A customer not reached leaves only the attempt"


class CatalogueEntryNotFound(NotFound):
    type, title = "catalogue-entry-not-found", "No such reason, macro, article or point of contact"


class CatalogueAdministratorsOnly(Forbidden):
    type, title = "catalogue-administrators-only", "Only level 1 administers the interaction catalogues"


class FollowupNotFound(NotFound):
    type, title = "followup-not-found", "Follow-up not found"


class FollowupCancelled(Conflict):
    type, title = "followup-cancelled", "The follow-up is cancelled"


class NotTheOrganiser(Forbidden):
    type, title = "not-the-organiser", "Only the organiser or a supervisor changes this follow-up"
