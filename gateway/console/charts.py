"""The supervisor dashboard's charts and the tables beside them, built from the cases API's queue
statistics and history: pygal draws each chart on the server as SVG, and the same figures go into
an accessible table with the links to the cases behind them.

The SVG is for the eye and the mouse: it is hidden from assistive technology and its links are left
out of the tab order, because the table beside it says the same and links to the same cases."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pygal
from flask import url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from gateway.console.i18n import age, percent
from gateway.console.words import PRIORITY_NAMES, STATUS_NAMES

PRIORITIES = ("urgent", "high", "normal", "low")
# Dark enough for text on white (WCAG AA) and told apart without colour by the table beside.
COLOURS = ("#0b4f8a", "#b34700", "#1e6b34", "#8a1b6b", "#5c4d00", "#006d75", "#6b3fa0", "#a61b1b")
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1f2933", foreground_strong="#1f2933",
              foreground_subtle="#9aa5b1", colors=COLOURS, font_family='system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif',
              label_font_size=13, major_label_font_size=13, legend_font_size=14, value_font_size=13, tooltip_font_size=13)
# Longer periods are drawn per day: 2,000 hourly bars are read by nobody.
HOURLY_UP_TO = timedelta(days=2)


@dataclass
class Cell:
    text: str
    href: str | None = None


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)


@dataclass
class Chart:
    key: str
    title: str
    svg: Markup | None  # None: nothing to draw in the period
    table: Table
    linked: bool = False  # its bars lead to the cases behind them


def cases_link(queue: dict, **filters) -> str:
    """The case search narrowed to the cases behind a figure."""
    return url_for("console.case_search", queue=queue["code"], go=1, **filters)


def _for_the_page(root):
    """pygal's xml filter: no script (its tooltips would fetch one from the web), the picture hidden
    from screen readers and its links out of the tab order (the table beside carries both)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "script":
                parent.remove(child)
    root.set("aria-hidden", "true")
    root.set("focusable", "false")
    for link in root.iter("a"):
        link.set("tabindex", "-1")
        link.set("target", "_top")
    return root


def render(chart: pygal.graph.graph.Graph) -> Markup:
    """The chart as inline SVG for the page."""
    chart.add_xml_filter(_for_the_page)
    return Markup(chart.render(is_unicode=True))


def _number(value) -> str:
    return "—" if value is None else format_decimal(value)


def _new(kind, **options):
    settings = dict(style=STYLE, js=[], disable_xml_declaration=True, width=760, height=380, legend_at_bottom=True,
                    legend_at_bottom_columns=4, truncate_legend=-1, truncate_label=-1,
                    value_formatter=lambda value: format_decimal(value) if value is not None else "")
    return kind(**(settings | options))


def states_chart(statistics: list[dict]) -> Chart:
    """Cases of each queue per state now: in the queue (waiting and assigned), in work, returned to
    the initiator; each bar leads to those cases."""
    series = (("open_dispatch", lambda s: s["depth"] + s["assigned"]), ("open", lambda s: s["in_work"]),
              ("open_reject", lambda s: s["returned"]))
    chart = _new(pygal.StackedBar, horizontal=True, print_values=True, print_zeroes=False)
    chart.x_labels = [row["queue"]["name"] for row in statistics]
    for status, count in series:
        chart.add(str(STATUS_NAMES[status]), [{"value": count(row), "xlink": {"href": cases_link(row["queue"], status=status)}}
                                              for row in statistics])
    table = Table(_("Cases per state now"), [_("Queue"), _("Waiting"), _("Assigned, not accepted"), _("In work"),
                                             _("Returned")])
    for row in statistics:
        queue = row["queue"]
        table.rows.append((queue["name"], [
            Cell(_number(row["depth"]), cases_link(queue, status="open_dispatch")),
            Cell(_number(row["assigned"]), cases_link(queue, status="open_dispatch")),
            Cell(_number(row["in_work"]), cases_link(queue, status="open")),
            Cell(_number(row["returned"]), cases_link(queue, status="open_reject"))]))
    return Chart("states", _("Cases per state"), render(chart) if statistics else None, table, linked=True)


def _slots(history: list[dict]) -> list[str]:
    return sorted({snapshot["slot"] for row in history for snapshot in row["snapshots"]})


def _slot_label(slot: str) -> str:
    return format_datetime(datetime.fromisoformat(slot), "short")


def depth_chart(history: list[dict]) -> Chart:
    """Cases waiting in each queue at every snapshot of the period."""
    slots = _slots(history)
    chart = _new(pygal.Line, x_label_rotation=30, show_minor_x_labels=False, x_labels_major_count=8,
                 dots_size=2, y_title=_("Cases waiting"))
    chart.x_labels = [_slot_label(slot) for slot in slots]
    table = Table(_("Cases waiting over the period"), [_("Time")] + [row["queue"]["name"] for row in history])
    by_queue = [{s["slot"]: s for s in row["snapshots"]} for row in history]
    for row, snapshots in zip(history, by_queue):
        chart.add(row["queue"]["name"], [snapshots[slot]["waiting"] if slot in snapshots else None for slot in slots])
    for slot in slots:
        table.rows.append((_slot_label(slot), [Cell(_number(snapshots[slot]["waiting"] if slot in snapshots else None))
                                               for snapshots in by_queue]))
    return Chart("depth", _("Queue depth over time"), render(chart) if slots else None, table)


