"""The customer card's further sections over the customers API: the financial summary (seed 004's
"Fin. info"), attachments (upload, list, download), consents in force with a change recorded, offers
made (target marketing), and follow-ups scheduled from an interaction (seed 002)."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _

from gateway.console.blueprint import blp
from gateway.console.forms import blank_to_none
from gateway.console.i18n import chosen_time_zone, when
from gateway.console.words import problem_text

ATTACHMENTS_SHOWN = 20
CONSENT_HISTORY_SHOWN = 20
DOWNLOAD_CHUNK = 64 * 1024
# Headers of a file download passed from the customers service to the browser.
DOWNLOAD_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "ETag", "X-Content-Type-Options")


def start_section_reads(customer_id: str) -> dict:
    """card_sections' reads, started at once: the attachments and their types, and on demand the
    consents' history."""
    return {"attachments": g.api.get_soon(f"customers/{customer_id}/attachments", per_page=ATTACHMENTS_SHOWN),
            "types": g.api.every_soon("customers/attachment-types"),
            "consent_history": g.api.get_soon(
                f"customers/{customer_id}/consents/history", per_page=CONSENT_HISTORY_SHOWN,
                page=request.args.get("consents_page", 1, type=int))
            if request.args.get("consents") == "history" else None}


def card_sections(card: dict, reads: dict, *, finance: dict | None, consents: dict | None,
                  offers: dict | None) -> dict:
    """What the card shows beyond the composed card's parts (given here; None when unavailable): the
    attachments and their types, and on demand the consents' history (``reads`` from
    start_section_reads); a call that fails leaves its section saying so rather than failing the card."""
    customer_id = card["id"]
    attachments, types = reads["attachments"].result(), reads["types"].result()
    consent_history = reads["consent_history"].result() if reads["consent_history"] is not None else None
    states = (consents or {}).get("items", [])
    if consents is not None and consents.get("total", 0) > len(states):
        # more than the card's one page (200): the rest, rather than a card missing some
        more = g.api.every(f"customers/{customer_id}/consents")
        states = more.body if more.ok else states
    return {
        "finance": finance,
        "attachments": attachments.body if attachments.ok else None,
        "attachment_types": [t for t in types.body or [] if t["is_selectable"] and not t["is_retired"]]
        if types.ok else [],
        "consents": states if consents is not None else None,
        "consent_kinds": list({state["kind"]: state for state in states}.values()),
        "consent_history": consent_history,
        "offers": offers,
    }


def _back(customer_id, section: str, **args):
    return redirect(url_for("console.customer_card", customer_id=customer_id, _anchor=section, **args))


def _refused(customer_id, section: str, answer, **panel):
    """The card again with the API's field errors shown at the fields of the section's form."""
    from gateway.console.front_office import render_card

    errors = answer.field_errors or {"_": [problem_text(answer)]}
    return render_card(str(customer_id), status=422 if answer.status < 500 else answer.status,
                       section_errors={section: errors}, **panel)


# -- attachments ------------------------------------------------------------------------------
@blp.post("/customers/<uuid:customer_id>/attachments")
def upload_attachment(customer_id):
    form = request.form
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        from gateway.console.front_office import render_card

        return render_card(str(customer_id), status=422,
                           section_errors={"attachments": {"file": [_("Choose a file to upload.")]}})
    data = {"type_id": form.get("type_id", ""), "description": form.get("description", "").strip()}
    if blank_to_none(form.get("interaction_id")):
        data["interaction_id"] = form["interaction_id"]
    answer = g.api.upload(f"customers/{customer_id}/attachments", data=data, file=upload)
    if answer.status == 413:
        from gateway.console.front_office import render_card

        return render_card(str(customer_id), status=413,
                           section_errors={"attachments": {"file": [_("This file is larger than the limit.")]}})
    if not answer.ok:
        return _refused(customer_id, "attachments", answer)
    flash(_("File %(name)s attached.", name=answer.body["filename"]), "success")
    return _back(customer_id, "attachments")


