"""Rules of the bulk change of preferred sales agent that a request can break."""
from services.kit.problems import Conflict, NotFound


class SalesAgentChangeNotFound(NotFound):
    type, title = "sales-agent-change-not-found", "Sales agent change not found"


class SalesAgentChangeDone(Conflict):
    type, title = "sales-agent-change-done", "The sales agent change was already confirmed"
