"""The shipped templates: Spanish, English, Russian and Vietnamese, for each kind of message.

``DEFAULTS[(template, channel)][language] = (subject, body)``, both Jinja2 (rendered in the
sandbox). Channel ``email`` serves e-mail and the in-app inbox, ``sms`` serves SMS and WhatsApp
(no subject). ``SAMPLES[template]`` is the context a preview renders with and an edit is
validated against.
"""
from __future__ import annotations

_SLA_KIND = {
    "es": '{% if case.kind == "acceptance" %}aceptación{% else %}resolución{% endif %}',
    "en": '{% if case.kind == "acceptance" %}acceptance{% else %}resolution{% endif %}',
    "ru": '{% if case.kind == "acceptance" %}принятия{% else %}решения{% endif %}',
    "vi": '{% if case.kind == "acceptance" %}tiếp nhận{% else %}xử lý{% endif %}',
}

_EMAIL: dict[str, dict[str, tuple[str, str]]] = {
    "case.dispatched": {
        "es": ("Caso {{ case.number }} en espera en la cola {{ case.queue.name }}",
               "{{ case.subject }}\nCliente: {{ case.customer.code }} {{ case.customer.name }}\n"
               "Prioridad: {{ case.priority }}. Tómelo desde la cola cuando pueda."),
        "en": ("Case {{ case.number }} is waiting in {{ case.queue.name }}",
               "{{ case.subject }}\nCustomer: {{ case.customer.code }} {{ case.customer.name }}\n"
               "Priority: {{ case.priority }}. Take it from the queue when you can."),
        "ru": ("Кейс {{ case.number }} ждёт в очереди «{{ case.queue.name }}»",
               "{{ case.subject }}\nКлиент: {{ case.customer.code }} {{ case.customer.name }}\n"
               "Приоритет: {{ case.priority }}. Возьмите его в работу из очереди."),
        "vi": ("Yêu cầu {{ case.number }} đang chờ trong hàng đợi {{ case.queue.name }}",
               "{{ case.subject }}\nKhách hàng: {{ case.customer.code }} {{ case.customer.name }}\n"
               "Mức ưu tiên: {{ case.priority }}. Vui lòng nhận xử lý từ hàng đợi."),
    },
    "case.accepted": {
        "es": ("Su caso {{ case.number }} fue aceptado",
               "{{ case.subject }}\nLo atiende ahora la cola {{ case.queue.name }}."),
        "en": ("Your case {{ case.number }} was accepted",
               "{{ case.subject }}\nThe {{ case.queue.name }} queue is now working on it."),
        "ru": ("Ваш кейс {{ case.number }} принят в работу",
               "{{ case.subject }}\nИм занимается очередь «{{ case.queue.name }}»."),
        "vi": ("Yêu cầu {{ case.number }} của bạn đã được tiếp nhận",
               "{{ case.subject }}\nHàng đợi {{ case.queue.name }} đang xử lý yêu cầu này."),
    },
    "case.rejected": {
        "es": ("El caso {{ case.number }} le fue devuelto",
               "{{ case.subject }}\nMotivo: {{ case.reason }}\nCorríjalo y vuelva a enviarlo a la cola."),
        "en": ("Case {{ case.number }} was returned to you",
               "{{ case.subject }}\nReason: {{ case.reason }}\nCorrect it and dispatch it again."),
        "ru": ("Кейс {{ case.number }} возвращён вам",
               "{{ case.subject }}\nПричина: {{ case.reason }}\nИсправьте и направьте его в очередь снова."),
        "vi": ("Yêu cầu {{ case.number }} đã bị trả lại cho bạn",
               "{{ case.subject }}\nLý do: {{ case.reason }}\nVui lòng chỉnh sửa rồi gửi lại vào hàng đợi."),
    },
    "case.closed": {
        "es": ("El caso {{ case.number }} fue cerrado",
               "{{ case.subject }}\nSolución: {{ case.resolution }}"),
        "en": ("Case {{ case.number }} was closed",
               "{{ case.subject }}\nResolution: {{ case.resolution }}"),
        "ru": ("Кейс {{ case.number }} закрыт",
               "{{ case.subject }}\nРешение: {{ case.resolution }}"),
        "vi": ("Yêu cầu {{ case.number }} đã được đóng",
               "{{ case.subject }}\nCách giải quyết: {{ case.resolution }}"),
    },
    "case.assigned": {
        "es": ("Se le asignó el caso {{ case.number }}",
               "{{ case.subject }}\nCliente: {{ case.customer.code }} {{ case.customer.name }}"),
        "en": ("Case {{ case.number }} was assigned to you",
               "{{ case.subject }}\nCustomer: {{ case.customer.code }} {{ case.customer.name }}"),
        "ru": ("Вам назначен кейс {{ case.number }}",
               "{{ case.subject }}\nКлиент: {{ case.customer.code }} {{ case.customer.name }}"),
        "vi": ("Bạn được giao yêu cầu {{ case.number }}",
               "{{ case.subject }}\nKhách hàng: {{ case.customer.code }} {{ case.customer.name }}"),
    },
    "case.task_assigned": {
        "es": ("Nueva tarea en el caso {{ case.number }}: {{ case.task.title }}",
               "{% if case.task.due_at %}Vence: {{ case.task.due_at }}.{% else %}Sin fecha de vencimiento.{% endif %}"),
        "en": ("New task in case {{ case.number }}: {{ case.task.title }}",
               "{% if case.task.due_at %}Due {{ case.task.due_at }}.{% else %}No due date.{% endif %}"),
        "ru": ("Новая задача в кейсе {{ case.number }}: {{ case.task.title }}",
               "{% if case.task.due_at %}Срок: {{ case.task.due_at }}.{% else %}Без срока.{% endif %}"),
        "vi": ("Công việc mới trong yêu cầu {{ case.number }}: {{ case.task.title }}",
               "{% if case.task.due_at %}Hạn chót: {{ case.task.due_at }}.{% else %}Không có hạn chót.{% endif %}"),
    },
    "case.sla_warned": {
        "es": ("El caso {{ case.number }} está por vencer su plazo de " + _SLA_KIND["es"],
               "{{ case.subject }}\nVence: {{ case.due_at }}."),
        "en": ("Case {{ case.number }} is close to its " + _SLA_KIND["en"] + " target",
               "{{ case.subject }}\nDue {{ case.due_at }}."),
        "ru": ("Срок " + _SLA_KIND["ru"] + " по кейсу {{ case.number }} скоро истечёт",
               "{{ case.subject }}\nСрок: {{ case.due_at }}."),
        "vi": ("Yêu cầu {{ case.number }} sắp hết hạn " + _SLA_KIND["vi"],
               "{{ case.subject }}\nHạn: {{ case.due_at }}."),
    },
    "case.sla_breached": {
        "es": ("El caso {{ case.number }} superó su plazo de " + _SLA_KIND["es"],
               "{{ case.subject }}\nVencía: {{ case.due_at }}."),
        "en": ("Case {{ case.number }} missed its " + _SLA_KIND["en"] + " target",
               "{{ case.subject }}\nIt was due {{ case.due_at }}."),
        "ru": ("Срок " + _SLA_KIND["ru"] + " по кейсу {{ case.number }} нарушен",
               "{{ case.subject }}\nСрок был: {{ case.due_at }}."),
        "vi": ("Yêu cầu {{ case.number }} đã quá hạn " + _SLA_KIND["vi"],
               "{{ case.subject }}\nHạn là: {{ case.due_at }}."),
    },
    "case.escalated": {
        "es": ("Se le escaló el caso {{ case.number }}",
               "{{ case.subject }}\n{{ case.reason or 'Se superó el plazo del SLA.' }}"),
        "en": ("Case {{ case.number }} was escalated to you",
               "{{ case.subject }}\n{{ case.reason or 'The SLA target was missed.' }}"),
        "ru": ("Кейс {{ case.number }} эскалирован вам",
               "{{ case.subject }}\n{{ case.reason or 'Нарушен срок SLA.' }}"),
        "vi": ("Yêu cầu {{ case.number }} đã được chuyển lên cho bạn",
               "{{ case.subject }}\n{{ case.reason or 'Đã quá hạn SLA.' }}"),
    },
}

_CASE = {"id": "5b0f6a8e-0000-4000-8000-000000000001", "number": "2026-000042", "subject": "Entrega de SIM",
         "priority": "high", "reason": "falta la dirección de entrega", "resolution": "SIM entregada",
         "kind": "acceptance", "due_at": "2026-12-01T15:00:00+00:00",
         "customer": {"code": "C-1001", "name": "Nguyễn Văn Linh"},
         "queue": {"code": "delivery", "name": "Entregas"},
         "task": {"title": "Llamar al cliente", "due_at": "2026-12-02"}}

DEFAULTS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {(name, "email"): texts for name, texts in _EMAIL.items()}

SAMPLES: dict[str, dict] = {template: {"case": _CASE, "recipient": {"name": "Ana Pérez"}} for template in _EMAIL}
