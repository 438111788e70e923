"""My account, for everyone: language, time zone and notification channels; the outgoing mail account
with "send me a test" (seed 001: reminders leave from the collections agent's own mailbox); the
personal calendar feed's address, to copy or regenerate (seed 003). Over the notifications API.

The language and time zone are kept on the user in the gateway's directory (PATCH /auth/me), so they
follow the user to any browser: sign-in takes them from there, before this browser's cookie or the
zone the browser reports."""
from __future__ import annotations

from zoneinfo import available_timezones

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from gateway.console.blueprint import blp
from gateway.console.i18n import LANGUAGE_COOKIE, LANGUAGES, TIME_ZONE_COOKIE, chosen_time_zone, valid_time_zone
from gateway.console.words import problem_text

ONE_YEAR = 365 * 24 * 3600
SECURITY = ("starttls", "tls", "none")
MAILBOX_FIELDS = ("host", "port", "security", "username", "password", "sender", "sender_name")
ZONES = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(("Etc/", "SystemV/")))


def render_account(*, status: int = 200, preference_errors: dict | None = None, mailbox_errors: dict | None = None,
                   mailbox_values: dict | None = None):
    preferences = g.api.get("notifications/preferences/me")
    mailbox = g.api.get("notifications/account/mailbox")
    feed = g.api.get("notifications/calendar/feeds/me")
    saved_mailbox = mailbox.body if mailbox.ok else None
    return render_template(
        "account.html", preferences=preferences.body if preferences.ok else {"language": None, "email": True},
        preferences_ok=preferences.ok, mailbox=saved_mailbox,
        mailbox_values=mailbox_values or saved_mailbox or {"port": 587, "security": "starttls"},
        feed=feed.body if feed.ok else None, feed_url=_feed_url(feed.body) if feed.ok else None,
        zones=ZONES, time_zone=chosen_time_zone(), security=SECURITY,
        preference_errors=preference_errors or {}, mailbox_errors=mailbox_errors or {}), status


def _feed_url(feed: dict) -> str:
    """The feed at the address this browser reaches the gateway by (the API's own URL is built from a
    configured public address that may name another host)."""
    return request.host_url.rstrip("/") + feed["path"]


@blp.get("/account")
def account():
    return render_account()


@blp.post("/account/preferences")
def save_preferences():
    """Language (the console's and that of the messages Caredesk sends me), time zone and whether
    notices also come by e-mail (the in-app inbox always gets them)."""
    form = request.form
    language, zone = form.get("language", ""), form.get("time_zone", "")
    errors = {}
    if valid_time_zone(zone) is None:
        errors["time_zone"] = [_("Choose a time zone from the list.")]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose one of the languages.")]
    if errors:
        return render_account(status=422, preference_errors=errors)
    held = g.api.get("notifications/preferences/me")  # the version this form replaces (If-Match)
    answer = g.api.call("PUT", "notifications/preferences/me", json={"language": language, "email": "email" in form},
                        if_match=held.etag if held.ok else None)
    if not answer.ok:
        return render_account(status=422, preference_errors=answer.field_errors or {"_": [problem_text(answer)]})
    me = g.api.get("auth/me")
    kept = g.api.call("PATCH", "auth/me", json={"language": language, "time_zone": zone}, if_match=me.etag) if me.ok else me
    if not kept.ok:
        return render_account(status=422 if kept.status < 500 else kept.status,
                              preference_errors=kept.field_errors or {"_": [problem_text(kept)]})
    session.update(lang=language, tz=zone)
    g.api.language = language
    response = redirect(url_for("console.account", _anchor="preferences"))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    response.set_cookie(TIME_ZONE_COOKIE, zone, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    with force_locale(language):  # the confirmation in the language just chosen
        flash(_("Your preferences are saved."), "success")
    return response


@blp.post("/account/mailbox")
def save_mailbox():
    """The outgoing mail account; an empty password keeps the one stored (it is never shown)."""
    form = request.form
    values = {name: form.get(name, "").strip() for name in MAILBOX_FIELDS}
    body = {"host": values["host"], "port": int(values["port"]) if values["port"].isdigit() else values["port"] or None,
            "security": values["security"], "username": values["username"], "sender": values["sender"],
            "sender_name": values["sender_name"], "password": form.get("password") or None}
    answer = g.api.call("PUT", "notifications/account/mailbox", json=body,
                        if_match=form.get("etag") or None)  # the version the form showed; none: a new one
    if not answer.ok:
        values.pop("password")
        return render_account(status=422, mailbox_values=values,
                              mailbox_errors=answer.field_errors or {"_": [problem_text(answer)]})
    flash(_("Your mail account is saved. Send yourself a test to check it."), "success")
    return redirect(url_for("console.account", _anchor="mailbox"))


@blp.post("/account/mailbox/test")
def test_mailbox():
    answer = g.api.call("POST", "notifications/account/mailbox/test")
    if answer.ok and answer.body["ok"]:
        flash(_("A test message went to %(address)s. The mail server said: %(answer)s",
                address=answer.body["to"], answer=answer.body["answer"]), "success")
    elif answer.ok:
        flash(_("The test message could not be sent to %(address)s. The mail server said: %(answer)s",
                address=answer.body["to"], answer=answer.body["answer"]), "error")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.account", _anchor="mailbox"))


@blp.post("/account/mailbox/delete")
def delete_mailbox():
    answer = g.api.call("DELETE", "notifications/account/mailbox", if_match=request.form.get("etag") or None)
    flash(_("Your mail account is removed.") if answer.ok else problem_text(answer),
          "success" if answer.ok else "error")
    return redirect(url_for("console.account", _anchor="mailbox"))


@blp.post("/account/feed")
def make_feed():
    """Make my calendar feed, or (``regenerate``) give it a new address: the old one stops at once."""
    regenerate = "regenerate" in request.form
    answer = g.api.call("POST", "notifications/calendar/feeds/me" + ("/regenerate" if regenerate else ""))
    if answer.ok:
        flash(_("Your calendar feed has a new address; the old one no longer works. Give the new one to your "
                "calendar application.") if regenerate else
              _("Your calendar feed is ready. Copy its address into your calendar application."), "success")
    else:
        flash(problem_text(answer), "error")
    return redirect(url_for("console.account", _anchor="feed"))