@blp.get("/customers/<uuid:customer_id>/attachments/<uuid:attachment_id>")
def download_attachment(customer_id, attachment_id):
    """The file from the customers service, passed to the browser chunk by chunk as it arrives."""
    upstream = g.api.stream(f"customers/{customer_id}/attachments/{attachment_id}/content")
    if upstream.status_code >= 400:
        upstream.close()
        abort(404 if upstream.status_code in (403, 404) else upstream.status_code)
    return pass_on(upstream)


def pass_on(upstream) -> Response:
    def chunks():
        with upstream:
            yield from upstream.iter_content(DOWNLOAD_CHUNK)

    headers = {name: upstream.headers[name] for name in DOWNLOAD_HEADERS if name in upstream.headers}
    headers["Cache-Control"] = "private, no-store"
    return Response(stream_with_context(chunks()), headers=headers, direct_passthrough=True)


# -- consents ---------------------------------------------------------------------------------
@blp.post("/customers/<uuid:customer_id>/consents")
def record_consent(customer_id):
    form = request.form
    granted = {"yes": True, "no": False}.get(form.get("granted", ""))
    body = {"kind": form.get("kind", ""), "contact_id": blank_to_none(form.get("contact_id")),
            "granted": granted, "channel": form.get("channel", ""), "note": form.get("note", "").strip()}
    answer = g.api.call("POST", f"customers/{customer_id}/consents", json=body)
    if not answer.ok:
        return _refused(customer_id, "consents", answer)
    flash(_("Consent given and recorded.") if granted else _("Consent withdrawn and recorded."), "success")
    return _back(customer_id, "consents")


# -- offers -----------------------------------------------------------------------------------
@blp.post("/customers/<uuid:customer_id>/offers")
def record_offer(customer_id):
    form = request.form
    body = {"campaign": form.get("campaign", "").strip(), "product": form.get("product", "").strip(),
            "offered_on": blank_to_none(form.get("offered_on")), "channel": form.get("channel", ""),
            "outcome": form.get("outcome") or "pending", "note": form.get("note", "").strip()}
    answer = g.api.call("POST", f"customers/{customer_id}/offers", json=body)
    if not answer.ok:
        return _refused(customer_id, "offers", answer)
    flash(_("Offer recorded."), "success")
    return _back(customer_id, "offers")


@blp.post("/customers/<uuid:customer_id>/offers/<uuid:offer_id>")
def change_offer(customer_id, offer_id):
    """The outcome learnt later (If-Match: the offer's version read with the card)."""
    answer = g.api.call("PATCH", f"customers/{customer_id}/offers/{offer_id}",
                        json={"outcome": request.form.get("outcome", "")},
                        if_match=f'"{request.form.get("version", "")}"')
    if answer.status == 412:
        flash(_("Someone else changed this offer a moment ago. The card below shows the saved outcome; "
                "please repeat your change."), "error")
    elif answer.ok:
        flash(_("Offer outcome saved."), "success")
    else:
        flash(problem_text(answer), "error")
    return _back(customer_id, "offers")


# -- follow-ups -------------------------------------------------------------------------------
def directory_people() -> list[dict]:
    """The users this user may invite or copy: the active ones of the directory within their reach."""
    answer = g.api.every("directory/users")
    users = answer.body if answer.ok and isinstance(answer.body, list) else []
    return sorted(({"id": u["id"], "full_name": u["full_name"]} for u in users if u.get("is_active")),
                  key=lambda u: u["full_name"].casefold())


PICKER_SIZE = 20


