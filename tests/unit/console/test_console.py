"""Console pages through Flask's test client: sign-in and its cookie, CSRF, languages, the
catalogues, and what a page says when a service is down."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import gateway.console
from gateway.console.blueprint import safe_next

CONSOLE = Path(gateway.console.__file__).parent
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def csrf_of(client, path="/signin") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, password="admin-password", **extra):
    return client.post("/signin", data={"csrf_token": csrf_of(client), "username": "admin", "password": password,
                                        **extra})


def session_of(app, client) -> dict:
    cookie = client.get_cookie("caredesk_session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def source_messages() -> set:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(CONSOLE), method_map=method_map, keywords=keywords)}


@pytest.mark.parametrize("language", ["es", "ru", "vi"])
def test_every_console_message_is_translated_with_the_same_placeholders(language):
    with (CONSOLE / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    for message in source_messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(key)
        assert entry is not None and all(entry.string if isinstance(entry.string, tuple) else [entry.string]), \
            f"{language}: not translated: {message!r}"
        for translated in entry.string if isinstance(entry.string, tuple) else [entry.string]:
            assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(key)), (language, key)


@pytest.mark.parametrize("language", ["es", "ru", "vi"])
def test_compiled_catalogue_holds_what_its_po_file_says(language):
    folder = CONSOLE / "translations" / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po_file, (folder / "messages.mo").open("rb") as mo_file:
        po, mo = read_po(po_file), read_mo(mo_file)
    def entries(catalogue) -> dict:
        return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id:
                tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string for m in catalogue if m.id}

    assert entries(po) == entries(mo)


def test_the_sign_in_page_speaks_the_browsers_language_until_one_is_chosen(console, app):
    page = console.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru">' in page and "Войти" in page
    chosen = console.post("/language", data={"csrf_token": csrf_of(console), "lang": "vi", "next": "/"},
                          headers={"Accept-Language": "ru"})
    assert chosen.status_code == 302
    assert "caredesk_lang=vi" in chosen.headers["Set-Cookie"]
    later = app.test_client()
    later.set_cookie("caredesk_lang", "vi")
    assert "Đăng nhập" in later.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)


def test_a_form_without_this_sessions_csrf_token_changes_nothing(console):
    refused = console.post("/signin", data={"username": "admin", "password": "admin-password"})
    assert refused.status_code == 400
    assert console.get_cookie("caredesk_session") is None or "token" not in refused.get_data(as_text=True)
    assert console.get("/desk").status_code == 302  # still signed out


def test_signing_in_keeps_the_token_in_an_httponly_samesite_cookie(console, app):
    answer = sign_in(console, tz="America/Bogota", lang="es")
    assert answer.status_code == 302 and answer.headers["Location"] == "/desk"
    cookie = next(value for value in answer.headers.getlist("Set-Cookie") if value.startswith("caredesk_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    session = session_of(app, console)
    assert session["user"]["full_name"] == "Administrator" and session["tz"] == "America/Bogota"
    assert session["token"] not in console.get("/signin").get_data(as_text=True)


def test_the_cookie_is_secure_behind_tls(console):
    answer = console.post("/signin", headers={"X-Forwarded-Proto": "https"}, data={
        "csrf_token": csrf_of(console), "username": "admin", "password": "admin-password"})
    cookie = next(value for value in answer.headers.getlist("Set-Cookie") if value.startswith("caredesk_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_in_the_chosen_language(console):
    answer = sign_in(console, password="wrong-password", lang="es")
    assert answer.status_code == 401
    assert "Usuario o contraseña incorrectos." in answer.get_data(as_text=True)


def test_signing_out_revokes_the_token(console, app):
    sign_in(console)
    token = session_of(app, console)["token"]
    assert console.post("/signout", data={"csrf_token": csrf_of(console, "/signin")}).status_code == 302
    assert app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert console.get("/desk").headers["Location"].startswith("/signin")


def test_pages_send_a_signed_out_visitor_to_sign_in_and_back(console):
    answer = console.get("/cases?number=7")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/signin?next=/cases?number%3D7"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_the_page_after_sign_in_is_always_on_this_site(target):
    assert safe_next(target, "/desk") == "/desk"


def test_a_service_that_is_down_gets_a_page_saying_nothing_changed(console):
    sign_in(console, lang="es")
    answer = console.get("/desk")
    assert answer.status_code == 503
    assert "no se modificó nada" in answer.get_data(as_text=True)


def test_an_api_message_without_a_translation_is_shown_marked_as_english(app):
    from gateway.console.api_client import ApiMessage
    from gateway.console.words import api_text

    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert api_text("Missing data for required field.") == "Complete este campo."
        unknown = api_text(ApiMessage("Some new rule."))
        assert str(unknown) == 'Revise este dato. <span lang="en">(Some new rule.)</span>'
        # the console's own words, already in Spanish, are shown as they are
        assert api_text("Alguien modificó este registro.") == "Alguien modificó este registro."


def test_a_length_refusal_names_both_bounds_not_only_too_long(app):
    """An empty required field and a too long one get the same API message when the field has both
    bounds: the console must not call an empty field "too long"."""
    from gateway.console.words import api_text

    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert api_text("Length must be between 1 and 200.") == "Escriba entre 1 y 200 caracteres."
        assert api_text("Longer than maximum length 80.") == "El texto es demasiado largo."
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert api_text("Length must be between 1 and 200.") == "Введите от 1 до 200 символов."


def test_the_pager_keeps_every_value_of_a_repeated_filter(app):
    from flask import render_template_string

    template = '{% from "macros.html" import pager %}{{ pager(2, 120, 50, "console.case_search") }}'
    with app.test_request_context("/cases?status=open&status=closed&q=sim&page=2", headers={"Accept-Language": "en"}):
        html = render_template_string(template)
    previous, following = re.findall(r'href="([^"]+)" rel="(?:prev|next)"', html)
    for link, page in ((previous, "1"), (following, "3")):
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query == {"status": ["open", "closed"], "q": ["sim"], "page": [page]}


def test_a_read_whose_kept_alive_connection_was_closed_is_sent_again(app):
    """A service closes an idle kept-alive connection just as the console reuses it (the more reads a
    page starts at once, the more idle connections it keeps): the read is sent again on a fresh one,
    not shown as a service that does not answer."""
    import requests
    from requests.adapters import BaseAdapter
    from urllib3.exceptions import ProtocolError

    from gateway.console.api_client import Api

    class ClosedOnce(BaseAdapter):
        sent = 0

        def send(self, request, **kwargs):
            ClosedOnce.sent += 1
            if ClosedOnce.sent == 1:
                raise requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
            response = requests.Response()
            response.status_code, response._content = 200, b'{"id": "c-1"}'
            response.headers["Content-Type"] = "application/json"
            return response

        def close(self):
            pass

    http = requests.Session()
    http.mount("http://", ClosedOnce())
    app.extensions["caredesk.http"] = http
    with app.test_request_context():
        answer = Api(token="t").get("customers/c-1")
    assert (answer.status, answer.body, ClosedOnce.sent) == (200, {"id": "c-1"}, 2)
