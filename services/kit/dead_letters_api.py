"""Each service's dead letters over HTTP, under ``/api/v1/<service>/dead-letters``: the service owns its
handler queues, so it lists, shows and replays their ``<queue>.dead`` with its own broker settings
(RabbitMQ, or the embedded broker's file), and the gateway forwards the path like any other of the
service's. Only a company-level user with ``manage_users`` may read or replay them: a dead letter
carries any customer's or case's data.

Queues are named by their handler (``replicate_customer``), so a path names nothing but this
service's own queues; an unknown handler and a letter not (or no longer) in the queue are 404."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

from kombu.exceptions import OperationalError as BrokerError
from marshmallow import Schema, fields

from services.kit.app import current_principal, service_context
from services.kit.auth import COMPANY, Principal
from services.kit.input import Blueprint
from services.kit.http import install_id_converter
from services.kit.messaging import dead_letters
from services.kit.messaging.topology import queue_name
from services.kit.problems import DependencyDown, Forbidden, NotFound
from services.kit.schemas import PageQuerySchema, PageSchema, page_from_list, page_links, page_of

# A page of one queue's letters is read from its head (a queue has no offset): pages beyond the
# first LISTED_AT_MOST letters are empty; count (and total) say how many wait.
LISTED_AT_MOST = 1_000
# One replay request sends back at most this many (about 3 s on RabbitMQ, each waiting for its
# confirm), well within the gateway's and gunicorn's timeouts; the answer says how many still wait.
REPLAYED_AT_MOST = 500


class DeadLettersForAdministrators(Forbidden):
    type, title = "dead-letters-for-administrators", "Only a company-level administrator handles dead letters"


class NoSuchHandlerQueue(NotFound):
    type, title = "no-such-queue", "This service has no such queue"


class DeadLetterQueueSchema(Schema):
    handler = fields.String(metadata={"description": "The handler whose queue it is, as named in the path"})
    queue = fields.String(metadata={"description": "The handler's queue; its dead letters wait in <queue>.dead"})
    events = fields.List(fields.String(), metadata={"description": "The events the handler takes"})
    count = fields.Integer(metadata={"description": "Dead letters waiting"})


class DeadLetterSummarySchema(Schema):
    message_id = fields.String(metadata={"description": "The event's id"})
    event_type = fields.String(allow_none=True)
    event_version = fields.Raw(allow_none=True)
    attempts = fields.Raw(allow_none=True, metadata={"description": "How many times the handler tried it"})
    dead_at = fields.Raw(allow_none=True, metadata={"description": "When it was dead-lettered (ISO 8601)"})
    reason = fields.List(fields.String(), metadata={"description": "The first line of why it died"})


class DeadLetterListSchema(DeadLetterQueueSchema, PageSchema):
    """One page of a handler's dead letters, oldest first, with the queue's description."""

    items = fields.List(fields.Nested(DeadLetterSummarySchema), metadata={
        "description": f"A page of the oldest {LISTED_AT_MOST} at most; count (and total) say how many wait"})


DeadLetterQueuePageSchema = page_of(DeadLetterQueueSchema, "DeadLetterQueuePage")


class DeadLetterSchema(DeadLetterSummarySchema):
    headers = fields.Dict(metadata={"description": "The message's headers: failed queue, reason, attempts, "
                                                   "original routing key, and the broker's x-death"})
    body = fields.Raw(metadata={"description": "The event's envelope as JSON, or the body as text when it is not JSON"})
    full_reason = fields.String(metadata={"description": "Why it died, whole (the exception and its message)"})


class ReplaySchema(Schema):
    queue = fields.String()
    replayed = fields.Integer(metadata={"description": "How many letters went back to the queue"})
    remaining = fields.Integer(metadata={"description": "Dead letters still waiting (replay again for more)"})


def _administrator(principal: Principal) -> None:
    if principal.level != COMPANY or "manage_users" not in principal.permissions:
        raise DeadLettersForAdministrators("Dead letters are for company-level users with manage_users.")


@contextmanager
def _broker(*, changing: bool = False):
    """A broker that does not answer is a 503, never a 500; a replay cut short may have sent some back."""
    try:
        yield
    except (BrokerError, OSError) as error:
        raise DependencyDown("The message broker is not reachable" + (
            ": some letters may have been sent back already; read the queue again before replaying." if changing
            else "; nothing was changed. Try again.") + f" ({type(error).__name__})") from None


def _json_safe(value):
    """Broker headers hold datetimes and nested tables (x-death): make them JSON."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def dead_letters_blueprint(resource: str, handlers: list) -> Blueprint:
    """The dead-letter routes of one service whose consumers run ``handlers``."""
    blp = Blueprint("dead_letters", __name__, url_prefix=f"/api/v1/{resource}/dead-letters",
                    description=f"Dead letters of the {resource} service's queues: list, show, replay "
                                "(company-level administrators)")
    install_id_converter(blp)
    by_name = {handler.name: handler for handler in handlers}

    def _queue(handler_name: str) -> tuple[str, object]:
        _administrator(current_principal())
        handler = by_name.get(handler_name)
        if handler is None:
            raise NoSuchHandlerQueue(f"The {resource} service has no queue for a handler '{handler_name}'.")
        return queue_name(service_context().settings, handler.name), handler

    def _described(handler_names: list[str]) -> list[dict]:
        queues = [_queue(name) for name in handler_names]
        with _broker():
            counts = dead_letters.count_dead_letters(service_context().settings, [queue for queue, _handler in queues])
        return [{"handler": handler.name, "queue": queue, "events": list(handler.events), "count": counts[queue]}
                for queue, handler in queues]

    @blp.get("")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DeadLetterQueuePageSchema)
    def list_dead_letter_queues(args):
        """Every queue of this service with the number of dead letters waiting in it, by handler."""
        _administrator(current_principal())
        return page_from_list(_described(sorted(by_name)), **args)

    @blp.get("/<handler>")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DeadLetterListSchema)
    def list_queue_dead_letters(args, handler: str):
        """The dead letters of one handler's queue, oldest first: event, attempts, when and why."""
        [described] = _described([handler])
        page, per_page = args["page"], args["per_page"]
        wanted = min(page * per_page, LISTED_AT_MOST)
        with _broker():
            letters = dead_letters.list_dead_letters(service_context().settings, described["queue"],
                                                     limit=wanted) if (page - 1) * per_page < wanted else []
        answer = page_from_list([letter.summary() for letter in letters], page=page, per_page=per_page)
        total = max(described["count"], len(letters))
        # no link leads past the letters a page may show
        shown = min(total, LISTED_AT_MOST)
        return described | answer | {"total": total, "links": page_links(page=page, per_page=per_page, total=shown)}

    @blp.get("/<handler>/<id:message_id>")
    @blp.response(200, DeadLetterSchema)
    def show_dead_letter(handler: str, message_id: uuid.UUID):
        """One dead letter whole: headers, the full reason and the event."""
        queue, _handler = _queue(handler)
        with _broker():
            letter = dead_letters.find_dead_letter(service_context().settings, queue, str(message_id))
        details = letter.details()
        return details | {"headers": _json_safe(details["headers"]), "full_reason": letter.reason()}

    @blp.post("/<handler>/<id:message_id>/replay")
    @blp.response(200, ReplaySchema)
    def replay_dead_letter(handler: str, message_id: uuid.UUID):
        """Send one dead letter back to its queue (404 when it is no longer there)."""
        queue, _handler = _queue(handler)
        settings = service_context().settings
        with _broker(changing=True):
            replayed = dead_letters.replay_dead_letters(settings, queue, message_id=str(message_id))
            remaining = dead_letters.count_dead_letters(settings, [queue])[queue]
        if not replayed:
            raise NotFound(f"No dead letter {message_id} in {queue}.dead.")
        return {"queue": queue, "replayed": replayed, "remaining": remaining}

    @blp.post("/<handler>/replay")
    @blp.response(200, ReplaySchema)
    def replay_queue_dead_letters(handler: str):
        """Send the dead letters waiting now back to their queue, the oldest 500 at most
        (``remaining`` says how many still wait); one failing again waits for the next replay."""
        queue, _handler = _queue(handler)
        settings = service_context().settings
        with _broker(changing=True):
            replayed = dead_letters.replay_dead_letters(settings, queue, limit=REPLAYED_AT_MOST)
            remaining = dead_letters.count_dead_letters(settings, [queue])[queue]
        return {"queue": queue, "replayed": replayed, "remaining": remaining}

    return blp
