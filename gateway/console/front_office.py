"""Front office: the desk, customer search, the telephony link, the customer card with its edits,
and creating a case with the case type's form."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from gateway.console.blueprint import blp
from gateway.console.card_sections import card_sections, followup_people, start_section_reads
from gateway.console.forms import INPUT_TYPES, blank_to_none, case_errors, custom_values, local_instant
from gateway.console.i18n import chosen_time_zone
from gateway.console.inbox import start_unread_count
from gateway.console.interactions import panel_context, start_panel_reads
from gateway.console.words import CONSENT_CHANNELS, OFFER_CHANNELS, OFFER_OUTCOMES, problem_text

SEARCH_PAGE_SIZE = 20
MASTER_FIELDS = ("name", "status", "country", "tax_number", "region", "language", "address", "phone", "phone2",
                 "email", "description")
TEXT_FIELDS = ("name", "region", "address", "description")  # never null: an emptied one is ""
ACKNOWLEDGED_KEEP = 200
# Taken out of the customer into parts of their own by the composed card (gateway.cards).
COMPOSED_LISTS = ("flashes", "lines", "contacts", "latest_interactions")


def _or_404(answer):
    if answer.status in (403, 404):
        abort(404)
    return answer


@blp.get("/desk")
def desk():
    start_unread_count()
    started_statistics = g.api.every_soon("queues/statistics")
    folder = g.api.get("cases/folder", per_page=5, sort="priority")
    statistics = started_statistics.result()
    return render_template("desk.html", folder=folder.body if folder.ok else None,
                           queues=statistics.body if statistics.ok else [])


@blp.get("/search")
def search():
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    if not query:
        return render_template("search.html", query="", results=None)
    answer = g.api.get("customers/search", q=query, page=page, per_page=SEARCH_PAGE_SIZE)
    if not answer.ok:
        return render_template("search.html", query=query, results=None, errors=answer.field_errors), 422
    results = answer.body
    if results["total"] == 1 and page == 1:
        return redirect(url_for("console.customer_card", customer_id=results["items"][0]["id"]))
    return render_template("search.html", query=query, results=results)


@blp.get("/call")
def caller():
    """The telephony link: ``/call?number=<caller>`` shows the card of the one customer it belongs to
    at once, composed by the gateway in one call."""
    number = request.args.get("number", "").strip()
    answer = g.api.get("customer-cards", caller=number) if number else None
    if answer is not None and answer.ok:
        return render_card(answer.body["id"], composed=answer.body, caller=number)
    if answer is not None and answer.status >= 500:
        abort(answer.status)
    matches = (answer.body or {}).get("matches", []) if answer is not None and answer.status == 409 else []
    return render_template("caller.html", number=number, matches=matches), 404 if not matches else 409


def _card(customer_id: str):
    answer = _or_404(g.api.get(f"customers/{customer_id}"))
    if not answer.ok:
        abort(answer.status)
    return answer.body, answer.etag


def _may_edit(card: dict) -> bool:
    """The customers API's rule (seed 003): level 1-2, or the customer's own salesperson; never the
    prospect. The console only hides what the API would refuse; the API still decides."""
    user = g.user
    return not card.get("is_prospect") and (user["level"] in (1, 2) or card.get("salesperson_id") == user["id"])


def composed_card(started) -> dict:
    """The card in one call (GET /customer-cards/{id}, ``started`` with get_soon): the gateway asks
    every service at once with this user's token; a part whose service is down comes back marked
    unavailable."""
    answer = _or_404(started.result())
    if not answer.ok:
        abort(answer.status)
    return answer.body


def _available(composed: dict, name: str):
    """A part of the composed card, or None when the gateway marked it unavailable."""
    part = composed.get(name)
    return None if isinstance(part, dict) and part.get("unavailable") else part


def render_card(customer_id: str, *, status: int = 200, form_values: dict | None = None, errors: dict | None = None,
                stale: bool = False, section_errors: dict | None = None, panel: dict | None = None,
                composed: dict | None = None, caller: str | None = None, followup_search: bool = False):
    # Every read of the page but those that depend on another's answer starts at once, beside the
    # composed card: the page waits for the slowest, not for their sum.
    started_card = None if composed else g.api.get_soon(f"customer-cards/{customer_id}")
    start_unread_count()
    period = request.args.get("history")
    started_history = g.api.get_soon(
        f"customers/{customer_id}/history", period=period, tz=chosen_time_zone(),
        **{"from": request.args.get("from"), "to": request.args.get("to")}) if period else None
    started_notes = g.api.get_soon(f"customers/{customer_id}/notes", per_page=10)
    panel_reads, section_reads = start_panel_reads(customer_id, panel=panel), start_section_reads(customer_id)
    composed = composed or composed_card(started_card)
    card = composed["customer"] | {name: composed.get(name, []) for name in COMPOSED_LISTS}
    etag = f'"{card["version"]}"' if "version" in card else None
    acknowledged = set(session.get("acknowledged_flashes", []))
    history = started_history.result() if started_history else None
    notes = started_notes.result()
    panel_data = panel_context(card, panel_reads, panel=panel)
    unavailable = [composed[name] | {"part": name} for name in composed.get("unavailable_parts", [])]
    return render_template(
        "card.html", card=card, etag=etag, may_edit=_may_edit(card), saved={name: card.get(name) for name in MASTER_FIELDS},
        unacknowledged=[f for f in card["flashes"] if f["is_active"] and f["id"] not in acknowledged],
        values=form_values or {name: card.get(name) for name in MASTER_FIELDS}, errors=errors or {},
        section_errors=section_errors or {}, stale=stale, history=history, period=period,
        cases=_available(composed, "open_cases"), caller=caller or request.args.get("caller"),
        unavailable_parts=unavailable, notes=notes.body if notes.ok else None, panel=panel_data,
        **card_sections(card, section_reads, finance=_available(composed, "financial_summary"),
                        consents=_available(composed, "consents"), offers=_available(composed, "offers")),
        followup_search=followup_search, **followup_people(panel_data["interaction"], searching=followup_search),
        consent_channels=CONSENT_CHANNELS, offer_channels=OFFER_CHANNELS, offer_outcomes=OFFER_OUTCOMES,
    ), status


@blp.get("/customers/<uuid:customer_id>")
def customer_card(customer_id):
    return render_card(str(customer_id))


@blp.post("/customers/<uuid:customer_id>/flashes/acknowledge")
def acknowledge_flashes(customer_id):
    """Seed 004: the urgent notes are read before anything else; the banner stays until then."""
    acknowledged = session.get("acknowledged_flashes", []) + request.form.getlist("flash_id")
    session["acknowledged_flashes"] = acknowledged[-ACKNOWLEDGED_KEEP:]
    return redirect(url_for("console.customer_card", customer_id=customer_id))


@blp.post("/customers/<uuid:customer_id>")
def update_customer(customer_id):
    """Master data with If-Match, sending only what the user changed since the page was read (the
    ``was_`` fields); when someone else saved first, the fresh card shows with those changes kept."""
    typed = {name: request.form[name].strip() for name in MASTER_FIELDS if name in request.form}
    changed = {name: value for name, value in typed.items() if value != request.form.get(f"was_{name}", "").strip()}
    if not changed:
        flash(_("Nothing changed."), "info")
        return redirect(url_for("console.customer_card", customer_id=customer_id))
    body = {name: value if name in TEXT_FIELDS else blank_to_none(value) for name, value in changed.items()}
    answer = g.api.call("PATCH", f"customers/{customer_id}", json=body, if_match=request.form.get("etag"))
    if answer.ok:
        flash(_("Customer saved."), "success")
        return redirect(url_for("console.customer_card", customer_id=customer_id))
    card, _etag = _card(str(customer_id))
    kept = {name: card.get(name) for name in MASTER_FIELDS} | changed
    if answer.status == 412:
        return render_card(str(customer_id), status=409, form_values=kept, stale=True)
    return render_card(str(customer_id), status=422, form_values=kept, errors=answer.field_errors or {"_": [answer.detail]})


def _card_part(customer_id, method: str, path: str, body: dict | None, done: str, section: str):
    """A write on a part of the card (phone, contact, flash): the card's ETag goes along."""
    answer = g.api.call(method, f"customers/{customer_id}/{path}", json=body, if_match=request.form.get("etag"))
    if answer.status == 412:
        flash(_("Someone else changed this customer a moment ago. The card below shows the saved data; "
                "please repeat your change."), "error")
        return redirect(url_for("console.customer_card", customer_id=customer_id))
    if not answer.ok:
        return render_card(str(customer_id), status=422,
                           section_errors={section: answer.field_errors or {"_": [answer.detail]}})
    flash(done, "success")
    return redirect(url_for("console.customer_card", customer_id=customer_id, _anchor=section))


