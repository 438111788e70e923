"""The API's codes and messages in the user's language: case statuses and priorities, timeline
actions, line and customer states, and the field messages the API sends back. Lazy, so each
request gets its own language; a message not listed here is shown as the API wrote it."""
from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from gateway.console.api_client import ApiMessage

STATUS_NAMES = {"open": _l("Open"), "open_dispatch": _l("In queue"), "open_reject": _l("Returned"),
                "closed": _l("Closed")}
PRIORITY_NAMES = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
BOX_NAMES = {"owned": _l("Mine"), "created": _l("Created by me"), "returned": _l("Returned to me"),
             "waiting": _l("Waiting in a queue")}
ACTION_NAMES = {
    "created": _l("Created"), "saved": _l("Saved"), "dispatched": _l("Dispatched to the queue"),
    "cancelled": _l("Cancelled"), "taken": _l("Taken"), "assigned": _l("Assigned"), "accepted": _l("Accepted"),
    "rejected": _l("Returned to the initiator"), "closed": _l("Closed"), "reopened": _l("Reopened"),
    "commented": _l("Comment added"), "task_added": _l("Task added"), "task_changed": _l("Task changed"),
    "task_done": _l("Task done"), "task_assigned": _l("Task assigned"), "sla_warning": _l("Deadline close"),
    "sla_breached": _l("Deadline missed"), "escalated": _l("Escalated to the supervisor"),
    "priority_changed": _l("Priority changed"),
}
LINE_STATUS_NAMES = {"active": _l("Working"), "blocked": _l("Blocked"), "deactivated": _l("Disconnected")}
SERVICE_TYPE_NAMES = {"voice": _l("Voice"), "data": _l("Data")}
CUSTOMER_STATUS_NAMES = {"active": _l("Active"), "suspended": _l("Suspended"), "closed": _l("Closed")}
KIND_NAMES = {"person": _l("Person"), "company": _l("Company")}
MATCHED_NAMES = {"code": _l("code"), "line": _l("line"), "tax_number": _l("tax number"), "phone": _l("phone"),
                 "email": _l("e-mail"), "contact": _l("contact"), "name": _l("name")}
CHANNEL_NAMES = {"phone": _l("Phone call"), "office_visit": _l("Office visit"), "email": _l("E-mail"),
                 "whatsapp": "WhatsApp", "skype_teams": "Skype / Teams", "chat": _l("Chat"), "letter": _l("Letter")}
DIRECTION_NAMES = {"inbound": _l("Inbound"), "outbound": _l("Outbound")}
HISTORY_ENTITY_NAMES = {"customer": _l("Customer"), "phone": _l("Other phone"), "contact": _l("Contact"),
                        "line": _l("Line"), "flash": _l("Flash")}
FIELD_NAMES = {
    "name": _l("Name"), "status": _l("Status"), "country": _l("Country"), "tax_number": _l("Tax number"),
    "region": _l("Region"), "language": _l("Language of the customer"), "address": _l("Address"),
    "phone": _l("Phone"), "phone2": _l("Phone 2 (mobile)"), "email": _l("E-mail"), "description": _l("Description"),
    "code": _l("Code"), "kind": _l("Kind"), "salesperson_id": _l("Salesperson"),
    "preferred_sales_agent_id": _l("Preferred sales agent"), "collections_agent_id": _l("Collections agent"),
    "campaigns": _l("Campaigns"), "label": _l("Label"), "number": _l("Number"), "text": _l("Urgent information"),
    "ends_at": _l("Shown until"), "pin": _l("PIN"), "iccid": _l("SIM card (ICCID)"), "tariff_plan": _l("Tariff plan"),
    "tariff_effective_on": _l("Tariff since"), "activated_on": _l("Activated on"),
    "network_standard": _l("Network standard"), "service_type": _l("Service"), "billing_group": _l("Billing group"),
    "role": _l("Role"), "phones": _l("Phones"), "receives_notices": _l("Receives notices about the services"),
}
# The words for the ways a consent or an offer reached us, and an offer's outcomes.
CONTACT_CHANNEL_NAMES = {"phone": _l("Phone"), "office": _l("At the office"), "email": _l("E-mail"), "sms": "SMS",
                         "web": _l("Website"), "letter": _l("Letter"), "whatsapp": "WhatsApp"}
CONSENT_CHANNELS = ("phone", "office", "email", "web", "letter")
OFFER_CHANNELS = ("phone", "office", "email", "sms", "web", "letter", "whatsapp")
OFFER_OUTCOMES = ("pending", "accepted", "declined", "not_reached")
OFFER_OUTCOME_NAMES = {"pending": _l("Waiting for an answer"), "accepted": _l("Accepted"), "declined": _l("Declined"),
                       "not_reached": _l("Not reached")}
# The attachment types the customers service ships (fixed ids); types administrators add keep their own names.
ATTACHMENT_TYPE_NAMES = {
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0001": _l("Not in CRM"),
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0002": _l("Registration papers"),
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0003": _l("Power of attorney"),
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0004": _l("Identity document"),
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0005": _l("Contract"),
    "5c1f5a36-6f55-4b8e-9d55-1b0f3c4a0006": _l("Correspondence"),
}


