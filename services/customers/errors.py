"""Rules of the customers service that a request can break."""
from services.kit.problems import Conflict, Forbidden, InvalidFields, NotFound, TooManyRequests


class CustomerNotFound(NotFound):
    type, title = "customer-not-found", "Customer not found"


class CustomerCodeTaken(Conflict):
    type, title = "customer-code-taken", "The customer code is taken"


class TaxNumberTaken(Conflict):
    type, title = "tax-number-taken", "Another customer of this country has this tax number"


class TaxNumberImmutable(InvalidFields):
    type, title = "tax-number-immutable", "The tax number cannot be changed after creation"


class CustomerReadOnly(Forbidden):
    type, title = "customer-read-only", "Only the assigned salesperson or a level 1-2 user edits this customer"


class EditCustomersPermissionRequired(Forbidden):
    type, title = "edit-customers-permission-required", "Customer master data needs the permission edit_customers"


class ProspectReserved(Conflict):
    type, title = "prospect-reserved", "The prospect customer \"0\" is reserved"


class PhoneNotFound(NotFound):
    type, title = "phone-not-found", "Phone not found"


class ContactNotFound(NotFound):
    type, title = "contact-not-found", "Contact not found"


class LineNotFound(NotFound):
    type, title = "line-not-found", "Line not found"


class LineNumberTaken(Conflict):
    type, title = "line-number-taken", "The number belongs to another live line"


class SimSerialTaken(Conflict):
    type, title = "sim-serial-taken", "The SIM serial belongs to another live line"


class LineDeactivated(Conflict):
    type, title = "line-deactivated", "A deactivated line cannot change"


class LinePinNotSet(Conflict):
    type, title = "line-pin-not-set", "The line has no PIN"


class LinePinLocked(TooManyRequests):
    """Too many wrong PINs in a row: the check waits until ``locked_until`` (also in Retry-After)."""

    type, title = "line-pin-locked", "The line's PIN check is locked after too many wrong PINs"

    def __init__(self, detail: str, *, retry_after: int, locked_until) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.extra["locked_until"] = locked_until.isoformat()


class CallerNotFound(NotFound):
    type, title = "caller-not-found", "No card matches the caller number"


class CallerAmbiguous(Conflict):
    type, title = "caller-ambiguous", "The caller number matches several cards"