@blp.post("/customers/<uuid:customer_id>/phones")
def add_phone(customer_id):
    body = {"label": request.form.get("label", "").strip(), "number": request.form.get("number", "").strip()}
    return _card_part(customer_id, "POST", "phones", body, _("Phone added."), "phones")


@blp.post("/customers/<uuid:customer_id>/phones/<uuid:phone_id>/remove")
def remove_phone(customer_id, phone_id):
    return _card_part(customer_id, "DELETE", f"phones/{phone_id}", None, _("Phone removed."), "phones")


@blp.post("/customers/<uuid:customer_id>/contacts")
def add_contact(customer_id):
    form = request.form
    body = {"name": form.get("name", "").strip(), "role": form.get("role", "").strip(),
            "phones": [p.strip() for p in form.getlist("phones") if p.strip()],
            "email": blank_to_none(form.get("email")), "receives_notices": "receives_notices" in form}
    return _card_part(customer_id, "POST", "contacts", body, _("Contact added."), "contacts")


@blp.post("/customers/<uuid:customer_id>/flashes")
def add_flash(customer_id):
    form = request.form
    body = {"text": form.get("text", "").strip(), "ends_at": local_instant(form.get("ends_at")),
            "line_id": blank_to_none(form.get("line_id"))}
    return _card_part(customer_id, "POST", "flashes", body, _("Flash added."), "flashes")