# Messages the API writes into problem details, in the words the console shows them.
API_MESSAGES = {
    "Missing data for required field.": _l("Fill in this field."),
    "'from' must be before 'to'.": _l("The first day cannot come after the last."),
    "'to' must be after 'from'.": _l("The first day cannot come after the last."),
    "The period may span at most 92 days.": _l("The period may span at most 92 days."),
    "Field may not be null.": _l("Fill in this field."),
    "Not a valid email address.": _l("This is not a valid e-mail address."),
    "Not a valid date.": _l("This is not a valid date."),
    "Not a valid integer.": _l("Type a whole number."),
    "Not a valid number.": _l("Type a number."),
    "Type a phone number.": _l("Type a phone number."),
    "Only digits: letters are not allowed in a phone number.":
        _l("Only digits: letters are not allowed in a phone number."),
    "One number per field: put further numbers under other phones.":
        _l("One number per field: put further numbers under other phones."),
    "Only digits, spaces and + - ( ) . are allowed in a phone number.":
        _l("Only digits, spaces and + - ( ) . are allowed in a phone number."),
    "Type the number with its country code (+…) or set the customer's country first.":
        _l("Type the number with its country code (+…) or set the customer's country first."),
    "Digits only, with an optional leading '+'.": _l("Digits only, with an optional leading “+”."),
    "A PIN has 4 to 8 digits.": _l("A PIN has 4 to 8 digits."),
    "The end of a flash lies in the future.": _l("The end of a flash lies in the future."),
    "Use the two-letter ISO 3166 country code, such as CO, MX, CR, VN or RU.":
        _l("Use the two-letter country code, such as CO, MX, CR, VN or RU."),
    "Type what to look for.": _l("Type what to look for."),
    "Choose the reason of the interaction before closing it.":
        _l("Choose the reason of the interaction before closing it."),
    "The customer was not reached: only the attempt (time, channel, number dialled) is kept.":
        _l("The customer was not reached: only the attempt (time, channel, number dialled) is kept."),
    "The interaction ends before it starts.": _l("The interaction ends before it starts."),
    "Not a valid datetime.": _l("This is not a valid date and time."),
    "Not a valid time.": _l("This is not a valid time."),
    "Not a valid UUID.": _l("Choose one of the options."),
    "No active user of the directory has this id.": _l("This person is not an active user."),
    "Not a valid boolean.": _l("Choose one of the options."),
    "No such reason.": _l("Choose one of the reasons."),
    "A reason cannot go under itself or a reason beneath it.": _l("A reason cannot go under itself or a reason beneath it."),
    "A point of contact has this name.": _l("A point of contact has this name."),
}
API_PATTERNS = [
    (re.compile(r"^This number cannot exist( in [A-Z]{2})?: check the digits\.$"),
     _l("This number cannot exist: check the digits.")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), _l("This text is too long.")),
    (re.compile(r"^Must be one of: "), _l("Choose one of the options.")),
    (re.compile(r"^Unknown placeholders: "),
     _l("This text has a placeholder that does not exist: use only the ones listed above.")),
]


# Too short (an empty required field) and too long share one API message when a field has both bounds.
LENGTH_BETWEEN = re.compile(r"^Length must be between (\d+) and (\d+)\.$")


def api_text(message: str) -> Markup | str:
    """An API message in the user's language; one we do not know keeps its English words, marked
    as English so screen readers pronounce it right. Text that did not come from the API (the
    console's own words, already in the user's language) is shown as it is."""
    known = API_MESSAGES.get(message)
    if known is not None:
        return str(known)
    between = LENGTH_BETWEEN.match(message)
    if between:
        return _("Type between %(least)s and %(most)s characters.", least=int(between[1]), most=int(between[2]))
    for pattern, text in API_PATTERNS:
        if pattern.search(message):
            return str(text)
    if not isinstance(message, ApiMessage) or str(get_locale()) == "en":
        return message
    return Markup('{} <span lang="en">({})</span>').format(_("Check this value."), escape(message))


GLOBALS = dict(STATUS_NAMES=STATUS_NAMES, PRIORITY_NAMES=PRIORITY_NAMES, BOX_NAMES=BOX_NAMES,
               ACTION_NAMES=ACTION_NAMES, LINE_STATUS_NAMES=LINE_STATUS_NAMES,
               SERVICE_TYPE_NAMES=SERVICE_TYPE_NAMES, CUSTOMER_STATUS_NAMES=CUSTOMER_STATUS_NAMES,
               KIND_NAMES=KIND_NAMES, CHANNEL_NAMES=CHANNEL_NAMES, DIRECTION_NAMES=DIRECTION_NAMES, FIELD_NAMES=FIELD_NAMES, MATCHED_NAMES=MATCHED_NAMES, HISTORY_ENTITY_NAMES=HISTORY_ENTITY_NAMES,
               CONTACT_CHANNEL_NAMES=CONTACT_CHANNEL_NAMES, OFFER_OUTCOME_NAMES=OFFER_OUTCOME_NAMES,
               ATTACHMENT_TYPE_NAMES=ATTACHMENT_TYPE_NAMES)


def problem_text(answer) -> str:
    """The first thing an API refusal says, as plain text for a one-line notice."""
    messages = [text for texts in answer.field_errors.values() for text in texts] or [answer.detail]
    text = api_text(messages[0])
    return text.striptags() if isinstance(text, Markup) else text
