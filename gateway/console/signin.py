"""Sign in, sign out and the language: the token goes into the session cookie, never to the page."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from gateway.console.api_client import ServiceDown
from gateway.console.blueprint import blp, safe_next, signed_in_user
from gateway.console.dashboard import supervises
from gateway.console.i18n import LANGUAGE_COOKIE, LANGUAGES, TIME_ZONE_COOKIE, chosen_language, valid_time_zone

ONE_YEAR = 365 * 24 * 3600


def _remember_language(response, language: str):
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@blp.get("/")
def home():
    if signed_in_user() is None:
        return sign_in()
    return redirect(url_for("console.desk"))


@blp.route("/signin", methods=["GET", "POST"])
def sign_in():
    next_page = safe_next(request.values.get("next"), url_for("console.desk"))
    if request.method == "GET":
        return render_template("signin.html", next_page=next_page, errors={})
    form = request.form
    language = form.get("lang") if form.get("lang") in LANGUAGES else chosen_language()
    session["lang"] = language
    answer = g.api.call("POST", "auth/login", allow_signed_out=True,
                        json={"username": form.get("username", "").strip(), "password": form.get("password", "")})
    if not answer.ok:
        message = (_("Wrong username or password.") if answer.status in (401, 422)
                   else _("Signing in is not possible right now. Try again in a moment."))
        return render_template("signin.html", next_page=next_page, error=message,
                               username=form.get("username", "")), 401 if answer.status in (401, 422) else 503
    body = answer.body
    chosen = form.get("lang") != form.get("lang_shown") or session.get("lang_chosen")
    stored = body["user"].get("language")
    if stored in LANGUAGES and not chosen:
        language = stored
    session.clear()
    session.permanent = True
    session.update(token=body["access_token"], expires_at=body["expires_at"], refresh=body.get("refresh_token"),
                   lang=language, user=_profile(body),
                   tz=valid_time_zone(body["user"].get("time_zone")) or valid_time_zone(request.cookies.get(TIME_ZONE_COOKIE))
                   or valid_time_zone(form.get("tz")) or "UTC")
    if chosen and stored != language:  # a language picked here follows the user to other browsers
        store_my_settings(language=language)
    return _remember_language(redirect(next_page), language)


def store_my_settings(**settings) -> bool:
    """Keep the user's language or time zone on their user in the directory (My account), read
    again for its version: every browser they sign in from then shows them."""
    me = g.api.get("auth/me")
    if not me.ok:
        return False
    return g.api.call("PATCH", "auth/me", json=settings, if_match=me.etag).ok


def _profile(login: dict) -> dict:
    """Who is signed in, as the header shows it: name, level and unit."""
    user = login["user"]
    g.api.token = login["access_token"]
    departments = g.api.every("directory/departments")
    branches = g.api.every("directory/branches")
    names = {item["id"]: item["name"] for answer in (departments, branches) if answer.ok for item in answer.body}
    profile = {"id": user["id"], "username": user["username"], "full_name": user["full_name"], "level": user["level"],
               "email": user.get("email"),
               "unit": names.get(user.get("department_id")) or names.get(user.get("branch_id")) or "",
               "permissions": user.get("permissions", []), "queues": user.get("queues", [])}
    profile["supervises"] = supervises_a_queue(profile)
    return profile


def supervises_a_queue(profile: dict) -> bool:
    """Whether the header offers the supervisor dashboard; with the cases service down at sign-in
    it is left out (the page itself asks again when opened)."""
    try:
        queues = g.api.every("queues")
    except ServiceDown:
        return False
    return any(supervises(profile, queue) for queue in (queues.body if queues.ok else []))


@blp.post("/signout")
def sign_out():
    g.api.call("POST", "auth/logout", allow_signed_out=True)
    language = session.get("lang")
    session.clear()
    session["lang"] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.sign_in"))


@blp.post("/language")
def choose_language():
    language = request.form.get("lang")
    if language in LANGUAGES:
        session["lang"] = language
        g.api.language = language
        if signed_in_user() is None:
            session["lang_chosen"] = True  # chosen before signing in: it wins over the one stored
        else:
            store_my_settings(language=language)
    back = safe_next(request.form.get("next"), url_for("console.home"))
    return _remember_language(redirect(back), session.get("lang") or chosen_language())
