"""The case search as an .xlsx workbook, streamed while it is written (services/kit/xlsx.py): the
header row, statuses and priorities in the reader's language, dates as real date cells in ``tz``."""
from __future__ import annotations

from typing import Iterable, Iterator

from services.kit.xlsx import xlsx_chunks as stream_xlsx

LANGUAGES = ("en", "es", "ru", "vi")
HEADERS = {
    "en": ("Number", "Created", "Subject", "Customer code", "Customer", "Line", "Case type", "Queue", "Priority",
           "Status", "Held by", "Dispatched", "Closed", "SLA target missed"),
    "es": ("Número", "Creado", "Asunto", "Código de cliente", "Cliente", "Línea", "Tipo de caso", "Cola", "Prioridad",
           "Estado", "Lo tiene", "Enviado a la cola", "Cerrado", "Plazo del SLA incumplido"),
    "ru": ("Номер", "Создан", "Тема", "Код клиента", "Клиент", "Линия", "Тип кейса", "Очередь", "Приоритет",
           "Состояние", "У кого", "Передан в очередь", "Закрыт", "Срок SLA нарушен"),
    "vi": ("Số", "Ngày tạo", "Tiêu đề", "Mã khách hàng", "Khách hàng", "Số thuê bao", "Loại yêu cầu", "Hàng đợi",
           "Mức ưu tiên", "Trạng thái", "Người giữ", "Ngày chuyển vào hàng đợi", "Ngày đóng", "Quá hạn SLA"),
}
SHEET_TITLE = {"en": "Cases", "es": "Casos", "ru": "Кейсы", "vi": "Yêu cầu"}
STATUSES = {
    "en": {"open": "Open", "open_dispatch": "In queue", "open_reject": "Returned", "closed": "Closed",
           "cancelled": "Cancelled"},
    "es": {"open": "Abierto", "open_dispatch": "En cola", "open_reject": "Devuelto", "closed": "Cerrado",
           "cancelled": "Anulado"},
    "ru": {"open": "Открыт", "open_dispatch": "В очереди", "open_reject": "Возвращён", "closed": "Закрыт",
           "cancelled": "Отменён"},
    "vi": {"open": "Đang mở", "open_dispatch": "Trong hàng đợi", "open_reject": "Đã trả lại", "closed": "Đã đóng",
           "cancelled": "Đã hủy"},
}
PRIORITIES = {
    "en": {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"},
    "es": {"low": "Baja", "normal": "Normal", "high": "Alta", "urgent": "Urgente"},
    "ru": {"low": "Низкий", "normal": "Обычный", "high": "Высокий", "urgent": "Срочный"},
    "vi": {"low": "Thấp", "normal": "Bình thường", "high": "Cao", "urgent": "Khẩn cấp"},
}
YES = {"en": "Yes", "es": "Sí", "ru": "Да", "vi": "Có"}
WIDTHS = (12, 17, 32, 16, 26, 16, 20, 18, 12, 14, 22, 17, 17, 12)


def xlsx_chunks(rows: Iterable, *, language: str, tz: str) -> Iterator[bytes]:
    """The workbook's bytes, a chunk per batch of rows, while the rows are read."""
    statuses, priorities = STATUSES[language], PRIORITIES[language]

    def cells(row) -> tuple:
        status = "cancelled" if row.is_cancelled else row.status
        return (row.number, row.created_at, row.subject, row.customer_code, row.customer_name, row.line_number,
                row.type_name, row.queue_name, priorities.get(row.priority, row.priority), statuses.get(status, status),
                row.owner_name, row.dispatched_at, row.closed_at, YES[language] if row.breached else "")

    return stream_xlsx(rows, headers=HEADERS[language], sheet_title=SHEET_TITLE[language], cells=cells, tz=tz,
                       date_columns=(1, 11, 12), widths=WIDTHS)
