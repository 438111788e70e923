"""Request and response shapes of queues, calendars, SLA targets and queue statistics."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from services.cases.queues.models import PRIORITIES
from services.cases.sla.calendar import BusinessCalendar, parse_hhmm
from services.kit.schemas import PageQuerySchema, page_of

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use 1-40 lower-case letters, digits, '-' or '_'.")
HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", error="Use HH:MM, 00:00-24:00.")


class QueueCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    department_id = fields.UUID(load_default=None, allow_none=True)
    supervisor_id = fields.UUID(load_default=None, allow_none=True)
    calendar_id = fields.UUID(load_default=None, allow_none=True)
    claim_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10_080))


class QueueChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    department_id = fields.UUID(allow_none=True)
    supervisor_id = fields.UUID(allow_none=True)
    calendar_id = fields.UUID(allow_none=True)
    claim_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_080))


class SlaPolicySchema(Schema):
    """Targets in business minutes of the queue's calendar; warn when ``warning_percent`` is used."""

    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    acceptance_minutes = fields.Integer(load_default=None, allow_none=True,
                                        validate=validate.Range(min=1, max=525_600))
    resolution_minutes = fields.Integer(load_default=None, allow_none=True,
                                        validate=validate.Range(min=1, max=5_256_000))
    warning_percent = fields.Integer(load_default=80, validate=validate.Range(min=1, max=99))


class SlaPoliciesSchema(Schema):
    policies = fields.List(fields.Nested(SlaPolicySchema), required=True)

    @validates_schema
    def _one_per_priority(self, data, **_kwargs):
        # runs only once every policy is valid, so each has its priority
        priorities = [item["priority"] for item in data["policies"]]
        if len(priorities) != len(set(priorities)):
            raise ValidationError("Give each priority at most once.", field_name="policies")


class QueueSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    department_id = fields.UUID(allow_none=True)
    supervisor_id = fields.UUID(allow_none=True)
    calendar_id = fields.UUID(allow_none=True)
    claim_minutes = fields.Integer(allow_none=True)
    version = fields.Integer()


class QueueRefSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()


class MemberSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    full_name = fields.String()
    department_id = fields.UUID(allow_none=True)


class QueueDetailSchema(QueueSchema):
    sla_policies = fields.List(fields.Nested(SlaPolicySchema))
    members = fields.List(fields.Nested(MemberSchema))


class HoursSchema(Schema):
    start = fields.String(required=True, validate=HHMM)
    end = fields.String(required=True, validate=HHMM)


def _check_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Not a time zone name such as 'Europe/Moscow'.") from None


class CalendarFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    time_zone = fields.String(validate=[validate.Length(min=1, max=64), _check_zone])
    working_days = fields.List(fields.Integer(validate=validate.Range(min=0, max=6)),
                               validate=validate.Length(min=1, max=7),
                               metadata={"description": "ISO weekdays from Monday = 0 to Sunday = 6, each once.",
                                         "uniqueItems": True})
    hours = fields.List(fields.Nested(HoursSchema), validate=validate.Length(min=1, max=8),
                        metadata={"description": "Working intervals of each working day, local time (HH:MM, "
                                                 "00:00-24:00): each starts before it ends, sorted, none overlapping."})
    holidays = fields.List(fields.Date(), validate=validate.Length(max=1000))

    @validates_schema
    def _a_working_calendar(self, data, **_kwargs):
        if "working_days" in data and len(set(data["working_days"])) != len(data["working_days"]):
            raise ValidationError("Give each working day once.", "working_days")
        if "hours" in data:
            try:
                BusinessCalendar(hours=tuple((parse_hhmm(h["start"]), parse_hhmm(h["end"])) for h in data["hours"]))
            except ValueError as error:
                raise ValidationError(str(error), "hours") from None

    @post_load
    def _stored_form(self, data, **_kwargs):
        if "hours" in data:
            data["hours"] = [[item["start"], item["end"]] for item in data["hours"]]
        if "holidays" in data:
            data["holidays"] = sorted({day.isoformat() for day in data["holidays"]})
        if "working_days" in data:
            data["working_days"] = sorted(data["working_days"])
        return data


class CalendarCreateSchema(CalendarFieldsSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    time_zone = fields.String(load_default="UTC", validate=[validate.Length(min=1, max=64), _check_zone])
    working_days = fields.List(fields.Integer(validate=validate.Range(min=0, max=6)),
                               load_default=lambda: [0, 1, 2, 3, 4], validate=validate.Length(min=1, max=7))
    hours = fields.List(fields.Nested(HoursSchema), load_default=lambda: [{"start": "09:00", "end": "18:00"}],
                        validate=validate.Length(min=1, max=8))
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=1000))


class CalendarSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    time_zone = fields.String()
    working_days = fields.List(fields.Integer())
    hours = fields.Function(lambda calendar: [{"start": start, "end": end} for start, end in calendar.hours])
    holidays = fields.Function(lambda calendar: list(calendar.holidays))
    version = fields.Integer()


class StatisticsQuerySchema(PageQuerySchema):
    hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=24 * 366),
                           metadata={"description": "The window for per-hour rates and SLA attainment."})


