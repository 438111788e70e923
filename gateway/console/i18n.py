"""Languages of the console (es, en, ru, vi): which one a request gets, its catalogues, and the
filters that write dates, ages and numbers the way that language and the user's time zone do."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from gateway.console import words
from flask_babel import (
    Babel, format_currency, format_date, format_datetime, format_decimal, format_percent, format_timedelta, get_locale,
)

LANGUAGES = {"es": "Español", "en": "English", "ru": "Русский", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "caredesk_lang"
TIME_ZONE_COOKIE = "caredesk_tz"  # chosen under My account; else sign-in takes the browser's
TRANSLATIONS = Path(__file__).parent / "translations"


def chosen_language() -> str:
    """The language picked in this session, else the one remembered on this browser, else the
    browser's preference among ours."""
    for candidate in (session.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def chosen_time_zone() -> str:
    return session.get("tz") or "UTC"


def valid_time_zone(name: str | None) -> str | None:
    try:
        return name if name and ZoneInfo(name) else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def compile_catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    """Write each messages.mo that is missing or older than its .po, so a fresh checkout or an
    edited catalogue is served translated without a build step to remember."""
    written = []
    for po_path in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        written.append(mo_path)
    return written


def _instant(value) -> datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def when(value, form: str = "medium") -> str:
    """An instant from the API, in the user's time zone and language."""
    instant = _instant(value)
    return format_datetime(instant, form) if instant else ""


def day(value, form: str = "medium") -> str:
    if value in (None, ""):
        return ""
    return format_date(value if isinstance(value, date) else date.fromisoformat(value), form)


def age(seconds) -> str:
    """A duration such as a case's age, rounded the way people say it ("3 hours")."""
    if seconds is None:
        return "—"
    return format_timedelta(timedelta(seconds=float(seconds)), threshold=1.1, granularity="minute")


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def percent(rate) -> str:
    """A share such as an SLA attainment (0.875), the way the language writes percentages."""
    return "—" if rate is None else format_percent(rate)


def local_day(value, zone: str) -> str:
    """An API instant as the day an input type=date shows, in the given zone."""
    instant = _instant(value)
    return instant.astimezone(ZoneInfo(zone)).date().isoformat() if instant else ""


def local_time(value, zone: str) -> str:
    instant = _instant(value)
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M") if instant else ""


def money(value, currency: str | None = None) -> str:
    """An amount as the API writes it (decimal text), with its currency, the way the language does."""
    if value in (None, ""):
        return "—"
    amount = Decimal(str(value))
    return format_currency(amount, currency) if currency else format_decimal(amount)


def size(value) -> str:
    """A file's size in bytes, in kB or MB."""
    if value is None:
        return ""
    if value < 1024:
        return f"{format_decimal(value)} B"
    if value < 1024 * 1024:
        return f"{format_decimal(round(value / 1024, 1))} kB"
    return f"{format_decimal(round(value / (1024 * 1024), 1))} MB"


def install_i18n(app: Flask) -> None:
    compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=chosen_language, timezone_selector=chosen_time_zone)
    app.jinja_env.filters.update(when=when, day=day, age=age, number=number, percent=percent, money=money, size=size, local_day=local_day,
                                 local_time=local_time, api_text=words.api_text)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=lambda: str(get_locale()),
                                 current_time_zone=chosen_time_zone, **words.GLOBALS)