@blp.post("/customers/<uuid:customer_id>/notes")
def write_note(customer_id):
    """Seed 001's note: what was done, where, and what comes next."""
    form = request.form
    body = {"text": form.get("text", "").strip(), "location": form.get("location", "").strip(),
            "next_treatment": form.get("next_treatment", "").strip()}
    answer = g.api.call("POST", f"customers/{customer_id}/notes", json=body)
    if not answer.ok:
        return render_card(str(customer_id), status=422,
                           section_errors={"notes": answer.field_errors or {"_": [answer.detail]}})
    flash(_("Note saved."), "success")
    return redirect(url_for("console.customer_card", customer_id=customer_id, _anchor="notes"))


@blp.post("/customers/<uuid:customer_id>/notes/<uuid:note_id>/delete")
def delete_note(customer_id, note_id):
    """Only level 1 with the permission; the API decides and keeps the deleted note readable."""
    answer = g.api.call("DELETE", f"customers/{customer_id}/notes/{note_id}",
                        if_match=f'"{request.form.get("version", "")}"')
    flash(_("Note deleted.") if answer.ok else problem_text(answer), "success" if answer.ok else "error")
    return redirect(url_for("console.customer_card", customer_id=customer_id, _anchor="notes"))


@blp.post("/customers/<uuid:customer_id>/lines/<uuid:line_id>/pin")
def verify_pin(customer_id, line_id):
    answer = g.api.call("POST", f"customers/{customer_id}/lines/{line_id}/pin/verify",
                        json={"pin": request.form.get("pin", "").strip()})
    if answer.ok:
        flash(_("The PIN is correct.") if answer.body["valid"] else _("The PIN does not match."),
              "success" if answer.body["valid"] else "error")
    else:
        flash(_("The PIN could not be checked: %(reason)s", reason=problem_text(answer)), "error")
    return redirect(url_for("console.customer_card", customer_id=customer_id, _anchor=f"line-{line_id}"))


# -- creating a case ---------------------------------------------------------------------------
def _case_types() -> list[dict]:
    answer = g.api.every("case-types")
    return [t for t in (answer.body if answer.ok else []) if t.get("is_active", True)]


def render_new_case(customer_id: str, *, values: dict | None = None, errors: dict | None = None, status: int = 200):
    card, _etag = _card(customer_id)
    types = _case_types()
    chosen = next((t for t in types if t["code"] == (values or {}).get("type", request.args.get("type"))), None)
    if chosen is None and len(types) == 1:
        chosen = types[0]
    return render_template("case_new.html", card=card, types=types, chosen=chosen, values=values or {},
                           errors=errors or {}, input_types=INPUT_TYPES), status


@blp.get("/customers/<uuid:customer_id>/cases/new")
def new_case(customer_id):
    return render_new_case(str(customer_id))


@blp.post("/customers/<uuid:customer_id>/cases")
def create_case(customer_id):
    form = request.form
    types = {t["code"]: t for t in _case_types()}
    chosen = types.get(form.get("type", ""))
    if "choose_type" in form or chosen is None:
        return render_new_case(str(customer_id), values=dict(form))
    body = {"customer_id": str(customer_id), "type": chosen["code"], "subject": form.get("subject", "").strip(),
            "description": form.get("description", "").strip(), "priority": blank_to_none(form.get("priority")),
            "line": blank_to_none(form.get("line")), "custom_fields": custom_values(chosen["form"], form)}
    answer = g.api.call("POST", "cases", json=body)
    if not answer.ok:
        errors = case_errors(answer)
        return render_new_case(str(customer_id), values=dict(form), errors=errors, status=422)
    case = answer.body
    if "dispatch" in form:
        return dispatch_and_show(case["id"], case["version"])
    flash(_("Case %(number)s saved as a draft.", number=case["number"]), "success")
    return redirect(url_for("console.case_page", case_id=case["id"]))


def dispatch_and_show(case_id: str, version) -> object:
    answer = g.api.call("POST", f"cases/{case_id}/dispatch", if_match=f'"{version}"' if version else None)
    if answer.status == 422 and (answer.body or {}).get("missing_fields"):
        flash(_("The case was saved but not dispatched: fill in the fields marked in red first."), "error")
    elif answer.ok:
        flash(_("Case %(number)s dispatched to the queue %(queue)s.", number=answer.body["number"],
                queue=answer.body["queue"]["name"]), "success")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.case_page", case_id=case_id))
