"""iCalendar documents built with the ``icalendar`` library: invitations (METHOD:REQUEST, an update
with a higher SEQUENCE, METHOD:CANCEL) and the feeds read by calendar applications."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Caredesk//Caredesk notifications//ES"


def followup_uid(followup_id) -> str:
    """Stable for the follow-up's life: an update or a cancel replaces the same event."""
    return f"followup-{followup_id}@caredesk"


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name or email)
    for key, value in params.items():
        address.params[key.upper().replace("_", "-")] = vText(value)
    return address


def followup_event(followup, people: dict, *, cancelled: bool = False) -> Event:
    """``people``: user id (str) -> (name, email); the organiser is the agent, the participants
    attend (REQ-PARTICIPANT), the colleagues and the supervisor in copy are NON-PARTICIPANT."""
    event = Event()
    event.add("uid", followup_uid(followup.id))
    event.add("sequence", int(followup.sequence))
    event.add("dtstamp", datetime.now(timezone.utc).replace(microsecond=0))
    event.add("dtstart", followup.starts_at.astimezone(timezone.utc))
    event.add("dtend", followup.ends_at.astimezone(timezone.utc))
    event.add("summary", followup.subject)
    event.add("description", f"{followup.customer_code} · {followup.interaction_number}")
    if followup.location:
        event.add("location", followup.location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = people.get(str(followup.organiser_id))
    if organiser and organiser[1]:
        event.add("organizer", _address(organiser[1], organiser[0]))
    for user_id in followup.participant_ids or []:
        person = people.get(str(user_id))
        if person and person[1]:
            event.add("attendee", _address(person[1], person[0], role="REQ-PARTICIPANT", partstat="NEEDS-ACTION",
                                           rsvp="TRUE", cutype="INDIVIDUAL"))
    for user_id in followup.copy_ids or []:
        person = people.get(str(user_id))
        if person and person[1] and str(user_id) not in {str(p) for p in followup.participant_ids or []}:
            event.add("attendee", _address(person[1], person[0], role="NON-PARTICIPANT", partstat="NEEDS-ACTION",
                                           rsvp="FALSE", cutype="INDIVIDUAL"))
    return event


def invitation(followup, people: dict, *, method: str) -> str:
    """The text/calendar part of an invitation e-mail: METHOD:REQUEST or METHOD:CANCEL."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(followup_event(followup, people, cancelled=method == "CANCEL"))
    return calendar.to_ical().decode()


def feed(name: str, followups: list, people: dict, due_dates: list) -> bytes:
    """A feed (no METHOD): follow-ups as events, and ``due_dates`` = [(uid, day, summary)] as
    all-day events (the receivables' payment due dates of the team calendar, seed 003)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for followup in followups:
        calendar.add_component(followup_event(followup, people, cancelled=followup.status == "cancelled"))
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for uid, day, summary in due_dates:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1) if isinstance(day, date) else day)
        event.add("summary", summary)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
