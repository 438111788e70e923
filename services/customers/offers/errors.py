"""Rules of offers that a request can break."""
from services.kit.problems import NotFound


class OfferNotFound(NotFound):
    type, title = "offer-not-found", "Offer not found"