def age_chart(history: list[dict]) -> Chart:
    """The oldest and the median wait of each queue at every snapshot, in hours."""
    slots = _slots(history)
    chart = _new(pygal.Line, x_label_rotation=30, show_minor_x_labels=False, x_labels_major_count=8, dots_size=2,
                 y_title=_("Hours waiting"), legend_at_bottom_columns=2)
    chart.x_labels = [_slot_label(slot) for slot in slots]
    columns = [_("Time")]
    by_queue = [{s["slot"]: s for s in row["snapshots"]} for row in history]
    for row, snapshots in zip(history, by_queue):
        for measure, title, dashed in (("oldest_age_seconds", _("%(queue)s: oldest", queue=row["queue"]["name"]), False),
                                       ("median_age_seconds", _("%(queue)s: median", queue=row["queue"]["name"]), True)):
            hours = [round(snapshots[slot][measure] / 3600, 1) if slot in snapshots and snapshots[slot][measure] is not None
                     else None for slot in slots]
            chart.add(title, hours, **({"stroke_style": {"dasharray": "6, 4"}} if dashed else {}))
            columns.append(title)
    table = Table(_("Oldest and median wait over the period"), columns)
    for slot in slots:
        cells = []
        for snapshots in by_queue:
            snapshot = snapshots.get(slot)
            cells += [Cell(age(snapshot["oldest_age_seconds"]) if snapshot else "—"),
                      Cell(age(snapshot["median_age_seconds"]) if snapshot else "—")]
        table.rows.append((_slot_label(slot), cells))
    return Chart("age", _("Waiting time over time"), render(chart) if slots else None, table)


def attainment_chart(history: list[dict], *, target: str) -> Chart:
    """Share of the targets decided in the period that were met, per queue and priority; a bar leads
    to the cases of that queue and priority that missed a target."""
    title = {"acceptance": _("Accepted on time, per queue and priority"),
             "resolution": _("Resolved on time, per queue and priority")}[target]
    chart = _new(pygal.Bar, range=(0, 100), y_title=_("On time (%)"), print_values=True,
                 value_formatter=lambda value: percent(value / 100) if value is not None else "")
    chart.x_labels = [row["queue"]["name"] for row in history]
    decided = {(row["queue"]["id"], item["priority"]): item for row in history for item in row["sla_attainment"]
               if item["target"] == target}
    for priority in PRIORITIES:
        values = []
        for row in history:
            item = decided.get((row["queue"]["id"], priority))
            rate = item["rate"] if item else None
            values.append({"value": None if rate is None else round(rate * 100, 1),
                           "xlink": {"href": cases_link(row["queue"], priority=priority, breached="true")}})
        chart.add(str(PRIORITY_NAMES[priority]), values)
    table = Table(title, [_("Queue and priority"), _("Decided"), _("On time"), _("Missed"), _("Share on time")])
    for row in history:
        for priority in PRIORITIES:
            item = decided.get((row["queue"]["id"], priority))
            if not item or not item["decided"]:
                continue
            missed = item["decided"] - item["met"]
            table.rows.append((f"{row['queue']['name']} · {PRIORITY_NAMES[priority]}", [
                Cell(_number(item["decided"])), Cell(_number(item["met"])),
                Cell(_number(missed), cases_link(row["queue"], priority=priority, breached="true") if missed else None),
                Cell(percent(item["rate"]))]))
    drawn = any(item["decided"] for item in decided.values())
    return Chart(f"{target}-attainment", title, render(chart) if drawn else None, table, linked=True)


def throughput_chart(history: list[dict], *, zone: str, now: datetime) -> Chart:
    """Cases accepted and closed in all the queues shown, per hour (per day over longer periods) of
    the user's time zone; hours still to come are left out."""
    hours = [hour for row in history for hour in row["per_hour"] if datetime.fromisoformat(hour["hour"]) <= now]
    if history and datetime.fromisoformat(history[0]["to"]) - datetime.fromisoformat(history[0]["from"]) > HOURLY_UP_TO:
        key, label = (lambda at: at.date()), (lambda day: format_date(day, "short"))
    else:
        key, label = (lambda at: at), (lambda at: format_datetime(at, "short"))
    buckets: dict = {}
    for hour in hours:
        bucket = buckets.setdefault(key(datetime.fromisoformat(hour["hour"]).astimezone(ZoneInfo(zone))), [0, 0])
        bucket[0] += hour["accepted"]
        bucket[1] += hour["closed"]
    ordered = sorted(buckets)
    chart = _new(pygal.Bar, x_label_rotation=30, show_minor_x_labels=False, x_labels_major_count=12,
                 y_title=_("Cases"))
    chart.x_labels = [label(bucket) for bucket in ordered]
    chart.add(_("Cases accepted"), [buckets[bucket][0] for bucket in ordered])
    chart.add(_("Cases closed"), [buckets[bucket][1] for bucket in ordered])
    table = Table(_("Cases accepted and closed over the period"), [_("Time"), _("Cases accepted"), _("Cases closed")])
    table.rows = [(label(bucket), [Cell(_number(buckets[bucket][0])), Cell(_number(buckets[bucket][1]))])
                  for bucket in ordered]
    drawn = any(sum(bucket) for bucket in buckets.values())
    return Chart("throughput", _("Accepted and closed"), render(chart) if drawn else None, table)


def period_totals(row: dict) -> dict:
    """One queue's period in a line: accepted, closed, each target's attainment over every
    priority, the targets missed and the survey answers."""
    totals = {"accepted": sum(hour["accepted"] for hour in row["per_hour"]),
              "closed": sum(hour["closed"] for hour in row["per_hour"]), "satisfaction": row["satisfaction"]}
    for target in ("acceptance", "resolution"):
        items = [item for item in row["sla_attainment"] if item["target"] == target]
        decided, met = sum(item["decided"] for item in items), sum(item["met"] for item in items)
        totals[target] = {"decided": decided, "met": met, "rate": met / decided if decided else None}
    totals["missed"] = sum(totals[target]["decided"] - totals[target]["met"] for target in ("acceptance", "resolution"))
    return totals
