"""The customer card in one call: the parts asked of the services at once, with the caller's token,
put together; a part whose service does not answer is marked unavailable instead of failing the card.

The customer itself is the card's anchor: the customers service decides whether the caller may see
it (404 alike for a missing customer and one out of reach, 403 for a token without the customers
scope), and that answer is the card's. Every other part is asked with the same token, so each
service applies the caller's access level itself: the card never shows more than its parts would.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import requests

from gateway.routing.policies import Timeouts
from gateway.routing.upstream import UpstreamFailure, send
from services.kit.schemas import MAX_PER_PAGE

log = logging.getLogger("caredesk.gateway.cards")

# Open cases: every state but closed, the highest priority first.
OPEN_CASE_STATES = ("open", "open_dispatch", "open_reject")
OPEN_CASES_SHOWN = 20
OFFERS_SHOWN = 5
# Taken out of the customers service's card into parts of their own, in this order after the id.
CARD_PARTS = ("flashes", "lines", "contacts", "latest_interactions")


@dataclass(frozen=True)
class Part:
    """One call of the card: ``name`` in the answer, the owning ``service`` and the path below /api/v1."""

    name: str
    service: str
    path: str
    params: tuple = ()


def parts_of(customer_id: str) -> list[Part]:
    """The parts that follow once the customer is known (the customer itself is asked first or alongside)."""
    return [
        Part("open_cases", "cases", "cases", (("customer_id", customer_id), *(("status", s) for s in OPEN_CASE_STATES),
                                                ("sort", "priority"), ("per_page", OPEN_CASES_SHOWN))),
        Part("financial_summary", "customers", f"customers/{customer_id}/financial-summary"),
        # every consent in force (kinds x the customer and its contacts), not the default page
        Part("consents", "customers", f"customers/{customer_id}/consents", (("per_page", MAX_PER_PAGE),)),
        Part("offers", "customers", f"customers/{customer_id}/offers", (("per_page", OFFERS_SHOWN),)),
    ]


@dataclass
class Answer:
    """What a service said (status and JSON body), or why it said nothing (``failure``)."""

    status: int = 0
    body: object = None
    etag: str | None = None
    failure: UpstreamFailure | None = None


class CardComposer:
    """Calls the services in parallel on a thread pool shared by the gateway process."""

    def __init__(self, *, service_urls: dict[str, str], http: requests.Session, timeouts: Timeouts,
                 pool: ThreadPoolExecutor) -> None:
        self.service_urls = service_urls
        self.http = http
        self.timeouts = timeouts
        self.pool = pool

    # -- one call -----------------------------------------------------------------------------
    def _call(self, part: Part, headers: dict) -> Answer:
        url = f"{self.service_urls[part.service]}/api/v1/{part.path}"
        try:
            response = send(self.http, "GET", url, params=list(part.params), headers=headers,
                            timeout=self.timeouts.as_requests(), allow_redirects=False)
        except requests.RequestException as error:
            failure = UpstreamFailure.of(part.service, error, self.timeouts)
            log.warning("card part %s: %s service %s: %s", part.name, part.service, failure.reason, error)
            return Answer(failure=failure)
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(status=response.status_code, body=body, etag=response.headers.get("ETag"))

    def _submit(self, part: Part, headers: dict) -> Future:
        return self.pool.submit(self._call, part, headers)

    def _wait(self, part: Part, future: Future, deadline: float) -> Answer:
        """The answer, or a timeout once the card's deadline passes (the call ends on its own later,
        bounded by its read timeout)."""
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            future.cancel()
            return Answer(failure=UpstreamFailure(part.service, "timeout", self.timeouts))

    def _deadline(self) -> float:
        # connect, then read; a little room for the pool's scheduling
        return time.monotonic() + self.timeouts.connect + self.timeouts.read + 0.25

    # -- the card -----------------------------------------------------------------------------
    def by_id(self, customer_id: str, headers: dict) -> tuple[Answer, dict | None]:
        """Every part at once. Returns the customer's answer and, when it is a 200, the card."""
        anchor = Part("customer", "customers", f"customers/{customer_id}")
        deadline = self._deadline()
        futures = [(part, self._submit(part, headers)) for part in [anchor, *parts_of(customer_id)]]
        answers = {part.name: self._wait(part, future, deadline) for part, future in futures}
        customer = answers.pop("customer")
        if customer.status != 200:
            return customer, None
        return customer, assemble(customer.body, answers, parts=parts_of(customer_id))

    def by_caller(self, number: str, headers: dict) -> tuple[Answer, dict | None]:
        """The card of the one customer a caller number belongs to: the customer first (its id is
        what the other parts need), then the rest at once."""
        anchor = Part("customer", "customers", "customers/caller", (("number", number),))
        customer = self._wait(anchor, self._submit(anchor, headers), self._deadline())
        if customer.status != 200 or not isinstance(customer.body, dict):
            return customer, None
        customer_id = str(customer.body["id"])
        deadline = self._deadline()
        futures = [(part, self._submit(part, headers)) for part in parts_of(customer_id)]
        answers = {part.name: self._wait(part, future, deadline) for part, future in futures}
        return customer, assemble(customer.body, answers, parts=parts_of(customer_id))


def unavailable(part: Part, answer: Answer) -> dict:
    """The marker a part gets when its service gave no usable answer: why, and from which service."""
    if answer.failure is not None:
        return {"unavailable": True, "service": part.service, "reason": answer.failure.reason,
                "status": answer.failure.status, "detail": answer.failure.detail}
    detail = answer.body.get("detail") if isinstance(answer.body, dict) else None
    reason = {401: "refused", 403: "forbidden", 404: "not-found"}.get(answer.status, "error")
    return {"unavailable": True, "service": part.service, "reason": reason, "status": answer.status,
            "detail": detail or f"The {part.service} service answered {answer.status}."}


def assemble(customer: dict, answers: dict[str, Answer], *, parts: list[Part]) -> dict:
    """The card: the id, the active flashes first, lines, contacts, the latest interactions, then the
    customer's master data and each further part (or its unavailable marker)."""
    customer = dict(customer)
    card: dict = {"id": customer.get("id")}
    for name in CARD_PARTS:
        card[name] = customer.pop(name, [])
    card["customer"] = customer
    missing = []
    for part in parts:
        answer = answers[part.name]
        if answer.status == 200 and answer.failure is None:
            card[part.name] = answer.body
        else:
            card[part.name] = unavailable(part, answer)
            missing.append(part.name)
    card["unavailable_parts"] = missing
    return card


def forwarded_headers(get_header: Callable[[str], str | None], correlation_id: str) -> dict:
    """What each part's call carries: the caller's own token (its access level and scopes apply),
    language and correlation id."""
    headers = {"Accept": "application/json", "X-Correlation-ID": correlation_id}
    for name in ("Authorization", "Accept-Language"):
        value = get_header(name)
        if value:
            headers[name] = value
    return headers
