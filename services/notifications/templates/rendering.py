"""Rendering templates in Jinja2's sandbox: an administrator's template can read the context it is
given and nothing else (no attribute access to internals, no imports)."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_TEXT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
_HTML = SandboxedEnvironment(autoescape=True)
# Validation renders the sample with undefined names as errors, so a typo is refused at once.
_STRICT = {False: SandboxedEnvironment(autoescape=False, undefined=StrictUndefined),
           True: SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)}

FIELDS = ("subject", "body_text", "body_html")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str | None = None


@lru_cache(maxsize=512)
def _compiled(environment: SandboxedEnvironment, source: str):
    """Compiled once per process and text (a reminder run renders the same few texts many times)."""
    return environment.from_string(source)


def _render(environment: SandboxedEnvironment, source: str, context: dict) -> str:
    return _compiled(environment, source).render(**context)


def render(texts: dict, context: dict) -> Rendered:
    """The message for ``context``; a name the context lacks renders empty."""
    subject = " ".join(_render(_TEXT, texts.get("subject") or "", context).split())  # one line
    body_html = texts.get("body_html")
    return Rendered(subject=subject[:300], body_text=_render(_TEXT, texts["body_text"], context),
                    body_html=_render(_HTML, body_html, context) if body_html else None)


def template_errors(texts: dict, sample: dict) -> dict[str, list[str]]:
    """Each field that does not compile or does not render the sample, with the line and Jinja's
    message (empty when all render)."""
    errors: dict[str, list[str]] = {}
    for field in FIELDS:
        source = texts.get(field)
        if not source:
            continue
        try:
            _render(_STRICT[field == "body_html"], source, sample)
        except TemplateSyntaxError as exc:
            errors[field] = [f"line {exc.lineno}: {exc.message}"]
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            errors[field] = [f"line {_template_line(exc)}: {exc}"]
    return errors


def _template_line(exc: Exception) -> int:
    """The template line a rendering error happened on (Jinja maps its frames to template lines)."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == "<template>"]
    return lines[-1] if lines else 1
