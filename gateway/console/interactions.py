"""The interaction panel of the card (seeds 002, 003, 004): what the agent records of a contact while
it happens, over the customers service's interactions API, and the prospect "0" for callers who are
not customers.

One form, several buttons: choosing a reason shows its script, macros and articles; a macro fills the
comment; "save" keeps it open (colleagues see it at once), "close" needs a reason, "new" closes it and
opens the next one for another line or contract. Nothing is kept in the console between requests:
the interaction being written is in the URL (``?interaction=``) once saved."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.console.blueprint import blp, safe_next
from gateway.console.forms import blank_to_none, local_instant
from gateway.console.i18n import chosen_time_zone
from gateway.console.words import problem_text

PREFIX = "i_"
TEXT_FIELDS = ("contact_person", "topic", "comments", "inputs", "pending_items", "solution", "protocol_applied",
               "dialled_number")
# Seed 003: a customer not reached leaves only the attempt, whatever else the form holds.
ATTEMPT_FIELDS = ("line_id", "direction", "channel", "contact_point_id", "started_at", "ended_at", "dialled_number",
                  "card_opened_at")
DIALOGUE = re.compile(r"^\s*(\d{1,4})(?:\s*:\s*(\d{1,2}))?\s*$")
MAX_DIALS = 12  # click-to-call links asked of the API per card: lines first, then the contacts' phones


# -- reading ----------------------------------------------------------------------------------
def offered_reasons(reasons: list[dict]) -> list[dict]:
    """The leaves of the reason tree an agent may choose: retired reasons (and what lies under one)
    are not offered, nor a reason that has reasons under it."""
    by_id = {reason["id"]: reason for reason in reasons}
    parents = {reason.get("parent_id") for reason in reasons}

    def retired(reason: dict) -> bool:
        while reason is not None:
            if reason.get("is_retired"):
                return True
            reason = by_id.get(reason.get("parent_id"))
        return False

    return [reason for reason in reasons if reason["id"] not in parents and not retired(reason)]


def dialogue_text(seconds) -> str:
    if seconds in (None, ""):
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def local_input(value) -> str:
    """An API instant as a datetime-local value in the user's time zone."""
    if not value:
        return ""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return instant.astimezone(ZoneInfo(chosen_time_zone())).strftime("%Y-%m-%dT%H:%M")


def _now_input() -> str:
    return datetime.now(ZoneInfo(chosen_time_zone())).strftime("%Y-%m-%dT%H:%M")


def values_of(interaction: dict) -> dict:
    """A saved interaction as the form shows it."""
    values = {name: interaction.get(name) or "" for name in TEXT_FIELDS}
    values |= {name: interaction.get(name) or "" for name in ("line_id", "direction", "channel",
                                                               "contact_point_id", "reason_id")}
    values |= {"started_at": local_input(interaction.get("started_at")),
               "ended_at": local_input(interaction.get("ended_at")),
               "dialogue": dialogue_text(interaction.get("dialogue_seconds")),
               "card_opened_at": interaction.get("card_opened_at") or "",
               "customer_reached": interaction.get("customer_reached", True)}
    return values


