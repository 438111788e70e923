"""The notes report as an .xlsx workbook, sent while it is written, in constant memory.

An .xlsx is a zip of XML parts. XlsxWriter writes the workbook's frame (styles with a real date
format, the sheet in the user's language with its header row); the rows then stream from the
server-side cursor straight into the sheet part of a zip written to the response as it grows (zip
entries with data descriptors need no seeking back). So the first bytes leave with the first rows,
the gateway's read timeout never waits on a whole report, and memory holds one batch of rows:
XlsxWriter's own constant_memory mode spools the sheet to a temporary file and can only send it
after its last row (bench/notes_export.py measures both).

Cells: dates are numbers with the date style (Excel holds no offset: local time in ``tz``); text is
inline text, never a formula or a link, with the characters XML cannot carry dropped.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Iterable, Iterator
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import xlsxwriter

LANGUAGES = ("en", "es", "ru", "vi")
HEADERS = {
    "en": ("Date", "Customer code", "Customer", "Branch", "Department", "Author", "Note", "Physical location",
           "Next treatment"),
    "es": ("Fecha", "Código de cliente", "Cliente", "Sucursal", "Departamento", "Recurso humano",
           "Nota específica", "Ubicación física", "¿Cuál será el tratamiento?"),
    "ru": ("Дата", "Код клиента", "Клиент", "Филиал", "Отдел", "Автор", "Заметка", "Место", "Дальнейшие действия"),
    "vi": ("Ngày", "Mã khách hàng", "Khách hàng", "Chi nhánh", "Phòng ban", "Người ghi", "Ghi chú", "Địa điểm",
           "Hướng xử lý tiếp theo"),
}
SHEET_TITLE = {"en": "Notes", "es": "Notas", "ru": "Заметки", "vi": "Ghi chú"}
DATE_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_PART = "xl/worksheets/sheet1.xml"
TEXT_COLUMNS = "BCDEFGHI"
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


def _frame(language: str) -> tuple[zipfile.ZipFile, int]:
    """The workbook with its header row only, and the style index of the date cells."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(SHEET_TITLE[language])
    sheet.write_row(0, 0, HEADERS[language], workbook.add_format({"bold": True}))
    dated = workbook.add_format({"num_format": DATE_FORMAT})
    sheet.set_column(0, 0, 17, dated)
    sheet.set_column(1, len(HEADERS[language]) - 1, 22)
    workbook.close()
    return zipfile.ZipFile(buffer), dated._get_xf_index()


def _text(value) -> str:
    return escape(_NOT_XML.sub("", str(value))) if value is not None else ""


def _row(number: int, row, zone: ZoneInfo, date_style: int) -> str:
    moment = row.created_at.astimezone(zone).replace(tzinfo=None)
    serial = (moment - EXCEL_EPOCH).total_seconds() / 86400
    values = (row.customer_code, row.customer_name, row.branch_id, row.department_id,
              row.author_name or row.author_id, row.text, row.location, row.next_treatment)
    cells = "".join(f'<c r="{column}{number}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
                    for column, value in zip(TEXT_COLUMNS, values) if value not in (None, ""))
    return f'<row r="{number}"><c r="A{number}" s="{date_style}"><v>{serial:.10f}</v></c>{cells}</row>'


def xlsx_chunks(rows: Iterable, *, language: str, tz: str) -> Iterator[bytes]:
    """The workbook's bytes, a chunk per ``BATCH`` rows, while the rows are read."""
    zone = ZoneInfo(tz)
    frame, date_style = _frame(language)
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
                    batch.append(_row(number, row, zone, date_style))
                    if len(batch) == BATCH:
                        out.write("".join(batch).encode())
                        batch = []
                        yield sink.take()
                out.write(("".join(batch) + "</sheetData>" + tail).encode())
    yield sink.take()
