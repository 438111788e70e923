"""Rules of the customers service that a request can break."""
from services.kit.problems import Conflict, NotFound


class CustomerNotFound(NotFound):
    type, title = "customer-not-found", "Customer not found"


class CustomerCodeTaken(Conflict):
    type, title = "customer-code-taken", "The customer code is taken"
