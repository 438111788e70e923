"""The agent console, served by the gateway: server-rendered pages over the same API integrators use.

The browser holds only an HttpOnly session cookie; the access token inside it is sent to the API
on the user's behalf, so every page sees exactly what the API lets that user see."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from gateway.console import admin, account, back_office, card_sections, dashboard, front_office, inbox, interactions, reports, sales_agents, signin  # noqa: F401 - they add their views
from gateway.console.api_client import READ_THREADS
from gateway.console.blueprint import blp
from gateway.console.i18n import install_i18n
from gateway.console.security import install_session


def install_console(app: Flask, *, private_key_pem: bytes) -> None:
    """Sessions signed with a key derived from the gateway's own, translations, then the pages."""
    install_session(app, private_key_pem=private_key_pem)
    install_i18n(app)
    app.extensions["caredesk.console_reads"] = ThreadPoolExecutor(max_workers=READ_THREADS,
                                                                  thread_name_prefix="console-read")
    app.register_blueprint(blp)
