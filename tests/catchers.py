"""Real servers a test starts for the notifications channels: an SMTP server (aiosmtpd) that keeps
every message it accepts, and an HTTP SMS/WhatsApp provider that keeps every request."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailCatcher:
    """``with MailCatcher() as smtp:`` — ``smtp.port``; ``smtp.messages`` as parsed e-mails.
    ``smtp.refuse_with`` = "451 ..." makes it refuse every DATA with that reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.peers: list[tuple[str, int]] = []  # the client's address of each message: its connection
        self.refuse_with: str | None = None
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.peers.append(tuple(session.peer))
        return f"250 OK queued as {len(self.messages)}"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message["Message-ID"] for message in self.messages]

    def __enter__(self) -> "MailCatcher":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class ProviderStub:
    """An HTTP SMS/WhatsApp provider: keeps each POST /messages (headers and JSON) and answers
    ``status`` (200 with a message id unless set otherwise). It honours Idempotency-Key."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.by_key: dict[str, str] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
                if stub.status != 200:
                    answer, status = {"error": "refused"}, stub.status
                else:
                    key = self.headers.get("Idempotency-Key")
                    answer, status = {"id": stub.by_key.setdefault(key, f"prov-{len(stub.by_key) + 1}")}, 200
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "ProviderStub":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