def fresh_values() -> dict:
    """A new interaction: an inbound phone call starting now, the card opened now (the timing block)."""
    return {name: "" for name in TEXT_FIELDS} | {
        "direction": "inbound", "channel": "phone",
        "line_id": "", "contact_point_id": "", "reason_id": "", "started_at": _now_input(), "ended_at": "",
        "dialogue": "", "customer_reached": True, "dialled_number": "",
        "card_opened_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def posted_values() -> dict:
    form = request.form
    values = {name: form.get(PREFIX + name, "") for name in TEXT_FIELDS}
    values |= {name: form.get(PREFIX + name, "") for name in ("line_id", "direction", "channel", "contact_point_id",
                                                             "reason_id", "started_at", "ended_at", "dialogue",
                                                             "card_opened_at")}
    values["customer_reached"] = form.get(PREFIX + "customer_reached") == "yes"
    return values


def dial_links(card: dict) -> dict:
    """number -> what the telephony provider opens to dial it (tel:, sip:, a softphone's URL)."""
    customer_id, links = card["id"], {}
    wanted = [(line["number"], f"customers/{customer_id}/lines/{line['id']}/dial") for line in card.get("lines", [])]
    wanted += [(phone, f"customers/{customer_id}/contacts/{contact['id']}/dial/{index}")
               for contact in card.get("contacts", []) for index, phone in enumerate(contact.get("phones", []))]
    # all asked at once; a number on a line and a contact takes its first link that answers, as before
    started = [(number, g.api.get_soon(path)) for number, path in wanted[:MAX_DIALS]]
    for number, link in started:
        if number in links:
            continue
        answer = link.result()
        if answer.ok:
            links[number] = answer.body["action"]
    return links


def start_panel_reads(customer_id: str, *, panel: dict | None = None) -> dict:
    """panel_context's reads, started at once: the saved interaction being written (when it is not
    given), and the catalogues."""
    panel = panel or {}
    interaction_id = panel.get("interaction_id") or request.args.get("interaction")
    reads_interaction = panel.get("interaction") is None and interaction_id
    return {"interaction": g.api.get_soon(f"customers/{customer_id}/interactions/{interaction_id}")
            if reads_interaction else None,
            "reasons": g.api.every_soon("customers/interaction-reasons"),
            "points": g.api.every_soon("customers/contact-points")}


def panel_context(card: dict, reads: dict, *, panel: dict | None = None) -> dict:
    """What the card's interaction panel shows: the interaction being written (saved or not), the
    catalogues, what the chosen reason brings and the click-to-call links; ``reads`` from
    start_panel_reads."""
    panel = dict(panel or {})
    interaction = panel.get("interaction")
    if reads["interaction"] is not None:
        answer = reads["interaction"].result()
        if answer.ok:
            interaction = answer.body
    values = panel.get("values") or (values_of(interaction) if interaction else fresh_values())
    reasons, points = reads["reasons"].result(), reads["points"].result()
    material = panel.get("material")
    if material is None and values.get("reason_id"):
        if interaction and str(interaction.get("reason_id") or "") == values["reason_id"]:
            material = {key: interaction.get(key) for key in ("reason", "macros", "articles")}
        else:
            answer = g.api.get(f"customers/{card['id']}/interaction-reasons/{values['reason_id']}")
            material = answer.body if answer.ok else None
    return {
        "interaction": interaction, "values": values, "errors": panel.get("errors", {}),
        "problem": panel.get("problem"), "material": material,
        "reasons": offered_reasons(reasons.body if reasons.ok else []),
        "contact_points": [p for p in (points.body if points.ok else []) if not p.get("is_retired")],
        "dials": dial_links(card), "next_values": panel.get("next_values", {}),
    }


# -- writing ----------------------------------------------------------------------------------
def _body(values: dict, errors: dict) -> dict:
    """The API body of the form; a dialogue length that is not minutes[:seconds] is refused here."""
    body = {name: values[name].strip() for name in TEXT_FIELDS}
    body |= {"direction": values["direction"], "channel": values["channel"],
             "line_id": blank_to_none(values["line_id"]), "contact_point_id": blank_to_none(values["contact_point_id"]),
             "reason_id": blank_to_none(values["reason_id"]), "started_at": local_instant(values["started_at"]),
             "ended_at": local_instant(values["ended_at"]), "card_opened_at": blank_to_none(values["card_opened_at"])}
    if body["started_at"] is None:
        body.pop("started_at")
    dialogue = values["dialogue"].strip()
    if dialogue:
        match = DIALOGUE.match(dialogue)
        if match and int(match[2] or 0) < 60:
            body["dialogue_seconds"] = int(match[1]) * 60 + int(match[2] or 0)
        else:
            errors[PREFIX + "dialogue"] = [_("Type minutes and seconds, such as 4:30.")]
    else:
        body["dialogue_seconds"] = None
    if not values["customer_reached"]:
        body = {name: value for name, value in body.items() if name in ATTEMPT_FIELDS}
    return body


def _errors_of(answer) -> tuple[dict, str | None]:
    """The API's field errors under the panel's field names, or the problem in one sentence."""
    errors = {PREFIX + ("dialogue" if name == "dialogue_seconds" else name): messages
              for name, messages in answer.field_errors.items()}
    if answer.status == 412:
        return errors, _("Someone else changed this interaction a moment ago. Your text is still in the form; "
                         "check it against what they saved and save again.")
    return errors, (None if errors else problem_text(answer))


def _find_contract(text: str) -> tuple[str | None, str | None]:
    """Seed 004's "new" for another contract: the customer whose code the agent typed."""
    code = text.strip()
    answer = g.api.get("customers/search", q=code, by="code", per_page=5)
    found = [item for item in (answer.body or {}).get("items", []) if item["code"].casefold() == code.casefold()] \
        if answer.ok else []
    if len(found) != 1:
        return None, _("No customer you can reach has this code.")
    return found[0]["id"], None


def _again(customer_id: str, *, values: dict, errors: dict | None = None, problem: str | None = None,
           interaction_id: str | None = None, material: dict | None = None, status: int = 422,
           next_values: dict | None = None):
    from gateway.console.front_office import render_card

    return render_card(customer_id, status=status, panel={
        "values": values, "errors": errors or {}, "problem": problem, "interaction_id": interaction_id,
        "material": material, "next_values": next_values or {}})


def _show(customer_id: str, interaction_id: str, message: str):
    flash(message, "success")
    return redirect(url_for("console.customer_card", customer_id=customer_id, interaction=interaction_id,
                            _anchor="interaction"))


@blp.post("/customers/<uuid:customer_id>/interaction")
def record_interaction(customer_id):
    """One form, the button says what to do: ``apply_reason``, ``macro``, ``save``, ``close``, ``new``."""
    customer_id, form = str(customer_id), request.form
    values = posted_values()
    interaction_id = blank_to_none(form.get("interaction_id"))
    etag = form.get("etag") or None
    if "apply_reason" in form or "macro" in form:
        return _fill(customer_id, values, interaction_id)
    errors: dict = {}
    body = _body(values, errors)
    next_values = {"line_id": form.get("next_line_id", ""), "contract": form.get("next_contract", "")}
    if errors:
        return _again(customer_id, values=values, errors=errors, interaction_id=interaction_id,
                      next_values=next_values)
    if interaction_id is None:
        closing = "close" in form or not values["customer_reached"]
        answer = g.api.call("POST", f"customers/{customer_id}/interactions",
                            json=body | {"customer_reached": values["customer_reached"], "close": closing})
        if not answer.ok:
            errors, problem = _errors_of(answer)
            return _again(customer_id, values=values, errors=errors, problem=problem, next_values=next_values)
        interaction_id, etag = answer.body["id"], answer.etag
        number = answer.body["number"]
        if not values["customer_reached"]:
            return _show(customer_id, interaction_id,
                         _("Call attempt %(number)s recorded: only the time, the channel and the number dialled "
                           "are kept.", number=number))
        if closing:
            return _show(customer_id, interaction_id, _("Interaction %(number)s saved and closed.", number=number))
    else:
        answer = g.api.call("PATCH", f"customers/{customer_id}/interactions/{interaction_id}", json=body,
                            if_match=etag)
        if not answer.ok:
            errors, problem = _errors_of(answer)
            return _again(customer_id, values=values, errors=errors, problem=problem, interaction_id=interaction_id,
                          next_values=next_values)
        etag, number = answer.etag, answer.body["number"]
        if "close" in form:
            answer = g.api.call("POST", f"customers/{customer_id}/interactions/{interaction_id}/close", if_match=etag)
            if not answer.ok:
                errors, problem = _errors_of(answer)
                return _again(customer_id, values=values, errors=errors, problem=problem,
                              interaction_id=interaction_id)
            return _show(customer_id, interaction_id, _("Interaction %(number)s closed.", number=number))
    if "new" in form:
        return _next(customer_id, interaction_id, etag, values, next_values)
    return _show(customer_id, interaction_id,
                 _("Interaction %(number)s saved. Colleagues who open this card see it now.", number=number))


def _fill(customer_id: str, values: dict, interaction_id: str | None):
    """Choosing a reason brings its script, macros and articles; a macro adds its text, filled in for
    this customer by the API, to the comment. Nothing is saved yet."""
    material = None
    if values["reason_id"]:
        answer = g.api.get(f"customers/{customer_id}/interaction-reasons/{values['reason_id']}")
        if answer.status in (403, 404):
            return _again(customer_id, values=values, interaction_id=interaction_id,
                          errors={PREFIX + "reason_id": [_("Choose a reason from the list.")]})
        material = answer.body if answer.ok else None
    macro_id = request.form.get("macro")
    if macro_id and material:
        macro = next((m for m in material["macros"] if str(m["id"]) == macro_id), None)
        if macro is not None:
            comments = values["comments"].rstrip()
            values["comments"] = f"{comments}\n{macro['text']}" if comments else macro["text"]
    return _again(customer_id, values=values, interaction_id=interaction_id, material=material, status=200)


def _next(customer_id: str, interaction_id: str, etag: str | None, values: dict, next_values: dict):
    """Close this one (its reason chosen) and open the next for another line or contract."""
    target = customer_id
    if next_values["contract"].strip():
        target, problem = _find_contract(next_values["contract"])
        if target is None:
            return _again(customer_id, values=values, interaction_id=interaction_id, next_values=next_values,
                          errors={"next_contract": [problem]})
    body = {"direction": values["direction"], "channel": values["channel"],
            "contact_point_id": blank_to_none(values["contact_point_id"]),
            "contact_person": values["contact_person"].strip(),
            "card_opened_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if target != customer_id:
        body["customer_id"] = target
    elif blank_to_none(next_values["line_id"]):
        body["line_id"] = next_values["line_id"]
    answer = g.api.call("POST", f"customers/{customer_id}/interactions/{interaction_id}/next", json=body,
                        if_match=etag)
    if not answer.ok:
        errors, problem = _errors_of(answer)
        if PREFIX + "customer_id" in errors:  # the contract went out of reach since it was found
            errors["next_contract"] = errors.pop(PREFIX + "customer_id")
        return _again(customer_id, values=values, errors=errors, problem=problem, interaction_id=interaction_id,
                      next_values=next_values)
    closed, opened = answer.body["closed"], answer.body["opened"]
    return _show(opened["customer_id"], opened["id"],
                 _("Interaction %(closed)s closed; interaction %(opened)s opened.", closed=closed["number"],
                   opened=opened["number"]))


@blp.get("/prospect")
def prospect():
    """The prospect "0": the card where a caller who is not a customer is recorded."""
    answer = g.api.get("customers/search", q="0", by="code", per_page=5)
    found = [item for item in (answer.body or {}).get("items", []) if item["code"] == "0"] if answer.ok else []
    if not found:
        abort(404)
    return redirect(url_for("console.customer_card", customer_id=found[0]["id"],
                            caller=request.args.get("number") or None, _anchor="interaction"))


@blp.get("/articles/<uuid:article_id>")
def article(article_id):
    """A knowledge article of a reason (seed 004's Infocentre), to read beside the card."""
    answer = g.api.get(f"customers/knowledge-articles/{article_id}")
    if answer.status in (403, 404):
        abort(404)
    if not answer.ok:
        abort(answer.status)
    return render_template("article.html", article=answer.body, back=safe_next(request.args.get("back"), url_for("console.desk")))
