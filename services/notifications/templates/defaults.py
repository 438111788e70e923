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

# Payment reminders (seed 001): an invoice about to fall due, one overdue, and the notice to the
# administrator and the agent when a reminder could not leave the agent's mailbox.
_PAYMENTS: dict[str, dict[str, tuple[str, str]]] = {
    "payment.reminder": {
        "es": ("Recordatorio: su factura {{ invoice.number }} vence el {{ invoice.due_date }}",
               "Estimado(a) {{ recipient.name }}:\n\nLe recordamos que la factura {{ invoice.number }} por "
               "{{ invoice.outstanding }} {{ invoice.currency }} vence el {{ invoice.due_date }}.\n"
               "Si ya realizó el pago, por favor ignore este mensaje.\n\nAtentamente,\nDepartamento de cobranza"),
        "en": ("Reminder: invoice {{ invoice.number }} is due on {{ invoice.due_date }}",
               "Dear {{ recipient.name }},\n\nThis is a friendly reminder that invoice {{ invoice.number }} for "
               "{{ invoice.outstanding }} {{ invoice.currency }} is due on {{ invoice.due_date }}.\n"
               "If you have already paid it, please disregard this message.\n\nKind regards,\nAccounts receivable"),
        "ru": ("Напоминание: срок оплаты счёта {{ invoice.number }} — {{ invoice.due_date }}",
               "Здравствуйте, {{ recipient.name }}!\n\nНапоминаем, что счёт {{ invoice.number }} на сумму "
               "{{ invoice.outstanding }} {{ invoice.currency }} необходимо оплатить до {{ invoice.due_date }}.\n"
               "Если вы уже оплатили его, просто не обращайте внимания на это письмо.\n\n"
               "С уважением,\nотдел по работе с задолженностью"),
        "vi": ("Nhắc nhở: hóa đơn {{ invoice.number }} đến hạn thanh toán ngày {{ invoice.due_date }}",
               "Kính gửi {{ recipient.name }},\n\nChúng tôi xin nhắc quý khách rằng hóa đơn {{ invoice.number }} "
               "với số tiền {{ invoice.outstanding }} {{ invoice.currency }} sẽ đến hạn thanh toán vào ngày "
               "{{ invoice.due_date }}.\nNếu quý khách đã thanh toán, xin vui lòng bỏ qua thư này.\n\n"
               "Trân trọng,\nBộ phận thu hồi công nợ"),
    },
    "payment.overdue": {
        "es": ("Aviso: su factura {{ invoice.number }} está vencida",
               "Estimado(a) {{ recipient.name }}:\n\nLa factura {{ invoice.number }} venció el "
               "{{ invoice.due_date }} y tiene un saldo pendiente de {{ invoice.outstanding }} {{ invoice.currency }}.\n"
               "Le agradeceremos regularizar el pago a la brevedad o comunicarse con nosotros.\n\n"
               "Atentamente,\nDepartamento de cobranza"),
        "en": ("Notice: invoice {{ invoice.number }} is overdue",
               "Dear {{ recipient.name }},\n\nInvoice {{ invoice.number }} was due on {{ invoice.due_date }} and "
               "{{ invoice.outstanding }} {{ invoice.currency }} is still outstanding.\n"
               "Please settle it as soon as possible or get in touch with us.\n\nKind regards,\nAccounts receivable"),
        "ru": ("Уведомление: счёт {{ invoice.number }} просрочен",
               "Здравствуйте, {{ recipient.name }}!\n\nСрок оплаты счёта {{ invoice.number }} истёк "
               "{{ invoice.due_date }}, задолженность составляет {{ invoice.outstanding }} {{ invoice.currency }}.\n"
               "Просим погасить её в ближайшее время или связаться с нами.\n\n"
               "С уважением,\nотдел по работе с задолженностью"),
        "vi": ("Thông báo: hóa đơn {{ invoice.number }} đã quá hạn",
               "Kính gửi {{ recipient.name }},\n\nHóa đơn {{ invoice.number }} đã đến hạn vào ngày "
               "{{ invoice.due_date }} và hiện còn nợ {{ invoice.outstanding }} {{ invoice.currency }}.\n"
               "Kính mong quý khách sớm thanh toán hoặc liên hệ với chúng tôi.\n\n"
               "Trân trọng,\nBộ phận thu hồi công nợ"),
    },
    "payment.reminder_failed": {
        "es": ("No se pudo enviar el recordatorio de la factura {{ invoice.number }}",
               "El correo a {{ delivery.address }} no salió del buzón {{ delivery.sender }}: {{ delivery.error }}\n"
               "Revise la cuenta de correo en Mi cuenta; un administrador puede reintentar el envío."),
        "en": ("The reminder for invoice {{ invoice.number }} could not be sent",
               "The e-mail to {{ delivery.address }} did not leave the mailbox {{ delivery.sender }}: "
               "{{ delivery.error }}\nCheck the mail account under My account; an administrator can retry it."),
        "ru": ("Не удалось отправить напоминание по счёту {{ invoice.number }}",
               "Письмо на адрес {{ delivery.address }} не удалось отправить из ящика {{ delivery.sender }}: "
               "{{ delivery.error }}\nПроверьте почтовый ящик в разделе «Мой аккаунт»; администратор может "
               "повторить отправку."),
        "vi": ("Không gửi được thư nhắc cho hóa đơn {{ invoice.number }}",
               "Thư gửi tới {{ delivery.address }} không gửi được từ hộp thư {{ delivery.sender }}: "
               "{{ delivery.error }}\nVui lòng kiểm tra tài khoản thư trong mục Tài khoản của tôi; quản trị viên "
               "có thể gửi lại."),
    },
}

