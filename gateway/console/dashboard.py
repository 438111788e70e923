"""The supervisor dashboard: for each queue the user supervises, what waits now and how the chosen
period went (depth and waiting time over time, cases per state, SLA attainment per priority,
accepted and closed, survey scores), who holds what, and links to the cases behind each figure.

The figures come from the cases service (its statistics, and the history it keeps in periodic
snapshots and the timeline); the page only draws them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from flask_babel import gettext as _

from gateway.console import charts
from gateway.console.blueprint import blp
from gateway.console.i18n import chosen_time_zone

NOW_WINDOW_HOURS = 24
DEFAULT_DAYS = 7
OPEN_STATUSES = ("open_dispatch", "open", "open_reject")


def supervises(user: dict, queue: dict) -> bool:
    """As the cases service decides who steers a queue (its supervisor, or anyone who manages
    queues), plus the whole-company level, which may watch every queue's figures."""
    return (queue.get("supervisor_id") == user["id"] or "manage_queues" in user.get("permissions", [])
            or user.get("level") == 1)


def _day(name: str, default: date, errors: dict) -> date:
    text = (request.args.get(name) or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = [_("This is not a valid date.")]
        return default


def period_of(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """Whole days of the user's time zone, the last one included."""
    tz = ZoneInfo(zone)
    return datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)


@blp.get("/dashboard")
def dashboard():
    zone = chosen_time_zone()
    today = datetime.now(ZoneInfo(zone)).date()
    errors: dict = {}
    first = _day("from", today - timedelta(days=DEFAULT_DAYS - 1), errors)
    last = _day("to", today, errors)
    queues = g.api.every("queues")
    supervised = {queue["id"] for queue in (queues.body if queues.ok else []) if supervises(g.user, queue)}
    if not supervised:
        return render_template("error.html", title=_("Supervisor dashboard"),
                               message=_("The dashboard shows the queues you supervise, and you supervise none.")), 403
    statistics = g.api.every("queues/statistics", hours=NOW_WINDOW_HOURS)
    now_rows = [row for row in (statistics.body if statistics.ok else []) if row["queue"]["id"] in supervised]
    history: list = []
    if not errors:
        start, end = period_of(first, last, zone)
        answer = g.api.every("queues/history", **{"from": start.isoformat(), "to": end.isoformat()})
        if answer.ok:
            history = [row for row in answer.body if row["queue"]["id"] in supervised]
        else:
            errors = answer.field_errors or {"to": [answer.detail]}
    now = datetime.now(timezone.utc)
    figures = [charts.states_chart(now_rows)]
    if history:
        figures += [charts.depth_chart(history), charts.age_chart(history),
                    charts.attainment_chart(history, target="acceptance"),
                    charts.attainment_chart(history, target="resolution"),
                    charts.throughput_chart(history, zone=zone, now=now)]
    return render_template(
        "dashboard.html", now_rows=now_rows, history=history, figures=figures, errors=errors,
        first=first, last=last, today=today, window_hours=NOW_WINDOW_HOURS, open_statuses=OPEN_STATUSES,
        presets=[(_("Today"), today, today), (_("Last 7 days"), today - timedelta(days=6), today),
                 (_("Last 30 days"), today - timedelta(days=29), today)],
        totals={row["queue"]["id"]: charts.period_totals(row) for row in history}, cases_link=charts.cases_link)
