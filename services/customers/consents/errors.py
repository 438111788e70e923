"""Rules of consents and their catalogue that a request can break."""
from services.kit.problems import Conflict, Forbidden, NotFound


class ConsentKindNotFound(NotFound):
    type, title = "consent-kind-not-found", "No such consent kind"


class ConsentKindTaken(Conflict):
    type, title = "consent-kind-taken", "A consent kind with this code exists"


class ConsentCatalogueAdministratorsOnly(Forbidden):
    type, title = "consent-catalogue-administrators-only", "Only level 1 administers the consent kinds"
