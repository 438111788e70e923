"""A report as an .xlsx workbook, sent while it is written, in constant memory.

An .xlsx is a zip of XML parts. XlsxWriter writes the workbook's frame (styles with a real date
format, the sheet with its title and header row in the reader's language); the rows then stream
from the caller's iterable (a server-side cursor) straight into the sheet part of a zip written to
the response as it grows (zip entries with data descriptors need no seeking back). So the first bytes
leave with the first rows, a gateway's read timeout never waits on a whole report, and memory holds
one batch of rows: XlsxWriter's own constant_memory mode spools the sheet to a temporary file and can
only send it after its last row (bench/notes_export.py measures both).

Cells: a datetime is a number with the date style (Excel holds no offset: local time in ``tz``); an
int or float is a number; anything else is inline text, never a formula or a link, with the
characters XML cannot carry dropped; None and "" leave the cell empty.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import xlsxwriter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_PART = "xl/worksheets/sheet1.xml"
EXCEL_EPOCH = datetime(1899, 12, 30)
BATCH = 1000
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Sink:
    """A write-only stream the zip is written into; what it holds is taken out and sent."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _frame(headers: Sequence[str], sheet_title: str, widths: Sequence[int],
           date_columns: Sequence[int]) -> tuple[zipfile.ZipFile, int]:
    """The workbook with its header row only, and the style index of the date cells."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(sheet_title)
    sheet.write_row(0, 0, headers, workbook.add_format({"bold": True}))
    dated = workbook.add_format({"num_format": DATE_FORMAT})
    for index, width in enumerate(widths):
        # the date columns carry the style, so the workbook's styles hold it for the cells that follow
        sheet.set_column(index, index, width, dated if index in date_columns else None)
    workbook.close()
    return zipfile.ZipFile(buffer), dated._get_xf_index()


def _text(value) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def _cell(reference: str, value: Any, zone: ZoneInfo, date_style: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(zone).replace(tzinfo=None)
        serial = (moment - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{reference}" s="{date_style}"><v>{serial:.10f}</v></c>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


def xlsx_chunks(rows: Iterable, *, headers: Sequence[str], sheet_title: str, cells: Callable[[Any], Sequence],
                tz: str, date_columns: Sequence[int], widths: Sequence[int] | None = None) -> Iterator[bytes]:
    """The workbook's bytes, a chunk per ``BATCH`` rows, while the rows are read; ``cells(row)`` gives
    a row's values in the order of ``headers``, the datetimes in ``date_columns`` (0-based)."""
    zone = ZoneInfo(tz)
    letters = [column_letter(index) for index in range(len(headers))]
    frame, date_style = _frame(headers, sheet_title, widths or [20] * len(headers), date_columns)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in frame.infolist():
            if part.filename != SHEET_PART:
                archive.writestr(part.filename, frame.read(part.filename))
                continue
            sheet = frame.read(SHEET_PART).decode()
            # the frame's dimension (header only) would mislead readers about the rows that follow
            head, tail = re.sub(r"<dimension [^>]*/>", "", sheet).split("</sheetData>")
            with archive.open(SHEET_PART, "w") as out:
                out.write(head.encode())
                yield sink.take()
                batch = []
                for number, row in enumerate(rows, start=2):
                    values = "".join(_cell(f"{letter}{number}", value, zone, date_style)
                                     for letter, value in zip(letters, cells(row)))
                    batch.append(f'<row r="{number}">{values}</row>')
                    if len(batch) == BATCH:
                        out.write("".join(batch).encode())
                        batch = []
                        yield sink.take()
                out.write(("".join(batch) + "</sheetData>" + tail).encode())
    yield sink.take()
