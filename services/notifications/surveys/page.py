"""The survey page a customer opens from the link (seed 004's polls, answered from a browser):
server-rendered HTML in the customer's language (es, en, ru, vi), a plain form with no JavaScript,
posted to the same signed URL the JSON API answers. A browser is told apart by what it asks for:
a GET that prefers text/html, a POST of an HTML form; every other client gets the JSON API."""
from __future__ import annotations

import secrets
from pathlib import Path

from babel.dates import format_date
from flask import Response, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

LANGUAGES = ("es", "en", "ru", "vi")
LANGUAGE_NAMES = {"es": "Español", "en": "English", "ru": "Русский", "vi": "Tiếng Việt"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Written for customers, in each language as a native speaker would put it.
TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Encuesta de satisfacción", "heading": "¿Cómo le atendimos?",
        "intro": "Su caso {case} fue cerrado. Califique nuestra atención de 1 a 5 y, si quiere, déjenos un "
                 "comentario.",
        "rating": "Su calificación", "comment": "Comentario (opcional)", "send": "Enviar respuesta",
        "until": "Puede responder hasta el {date}.",
        "score_1": "Muy insatisfecho", "score_2": "Insatisfecho", "score_3": "Ni satisfecho ni insatisfecho",
        "score_4": "Satisfecho", "score_5": "Muy satisfecho",
        "thanks": "¡Gracias por su respuesta!", "answered": "Calificó la atención del caso {case} con {score} de 5.",
        "your_comment": "Su comentario:", "already": "Esta encuesta ya fue respondida.",
        "expired": "El enlace ha vencido", "expired_text": "Esta encuesta ya no admite respuestas. Gracias de todos "
                                                          "modos.",
        "missing": "Encuesta no encontrada", "missing_text": "Revise que el enlace esté completo, tal como lo "
                                                            "recibió.",
        "error_score": "Elija una calificación de 1 a 5.", "error_comment": "El comentario admite hasta 2000 "
                                                                            "caracteres.",
        "errors": "Revise lo marcado, por favor.", "language": "Idioma",
    },
    "en": {
        "title": "Satisfaction survey", "heading": "How did we do?",
        "intro": "Your case {case} has been closed. Please rate our service from 1 to 5 and, if you like, leave us "
                 "a comment.",
        "rating": "Your rating", "comment": "Comment (optional)", "send": "Send my answer",
        "until": "You can answer until {date}.",
        "score_1": "Very dissatisfied", "score_2": "Dissatisfied", "score_3": "Neither satisfied nor dissatisfied",
        "score_4": "Satisfied", "score_5": "Very satisfied",
        "thanks": "Thank you for your answer!", "answered": "You rated our service on case {case} {score} out of 5.",
        "your_comment": "Your comment:", "already": "This survey has already been answered.",
        "expired": "This link has expired", "expired_text": "This survey no longer takes answers. Thank you all the "
                                                           "same.",
        "missing": "Survey not found", "missing_text": "Please check that the link is complete, exactly as you "
                                                      "received it.",
        "error_score": "Please choose a rating from 1 to 5.", "error_comment": "A comment can be up to 2,000 "
                                                                               "characters long.",
        "errors": "Please check the marked fields.", "language": "Language",
    },
    "ru": {
        "title": "Опрос о качестве обслуживания", "heading": "Как мы справились?",
        "intro": "Ваше обращение {case} закрыто. Пожалуйста, оцените нашу работу от 1 до 5 и, если хотите, "
                 "оставьте комментарий.",
        "rating": "Ваша оценка", "comment": "Комментарий (необязательно)", "send": "Отправить ответ",
        "until": "Ответить можно до {date}.",
        "score_1": "Очень плохо", "score_2": "Плохо", "score_3": "Удовлетворительно", "score_4": "Хорошо",
        "score_5": "Отлично",
        "thanks": "Спасибо за ваш ответ!", "answered": "Вы оценили работу по обращению {case} на {score} из 5.",
        "your_comment": "Ваш комментарий:", "already": "На этот опрос уже ответили.",
        "expired": "Срок действия ссылки истёк", "expired_text": "Этот опрос больше не принимает ответы. Всё равно "
                                                                "спасибо!",
        "missing": "Опрос не найден", "missing_text": "Проверьте, что ссылка открыта полностью — так, как вы её "
                                                     "получили.",
        "error_score": "Выберите оценку от 1 до 5.", "error_comment": "Комментарий — не длиннее 2000 символов.",
        "errors": "Пожалуйста, проверьте отмеченные поля.", "language": "Язык",
    },
    "vi": {
        "title": "Khảo sát mức độ hài lòng", "heading": "Quý khách đánh giá dịch vụ của chúng tôi thế nào?",
        "intro": "Yêu cầu {case} của quý khách đã được đóng. Xin quý khách chấm điểm dịch vụ từ 1 đến 5 và để lại "
                 "góp ý nếu muốn.",
        "rating": "Điểm đánh giá", "comment": "Góp ý (không bắt buộc)", "send": "Gửi câu trả lời",
        "until": "Quý khách có thể trả lời đến ngày {date}.",
        "score_1": "Rất không hài lòng", "score_2": "Không hài lòng", "score_3": "Bình thường",
        "score_4": "Hài lòng", "score_5": "Rất hài lòng",
        "thanks": "Cảm ơn quý khách đã phản hồi!", "answered": "Quý khách đã chấm {score}/5 cho yêu cầu {case}.",
        "your_comment": "Góp ý của quý khách:", "already": "Khảo sát này đã được trả lời.",
        "expired": "Đường dẫn đã hết hạn", "expired_text": "Khảo sát này không còn nhận câu trả lời. Xin cảm ơn "
                                                          "quý khách.",
        "missing": "Không tìm thấy khảo sát", "missing_text": "Xin kiểm tra lại đường dẫn đã đầy đủ như khi quý "
                                                             "khách nhận được chưa.",
        "error_score": "Xin chọn điểm từ 1 đến 5.", "error_comment": "Góp ý tối đa 2.000 ký tự.",
        "errors": "Xin kiểm tra lại các mục được đánh dấu.", "language": "Ngôn ngữ",
    },
}

_ENVIRONMENT = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                           autoescape=select_autoescape(default=True, default_for_string=True))


def wants_page() -> bool:
    """A browser: a GET preferring HTML to JSON, or a POST of an HTML form."""
    if request.method == "POST":
        return request.mimetype in FORM_TYPES
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html" and \
        request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def page_language(survey_language: str | None, fallback: str) -> str:
    """``?lang=`` when the customer switched, else the survey's (the customer's), else the browser's
    Accept-Language, else the company's."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if survey_language in LANGUAGES:
        return survey_language
    return request.accept_languages.best_match(LANGUAGES) or (fallback if fallback in LANGUAGES else "es")


def render(state: str, *, language: str, status: int, survey=None, errors: dict | None = None,
           form: dict | None = None) -> Response:
    """The page in one of its states: ``form``, ``answered``, ``already``, ``expired``, ``missing``."""
    texts = TEXTS[language]
    nonce = secrets.token_urlsafe(16)
    html = _ENVIRONMENT.get_template("survey_page.html").render(
        state=state, t=texts, lang=language, languages=LANGUAGE_NAMES, survey=survey, errors=errors or {},
        form=form or {}, nonce=nonce, scores=[(n, texts[f"score_{n}"]) for n in range(5, 0, -1)],
        until=format_date(survey.expires_at.date(), format="long", locale=language) if survey else "")
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (f"default-src 'none'; style-src 'nonce-{nonce}'; "
                                                   "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = language
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response
