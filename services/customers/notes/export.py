"""The notes report as an .xlsx workbook, written row by row in constant memory.

openpyxl's write-only mode keeps one row in memory and spools the sheet to a temporary file; the
rows come from a server-side cursor, so neither side holds the report. An .xlsx is a zip whose
sheet part can only be closed once its last row is written, so the file is sent in chunks as soon
as the workbook is finished, from a temporary file that disappears when sent.
"""
from __future__ import annotations

import tempfile
from datetime import datetime
from typing import IO, Iterable, Iterator
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

LANGUAGES = ("en", "es", "ru", "vi")
COLUMNS = ("created_at", "customer_code", "customer_name", "branch_id", "department_id", "author_name", "text",
           "location", "next_treatment")
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
CHUNK = 64 * 1024


def write_workbook(rows: Iterable, out: IO[bytes], *, language: str, tz: str) -> int:
    """Write the header in ``language`` and one row per note (dates as real date cells in ``tz``,
    which Excel cannot hold with an offset); returns the number of notes written."""
    zone = ZoneInfo(tz)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE[language])
    bold = Font(bold=True)
    header = []
    for title in HEADERS[language]:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    date_cell = WriteOnlyCell(sheet)
    date_cell.number_format = DATE_FORMAT
    count = 0
    for row in rows:
        date_cell.value = _local(row.created_at, zone)
        sheet.append([date_cell, row.customer_code, row.customer_name, _text(row.branch_id),
                      _text(row.department_id), row.author_name or _text(row.author_id), row.text, row.location,
                      row.next_treatment])
        count += 1
    workbook.save(out)
    return count


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _text(value) -> str | None:
    return str(value) if value is not None else None


def xlsx_chunks(rows: Iterable, *, language: str, tz: str, spool_dir: str | None = None) -> Iterator[bytes]:
    """The workbook's bytes in chunks; the temporary file goes away once sent (or abandoned)."""
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        write_workbook(rows, spool, language=language, tz=tz)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