# Follow-up invitations (seed 002): the e-mail's text; the invitation itself is its text/calendar part.
_FOLLOWUPS: dict[str, dict[str, tuple[str, str]]] = {
    "followup.invitation": {
        "es": ("Invitación: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} le invita a un seguimiento del cliente {{ followup.customer_code }} "
               "(interacción {{ followup.interaction_number }}).\nCuándo: {{ followup.when }}"
               "{% if followup.location %}\nLugar: {{ followup.location }}{% endif %}"
               "{% if recipient.in_copy %}\nRecibe esta invitación en copia.{% endif %}"),
        "en": ("Invitation: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} invites you to a follow-up with customer {{ followup.customer_code }} "
               "(interaction {{ followup.interaction_number }}).\nWhen: {{ followup.when }}"
               "{% if followup.location %}\nWhere: {{ followup.location }}{% endif %}"
               "{% if recipient.in_copy %}\nYou are copied on this invitation.{% endif %}"),
        "ru": ("Приглашение: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} приглашает вас на повторный контакт с клиентом {{ followup.customer_code }} "
               "(обращение {{ followup.interaction_number }}).\nКогда: {{ followup.when }}"
               "{% if followup.location %}\nГде: {{ followup.location }}{% endif %}"
               "{% if recipient.in_copy %}\nВы получили это приглашение в копии.{% endif %}"),
        "vi": ("Lời mời: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} mời bạn tham gia buổi theo dõi khách hàng {{ followup.customer_code }} "
               "(tương tác {{ followup.interaction_number }}).\nThời gian: {{ followup.when }}"
               "{% if followup.location %}\nĐịa điểm: {{ followup.location }}{% endif %}"
               "{% if recipient.in_copy %}\nBạn nhận được lời mời này dưới dạng bản sao.{% endif %}"),
    },
    "followup.changed": {
        "es": ("Cambio: {{ followup.subject }} — ahora {{ followup.when }}",
               "{{ followup.organiser }} cambió el seguimiento del cliente {{ followup.customer_code }}.\n"
               "Cuándo: {{ followup.when }}{% if followup.location %}\nLugar: {{ followup.location }}{% endif %}"),
        "en": ("Updated: {{ followup.subject }} — now {{ followup.when }}",
               "{{ followup.organiser }} changed the follow-up with customer {{ followup.customer_code }}.\n"
               "When: {{ followup.when }}{% if followup.location %}\nWhere: {{ followup.location }}{% endif %}"),
        "ru": ("Изменение: {{ followup.subject }} — теперь {{ followup.when }}",
               "{{ followup.organiser }} изменил(а) повторный контакт с клиентом {{ followup.customer_code }}.\n"
               "Когда: {{ followup.when }}{% if followup.location %}\nГде: {{ followup.location }}{% endif %}"),
        "vi": ("Thay đổi: {{ followup.subject }} — nay vào {{ followup.when }}",
               "{{ followup.organiser }} đã thay đổi buổi theo dõi khách hàng {{ followup.customer_code }}.\n"
               "Thời gian: {{ followup.when }}{% if followup.location %}\nĐịa điểm: {{ followup.location }}{% endif %}"),
    },
    "followup.cancelled": {
        "es": ("Cancelado: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} canceló el seguimiento del cliente {{ followup.customer_code }} "
               "previsto para {{ followup.when }}."),
        "en": ("Cancelled: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} cancelled the follow-up with customer {{ followup.customer_code }} "
               "planned for {{ followup.when }}."),
        "ru": ("Отменено: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} отменил(а) повторный контакт с клиентом {{ followup.customer_code }}, "
               "назначенный на {{ followup.when }}."),
        "vi": ("Đã hủy: {{ followup.subject }} — {{ followup.when }}",
               "{{ followup.organiser }} đã hủy buổi theo dõi khách hàng {{ followup.customer_code }} "
               "dự kiến vào {{ followup.when }}."),
    },
}
_FOLLOWUP_SAMPLE = {"followup": {"subject": "Llamar por la portabilidad", "when": "2026-12-02 10:00 (America/Bogota)",
                                 "location": "Oficina Centro", "customer_code": "C-1001",
                                 "interaction_number": "2026-000042", "organiser": "Ana Pérez"},
                    "recipient": {"name": "Boris Ivanov", "in_copy": False}}

