"""The console's session cookie (signed, HttpOnly, SameSite=Lax, Secure when served over TLS) and
the CSRF token every form carries."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface

CSRF_FIELD = "csrf_token"


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the browser reached us over HTTPS, directly or through a
    TLS-terminating proxy, so one deployment serves both plain local runs and TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def install_session(app: Flask, *, private_key_pem: bytes) -> None:
    # Every gateway replica holds the same private key, so they all derive the same session key.
    app.secret_key = hashlib.sha256(b"caredesk-console-session\0" + private_key_pem).digest()
    app.config.update(SESSION_COOKIE_NAME="caredesk_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=12 * 3600)
    app.session_interface = ConsoleSessionInterface()


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_ok() -> bool:
    """Every state-changing request must echo this session's token from a form field."""
    expected = session.get(CSRF_FIELD)
    return bool(expected) and hmac.compare_digest(expected, request.form.get(CSRF_FIELD, ""))
