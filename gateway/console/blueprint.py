"""The console's blueprint: who is signed in, CSRF on every form, the API client of the request,
and the pages shown when the API says the session ended or a service is down."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.console.api_client import Api, ServiceDown, SignedOut
from gateway.console.i18n import chosen_language
from gateway.console.security import csrf_ok, csrf_token

blp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
                static_url_path="/console/static")

# Pages that answer without a session: the sign-in page and what it needs.
ANONYMOUS = {"console.home", "console.sign_in", "console.choose_language", "console.static"}
LEVELS = {1: _l("Whole company"), 2: _l("Own branch"), 3: _l("Own department"), 4: _l("Own records")}
# A file for the customers service may be larger than the gateway's cap on request bodies (2 MiB by
# default): the upload page takes up to the customers service's own default limit, which then decides.
ATTACHMENT_UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024
# Renew the access token this long before it ends, so no call of the page meets an expired one.
RENEW_AHEAD = timedelta(minutes=2)


def signed_in_user() -> dict | None:
    return session.get("user") if session.get("token") else None


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: a sign-in link must not send the user elsewhere."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@blp.before_app_request
def _console_request():
    if request.blueprint != "console":
        return None
    if request.endpoint == "console.upload_attachment":
        request.max_content_length = ATTACHMENT_UPLOAD_LIMIT
    g.user = signed_in_user()
    g.api = Api(token=session.get("token"), language=chosen_language())
    if g.user is not None and request.endpoint != "console.static":
        renew_token_if_due()
    if request.method == "POST" and not csrf_ok():
        return render_template("error.html", title=_("This form has expired"),
                               message=_("The page was open too long or came from somewhere else. "
                                         "Open it again and repeat what you did.")), 400
    if g.user is None and request.endpoint not in ANONYMOUS:
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    return None


def renew_token_if_due() -> None:
    """Access tokens live 15 minutes; the refresh token of the sign-in renews them when one is about to
    end (or has ended while the agent was away), so an agent stays signed in through a working day.
    A refused renewal ends the session: logout, a disabled account, changed access or the day is over."""
    refresh, expires_at = session.get("refresh"), session.get("expires_at")
    if not refresh or not expires_at:
        return
    if datetime.fromisoformat(expires_at) - datetime.now(timezone.utc) > RENEW_AHEAD:
        return
    answer = g.api.call("POST", "auth/refresh", json={"refresh_token": refresh}, allow_signed_out=True)
    if answer.status == 401:
        raise SignedOut()
    if answer.ok:  # otherwise the page goes on with the token it has
        session.update(token=answer.body["access_token"], expires_at=answer.body["expires_at"])
        g.api.token = answer.body["access_token"]


@blp.app_context_processor
def _page_globals():
    return {"csrf_token": csrf_token, "user": g.get("user"), "LEVELS": LEVELS}


@blp.errorhandler(SignedOut)
def _signed_out(_error):
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("Your session has ended. Sign in again to continue."), "info")
    return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None))


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    return render_template("error.html", title=_("This file is larger than the limit."),
                           message=_("Nothing was uploaded. Make the file smaller (such as a scan at a lower "
                                     "resolution) and try again.")), 413


@blp.errorhandler(ServiceDown)
def _service_down(_error: ServiceDown):
    return render_template("error.html", title=_("A service is not answering"),
                           message=_("Part of Caredesk did not answer, so nothing was changed. "
                                     "Try again in a moment.")), 503
