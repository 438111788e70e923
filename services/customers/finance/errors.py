"""Rules of the billing import and the financial summary that a request can break."""
from services.kit.problems import Forbidden, InvalidFields


class BillingImportersOnly(Forbidden):
    type, title = "billing-importers-only", "Only a level 1 user (or billing's API token) imports billing data"


class BillingRowsInvalid(InvalidFields):
    """Some rows of a batch are invalid: ``rows`` lists each with its line number; nothing was imported."""

    type, title = "billing-rows-invalid", "Some billing rows are invalid"

    def __init__(self, errors: dict, detail: str | None = None, **extra) -> None:
        super().__init__(errors, detail)
        self.extra.update(extra)
