"""The notes report as an .xlsx workbook, sent while it is written, in constant memory: the header
row in the reader's language, then a row per note with its date as a real date cell
(services/kit/xlsx.py streams it)."""
from __future__ import annotations

from typing import Iterable, Iterator

from services.kit.xlsx import xlsx_chunks as stream_xlsx

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
WIDTHS = (17, 22, 22, 22, 22, 22, 22, 22, 22)


def _cells(row) -> tuple:
    return (row.created_at, row.customer_code, row.customer_name, row.branch_id, row.department_id,
            row.author_name or row.author_id, row.text, row.location, row.next_treatment)


def xlsx_chunks(rows: Iterable, *, language: str, tz: str) -> Iterator[bytes]:
    """The workbook's bytes, a chunk per batch of rows, while the rows are read."""
    return stream_xlsx(rows, headers=HEADERS[language], sheet_title=SHEET_TITLE[language], cells=_cells, tz=tz,
                       date_columns=(0,), widths=WIDTHS)