# Satisfaction surveys (seed 004): by e-mail, or by SMS (short: the link does the rest).
_SURVEYS_EMAIL: dict[str, dict[str, tuple[str, str]]] = {
    "survey.request": {
        "es": ("¿Cómo le atendimos? Caso {{ case.number }}",
               "Estimado(a) {{ customer.name }}:\n\nSu caso {{ case.number }} ({{ case.subject }}) fue cerrado. "
               "¿Nos cuenta cómo le atendimos? Califíquenos de 1 a 5 y, si quiere, déjenos un comentario:\n"
               "{{ survey.link }}\n\nEl enlace es válido hasta el {{ survey.expires_on }}. ¡Gracias!"),
        "en": ("How did we do? Case {{ case.number }}",
               "Dear {{ customer.name }},\n\nYour case {{ case.number }} ({{ case.subject }}) has been closed. "
               "Would you tell us how we did? Rate us from 1 to 5 and leave a comment if you like:\n"
               "{{ survey.link }}\n\nThe link is valid until {{ survey.expires_on }}. Thank you!"),
        "ru": ("Как мы справились? Кейс {{ case.number }}",
               "Здравствуйте, {{ customer.name }}!\n\nВаше обращение {{ case.number }} ({{ case.subject }}) "
               "закрыто. Расскажите, пожалуйста, как мы справились: поставьте оценку от 1 до 5 и, если хотите, "
               "оставьте комментарий:\n{{ survey.link }}\n\nСсылка действительна до {{ survey.expires_on }}. "
               "Спасибо!"),
        "vi": ("Quý khách đánh giá thế nào? Yêu cầu {{ case.number }}",
               "Kính gửi {{ customer.name }},\n\nYêu cầu {{ case.number }} ({{ case.subject }}) của quý khách đã "
               "được đóng. Xin quý khách cho biết mức độ hài lòng từ 1 đến 5 và để lại góp ý nếu muốn:\n"
               "{{ survey.link }}\n\nĐường dẫn có hiệu lực đến ngày {{ survey.expires_on }}. Xin cảm ơn!"),
    },
}
_SURVEYS_SMS: dict[str, dict[str, tuple[str, str]]] = {
    "survey.request": {
        "es": ("Encuesta del caso {{ case.number }}",
               "Su caso {{ case.number }} fue cerrado. ¿Cómo le atendimos? Califique de 1 a 5: {{ survey.link }}"),
        "en": ("Survey for case {{ case.number }}",
               "Your case {{ case.number }} is closed. How did we do? Rate us 1-5: {{ survey.link }}"),
        "ru": ("Опрос по кейсу {{ case.number }}",
               "Ваше обращение {{ case.number }} закрыто. Оцените нашу работу от 1 до 5: {{ survey.link }}"),
        "vi": ("Khảo sát yêu cầu {{ case.number }}",
               "Yêu cầu {{ case.number }} đã đóng. Quý khách đánh giá từ 1 đến 5 tại: {{ survey.link }}"),
    },
}
_SURVEY_SAMPLE = {"case": {"number": "2026-000042", "subject": "Entrega de SIM"},
                  "customer": {"name": "Nguyễn Văn Linh"},
                  "survey": {"link": "https://crm.example.com/api/v1/notifications/surveys/answer/abc",
                             "expires_on": "2026-12-15"}}

_INVOICE = {"number": "F-2026-00123", "amount": "1250.00", "paid_amount": "0", "outstanding": "1250.00",
            "currency": "USD", "issue_date": "2026-11-01", "due_date": "2026-12-01"}
_PAYMENT_SAMPLE = {"invoice": _INVOICE, "customer": {"code": "C-1001", "name": "Nguyễn Văn Linh"},
                   "recipient": {"name": "Nguyễn Văn Linh"},
                   "concept": {"description": "7 días antes del vencimiento", "days": 7},
                   "delivery": {"address": "linh@example.com", "sender": "cobranza@caredesk.test",
                                "error": "SMTP login refused: 535"}}

_CASE = {"id": "5b0f6a8e-0000-4000-8000-000000000001", "number": "2026-000042", "subject": "Entrega de SIM",
         "priority": "high", "reason": "falta la dirección de entrega", "resolution": "SIM entregada",
         "kind": "acceptance", "due_at": "2026-12-01T15:00:00+00:00",
         "customer": {"code": "C-1001", "name": "Nguyễn Văn Linh"},
         "queue": {"code": "delivery", "name": "Entregas"},
         "task": {"title": "Llamar al cliente", "due_at": "2026-12-02"}}

DEFAULTS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    (name, "email"): texts for name, texts in (_EMAIL | _PAYMENTS | _FOLLOWUPS | _SURVEYS_EMAIL).items()} | {
    (name, "sms"): texts for name, texts in _SURVEYS_SMS.items()}

SAMPLES: dict[str, dict] = {template: {"case": _CASE, "recipient": {"name": "Ana Pérez"}} for template in _EMAIL} | {
    template: _PAYMENT_SAMPLE for template in _PAYMENTS} | {template: _FOLLOWUP_SAMPLE for template in _FOLLOWUPS} | {
    template: _SURVEY_SAMPLE for template in _SURVEYS_EMAIL}
