"""survey.answered.v1 from the notifications service: the answer is kept on the case (once) and
counted in its queue's statistics (answers and average score)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from services.cases.handlers import HANDLERS
from services.kit.messaging.consumer import ConsumerWorker, Delivery
from services.kit.messaging.envelope import Envelope
from tests.unit.cases.conftest import new_case
from tests.unit.notifications.conftest import FakeMessage

KEEP = {handler.name: handler for handler in HANDLERS}["keep_survey_answers"]


def answered(case: dict, score: int, comment: str | None) -> Envelope:
    return Envelope(type="survey.answered", version=1, producer="notifications", correlation_id="t", data={
        "survey_id": str(uuid.uuid4()), "case_id": case["id"], "case_number": case["number"],
        "customer_id": str(uuid.uuid4()), "score": score, "comment": comment,
        "answered_at": datetime.now(timezone.utc).isoformat()})


def test_an_answer_is_kept_on_the_case_once_and_averaged_in_queue_statistics(api, people):
    ana, boris = people.initiator, people.agent
    closed = []
    for _ in range(2):
        case = new_case(api, ana)
        api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=ana))
        taken = api.ok(api.post("/cases/take-next", as_=boris))
        api.ok(api.post(f"/cases/{taken['id']}/accept", as_=boris))
        closed.append(api.ok(api.post(f"/cases/{taken['id']}/close", as_=boris, json={"resolution": "Done."})))
    context = api.app.extensions["caredesk"]
    worker = ConsumerWorker(context.database, context.settings, HANDLERS)
    for envelope in (answered(closed[0], 5, "¡Muy rápido!"), answered(closed[0], 1, "second thoughts"),
                     answered(closed[1], 2, None)):
        message = FakeMessage(envelope)
        worker.process([Delivery(handler=KEEP, queue="q", message=message)])
        assert message.acked

    shown = api.ok(api.get(f"/cases/{closed[0]['id']}", as_=ana))
    assert shown["survey"]["score"] == 5 and shown["survey"]["comment"] == "¡Muy rápido!"
    queue = closed[0]["queue"]["id"]
    stats = api.ok(api.get(f"/queues/{queue}/statistics", as_=people.supervisor))
    assert stats["satisfaction"] == {"answers": 2, "average": 3.5}
    now = datetime.now(timezone.utc)
    period = lambda start, end: api.ok(api.get(f"/queues/{queue}/history", as_=people.supervisor, query={  # noqa: E731
        "from": start.isoformat(), "to": end.isoformat()}))["satisfaction"]
    assert period(now - timedelta(hours=1), now + timedelta(minutes=1)) == {"answers": 2, "average": 3.5}
    assert period(now - timedelta(days=2), now - timedelta(days=1)) == {"answers": 0, "average": None}
