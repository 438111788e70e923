"""The embedded mode's stand-ins for a mail server and an SMS/WhatsApp provider: every message the
system sends is kept under ``<data dir>/caught`` (``mail/*.eml``, ``messages/*.json``) so that a
newcomer sees it, and listed by ``GET /api/v1/notifications/caught`` (administrators).

The provider speaks the HTTP provider format of ``deliveries/channels.py`` and honours
``Idempotency-Key`` (a repeated key gets the first answer, nothing is kept twice)."""
from __future__ import annotations

import email
import email.policy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from services.kit.db import utcnow


def caught_folders(data_dir: Path) -> tuple[Path, Path]:
    return data_dir / "caught" / "mail", data_dir / "caught" / "messages"


class _MailHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return f"250 OK kept as {name}"


def _provider_handler(folder: Path):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            key = "".join(c for c in self.headers.get("Idempotency-Key", uuid.uuid4().hex) if c.isalnum() or c == "-")
            path = folder / f"{key}.json"
            with lock:
                if not path.exists():
                    path.write_text(json.dumps(body | {"id": key, "received_at": utcnow().isoformat()},
                                               ensure_ascii=False))
            answer = json.dumps({"id": key}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


def run_catcher(data_dir: Path, *, smtp_port: int, http_port: int, stop: threading.Event) -> None:
    """Serve SMTP on ``smtp_port`` and the provider on ``http_port`` (127.0.0.1) until ``stop``."""
    mail, messages = caught_folders(data_dir)
    mail.mkdir(parents=True, exist_ok=True)
    messages.mkdir(parents=True, exist_ok=True)
    controller = Controller(_MailHandler(mail), hostname="127.0.0.1", port=smtp_port, enable_SMTPUTF8=True)
    provider = ThreadingHTTPServer(("127.0.0.1", http_port), _provider_handler(messages))
    controller.start()
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    try:
        stop.wait()
    finally:
        provider.shutdown()
        controller.stop()


def caught_files(data_dir: Path) -> list[Path]:
    """Every caught mail, newest first, then every caught text message, newest first."""
    mail, messages = caught_folders(data_dir)
    mails = sorted(mail.glob("*.eml"), reverse=True) if mail.exists() else []
    texts = sorted(messages.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True) if messages.exists() else []
    return mails + texts


def read_caught(path: Path) -> dict:
    """One caught mail (.eml) or text message (.json) as the API shows it."""
    if path.suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        return {"kind": "email", "file": path.name, "from": message["From"], "to": message["To"],
                "subject": message["Subject"], "message_id": message["Message-ID"],
                "text": body.get_content() if body else "",
                "has_invitation": any(part.get_content_type() == "text/calendar" for part in message.walk())}
    data = json.loads(path.read_text())
    return {"kind": data.get("channel", "sms"), "file": path.name, "to": data.get("to"),
            "text": data.get("body", ""), "message_id": data.get("id")}


def list_caught(data_dir: Path, *, limit: int) -> list[dict]:
    """The newest caught mails and messages first (at most ``limit``)."""
    return [read_caught(path) for path in caught_files(data_dir)[:limit]]