class AttainmentSchema(Schema):
    decided = fields.Integer()
    met = fields.Integer()
    rate = fields.Float(allow_none=True)


class SatisfactionSchema(Schema):
    answers = fields.Integer()
    average = fields.Float(allow_none=True)


class HolderRefSchema(Schema):
    id = fields.UUID()
    full_name = fields.String(allow_none=True, metadata={"description": "None while the directory's user has not arrived."})
    is_member = fields.Boolean(metadata={"description": "false: no longer a member, still holding cases of the queue."})


class HolderSchema(Schema):
    user = fields.Nested(HolderRefSchema)
    assigned = fields.Integer(metadata={"description": "Cases of the queue assigned to the user, not accepted yet."})
    in_work = fields.Integer(metadata={"description": "Cases of the queue the user accepted and works on."})
    breached = fields.Integer(metadata={"description": "Of those, the cases that missed an SLA target."})


class QueueStatisticsSchema(Schema):
    queue = fields.Nested(QueueRefSchema)
    depth = fields.Integer(metadata={"description": "Cases waiting for someone to take them."})
    assigned = fields.Integer(metadata={"description": "Dispatched cases assigned but not accepted yet."})
    in_work = fields.Integer()
    returned = fields.Integer()
    oldest_age_seconds = fields.Float(allow_none=True)
    median_age_seconds = fields.Float(allow_none=True)
    window_hours = fields.Integer()
    accepted_per_hour = fields.Float()
    closed_per_hour = fields.Float()
    acceptance_sla = fields.Nested(AttainmentSchema)
    resolution_sla = fields.Nested(AttainmentSchema)
    breached_open = fields.Integer(metadata={"description": "Open cases that missed a target."})
    satisfaction = fields.Nested(SatisfactionSchema, metadata={
        "description": "Survey answers of the queue's closed cases in the window, and their average score (1-5)."})
    holders = fields.Nested(HolderSchema, many=True, metadata={
        "description": "Who holds the queue's dispatched cases now: every active member and anyone else holding one."})
    as_of = fields.AwareDateTime()


class HistoryQuerySchema(PageQuerySchema):
    """The period of a queue's history: ``to`` defaults to now, ``from`` to 24 hours before ``to``;
    at most 92 days."""

    start = fields.AwareDateTime(data_key="from", load_default=None, metadata={
        "description": "Start of the period (inclusive), ISO 8601 with a UTC offset; default 24 hours before 'to'."})
    end = fields.AwareDateTime(data_key="to", load_default=None, metadata={
        "description": "End of the period (exclusive), ISO 8601 with a UTC offset; default now."})

    @validates_schema
    def _period(self, data, **_kwargs):
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None:
            if start >= end:
                raise ValidationError({"from": ["'from' must be before 'to'."],
                                       "to": ["'to' must be after 'from'."]})
            if end - start > timedelta(days=92):
                raise ValidationError({"to": ["The period may span at most 92 days."]})


class QueueSnapshotSchema(Schema):
    slot = fields.AwareDateTime(metadata={"description": "Start of the snapshot's time slot."})
    taken_at = fields.AwareDateTime()
    waiting = fields.Integer(metadata={"description": "Dispatched cases nobody holds."})
    assigned = fields.Integer(metadata={"description": "Dispatched cases held but not accepted."})
    in_work = fields.Integer()
    returned = fields.Integer()
    oldest_age_seconds = fields.Float(allow_none=True)
    median_age_seconds = fields.Float(allow_none=True)
    breached_open = fields.Integer(metadata={"description": "Open cases that had missed a target."})


class HourlyThroughputSchema(Schema):
    hour = fields.AwareDateTime()
    accepted = fields.Integer()
    closed = fields.Integer()


class PriorityAttainmentSchema(Schema):
    target = fields.String(metadata={"description": "acceptance or resolution"})
    priority = fields.String()
    decided = fields.Integer()
    met = fields.Integer()
    rate = fields.Float(allow_none=True)


class QueueHistorySchema(Schema):
    queue = fields.Nested(QueueRefSchema)
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to")
    snapshots = fields.Nested(QueueSnapshotSchema, many=True, metadata={
        "description": "Periodic snapshots in the period (every CAREDESK_QUEUE_SNAPSHOT_MINUTES), oldest first."})
    per_hour = fields.Nested(HourlyThroughputSchema, many=True, metadata={
        "description": "Cases accepted and closed in each UTC hour of the period, from the timeline."})
    sla_attainment = fields.Nested(PriorityAttainmentSchema, many=True, metadata={
        "description": "Targets decided in the period (met, or breached) per target and priority."})
    satisfaction = fields.Nested(SatisfactionSchema, metadata={
        "description": "Survey answers of the queue's closed cases given in the period, and their average score (1-5)."})


QueuePageSchema = page_of(QueueSchema, "QueuePage")
MemberPageSchema = page_of(MemberSchema, "MemberPage")
CalendarPageSchema = page_of(CalendarSchema, "CalendarPage")
QueueStatisticsPageSchema = page_of(QueueStatisticsSchema, "QueueStatisticsPage")
QueueHistoryPageSchema = page_of(QueueHistorySchema, "QueueHistoryPage")