def followup_people(interaction: dict | None, *, searching: bool = False) -> dict:
    """The follow-up form's people (seed 002: colleagues taking part, the supervisor in copy) from the
    directory's people search, within this user's reach: those matching the name typed under "find"
    (accents and case ignored; everyone in reach by name until something is typed), plus those
    already chosen in the form and those of the scheduled follow-ups, so their names show."""
    if not interaction:
        return {"people": [], "picker": {"q": "", "options": []}}
    form = request.form if searching else {}
    q = (form.get("people_q") or "").strip()
    chosen = [*form.getlist("participant_ids"), *form.getlist("copy_ids")] if form else []
    listed = [person for item in interaction.get("followups", [])
              for person in (*item.get("participant_ids", []), *item.get("copy_ids", []))]
    found = g.api.get("directory/users/search", q=q, per_page=PICKER_SIZE)
    options = found.body["items"] if found.ok else []
    wanted = sorted({*chosen, *listed} - {person["id"] for person in options})
    named = g.api.get("directory/users/search", id=wanted, per_page=100, include_inactive="true") if wanted else None
    known = named.body["items"] if named is not None and named.ok else []
    return {"people": options + known,
            "picker": {"q": q, "options": options + [person for person in known if person["id"] in chosen],
                       "found": found.body["total"] if found.ok else None, "searched": bool(q)}}


def followup_body(form) -> dict:
    zone = form.get("time_zone") or chosen_time_zone()
    try:
        minutes = int(form.get("duration_minutes") or 30)
    except ValueError:
        minutes = form.get("duration_minutes")
    return {"date": form.get("date", ""), "time": form.get("time", ""), "time_zone": zone,
            "duration_minutes": minutes, "subject": form.get("subject", "").strip(),
            "location": blank_to_none(form.get("location")),
            "participant_ids": form.getlist("participant_ids"), "copy_ids": form.getlist("copy_ids")}


@blp.post("/customers/<uuid:customer_id>/interactions/<uuid:interaction_id>/followups")
def schedule_followup(customer_id, interaction_id):
    """Seed 002: a call or session agreed with the customer goes into the calendars of the colleagues
    taking part, with the supervisor in copy (the notifications service sends the invitations).
    ``find_people`` only looks people up by name for the form, keeping what was typed."""
    if "find_people" in request.form:
        from gateway.console.front_office import render_card

        return render_card(str(customer_id), panel={"interaction_id": str(interaction_id)}, followup_search=True)
    answer = g.api.call("POST", f"customers/{customer_id}/interactions/{interaction_id}/followups",
                        json=followup_body(request.form))
    if not answer.ok:
        errors = {name.split(".")[0]: messages for name, messages in answer.field_errors.items()}
        from gateway.console.front_office import render_card

        return render_card(str(customer_id), status=422, panel={"interaction_id": str(interaction_id)},
                           section_errors={"followup": errors or {"_": [problem_text(answer)]}}, followup_search=True)
    flash(_("Follow-up scheduled for %(when)s; the invitations are on their way.",
            when=when(answer.body["starts_at"], "short")), "success")
    return redirect(url_for("console.customer_card", customer_id=customer_id, interaction=interaction_id,
                            _anchor="followups"))



@blp.post("/customers/<uuid:customer_id>/interactions/<uuid:interaction_id>/followups/<uuid:followup_id>")
def change_followup(customer_id, interaction_id, followup_id):
    """Move a follow-up to another day or time, or (``cancel``) call it off; everyone invited gets an
    updated invitation or a cancellation. If-Match: the follow-up's version read with the card."""
    form = request.form
    path = f"customers/{customer_id}/interactions/{interaction_id}/followups/{followup_id}"
    version = f'"{form.get("version", "")}"'
    if "cancel" in form:
        answer = g.api.call("POST", path + "/cancel", if_match=version)
        done = _("Follow-up cancelled; everyone invited is told.")
    else:
        body = {"date": form.get("date", ""), "time": form.get("time", ""),
                "time_zone": form.get("time_zone") or chosen_time_zone()}
        answer = g.api.call("PATCH", path, json=body, if_match=version)
        done = _("Follow-up moved to %(when)s; everyone invited gets the new time.",
                 when=when(answer.body["starts_at"], "short")) if answer.ok else ""
    if answer.status == 412:
        flash(_("Someone else changed this follow-up a moment ago. Here it is as they left it; "
                "please repeat your change."), "error")
    elif answer.ok:
        flash(done, "success")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.customer_card", customer_id=customer_id, interaction=interaction_id,
                            _anchor="followups"))
