"""The API as the signed-in user: the services' resources over HTTP with the user's token (as the
gateway's routing forwards them), the gateway's own (auth, directory) through its own views in
process. Nothing here reads a database: every page sees what the API lets this user see."""
from __future__ import annotations

import contextvars
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from flask import current_app, g, request

from gateway.routing.proxy import RESOURCE_OWNERS
from gateway.routing.upstream import send
from services.kit.schemas import MAX_PER_PAGE

log = logging.getLogger("caredesk.console")
# every() follows at most this many pages (40,000 items): a list the console shows whole is far smaller
PAGES_FOLLOWED_AT_MOST = 200
# Threads for the reads a page starts at once (get_soon, every_soon), shared by the gateway process.
READ_THREADS = 32


class ApiMessage(str):
    """A message as the API wrote it (English): the console translates the ones it knows and marks
    the others as English (words.api_text); its own words, already translated, are plain str."""


@dataclass
class Answer:
    status: int
    body: dict | list | None
    etag: str | None = None

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def field_errors(self) -> dict:
        """The problem's per-field messages, flattened to one list of strings per field."""
        errors = (self.body or {}).get("errors") or {} if isinstance(self.body, dict) else {}
        return {name: _flatten(messages) for name, messages in errors.items()}

    def nested_errors(self, name: str):
        """The problem's messages under one field as the API nested them (per row, per member),
        each message marked as the API's."""
        errors = (self.body or {}).get("errors") or {} if isinstance(self.body, dict) else {}
        return _marked(errors.get(name)) if isinstance(errors, dict) else None

    @property
    def detail(self) -> str:
        return ApiMessage((self.body or {}).get("detail", "") if isinstance(self.body, dict) else "")


def _marked(messages):
    if isinstance(messages, str):
        return ApiMessage(messages)
    if isinstance(messages, dict):
        return {key: _marked(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_marked(value) for value in messages]
    return messages


def _flatten(messages) -> list[str]:
    if isinstance(messages, str):
        return [ApiMessage(messages)]
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _flatten(value)]
    return [text for value in messages for text in _flatten(value)]


class SignedOut(Exception):
    """The API refused the session's token (expired or revoked): the user signs in again."""


class ServiceDown(Exception):
    """A service did not answer; the page says so and nothing was changed."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


@dataclass
class Api:
    token: str | None
    language: str = "en"
    calls: list = field(default_factory=list)

    def get(self, path: str, **params) -> Answer:
        return self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    def every(self, path: str, **params) -> Answer:
        """Every item of a list, however many pages it has: pages of MAX_PER_PAGE (one call for the small
        lists the console shows whole: reasons, queues, members), then ``links.next`` until it is null.
        The answer's body is the list of the items; the first refusal comes back as it is."""
        answer = self.get(path, **{"per_page": MAX_PER_PAGE} | params)
        if not answer.ok or not isinstance(answer.body, dict):
            return answer
        items, pages = list(answer.body.get("items") or []), 1
        following = (answer.body.get("links") or {}).get("next")
        while following:
            if pages >= PAGES_FOLLOWED_AT_MOST:
                log.warning("%s: stopped after %d pages of %d items", path, pages, MAX_PER_PAGE)
                break
            # the link is the path the API was called with, below /api/v1, and its query
            answer = self.call("GET", following.removeprefix("/api/v1/"))
            if not answer.ok or not isinstance(answer.body, dict):
                return answer
            items.extend(answer.body.get("items") or [])
            following, pages = (answer.body.get("links") or {}).get("next"), pages + 1
        return Answer(answer.status, items, answer.etag)

    def get_soon(self, path: str, **params) -> Future:
        """get(), started now: a page starts the reads that do not depend on each other at once and
        waits for the slowest rather than for their sum. ``.result()`` is the answer, or raises what
        get() raises (SignedOut, ServiceDown), where the page takes it."""
        return self._soon(self.get, path, **params)

    def every_soon(self, path: str, **params) -> Future:
        """every(), started now (see get_soon)."""
        return self._soon(self.every, path, **params)

    def _soon(self, read, path: str, **params) -> Future:
        pool: ThreadPoolExecutor = current_app.extensions["caredesk.console_reads"]
        # the request's contexts go along (app, request, g): the read runs as it would in the page
        return pool.submit(contextvars.copy_context().run, read, path, **params)

    def call(self, method: str, path: str, *, json=None, params=None, if_match: str | None = None,
             allow_signed_out: bool = False) -> Answer:
        """``path`` below /api/v1. A 401 raises SignedOut unless the caller expects it (sign-in)."""
        headers = {"Accept": "application/json", "Accept-Language": self.language,
                   "X-Correlation-ID": g.get("correlation_id", "")}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if if_match:
            headers["If-Match"] = if_match
        resource = path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        owner = RESOURCE_OWNERS.get(resource)
        answer = (self._remote(owner, method, path, headers, json, params) if owner
                  else self._local(method, path, headers, json, params))
        self.calls.append((method, path, answer.status))
        if answer.status == 401 and not allow_signed_out:
            raise SignedOut()
        return answer

    def _headers(self, accept: str = "application/json") -> dict:
        headers = {"Accept": accept, "Accept-Language": self.language, "X-Correlation-ID": g.get("correlation_id", "")}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def upload(self, path: str, *, data: dict, file) -> Answer:
        """A multipart upload to a service (``file``: a werkzeug FileStorage), streamed through, not read
        into memory here."""
        owner = RESOURCE_OWNERS[path.lstrip("/").split("/", 1)[0]]
        files = {"file": (file.filename or "file", file.stream, file.mimetype or "application/octet-stream")}
        answer = self._remote(owner, "POST", path, self._headers(), None, None, data=data, files=files)
        self.calls.append(("POST", path, answer.status))
        if answer.status == 401:
            raise SignedOut()
        return answer

    def stream(self, path: str, *, params: dict | None = None, accept: str = "*/*") -> requests.Response:
        """A download from a service, left unread: the caller passes its chunks on to the browser and
        closes it. A refused token raises SignedOut; other failures come back as the response."""
        owner = RESOURCE_OWNERS[path.lstrip("/").split("/", 1)[0]]
        url = current_app.extensions["caredesk.service_urls"][owner] + "/api/v1/" + path.lstrip("/")
        http: requests.Session = current_app.extensions["caredesk.http"]
        try:
            response = send(http, "GET", url, params=params, headers=self._headers(accept), stream=True,
                            timeout=(3, 120))
        except requests.RequestException as exc:
            log.warning("%s service unreachable: %s", owner, exc)
            raise ServiceDown(owner) from None
        self.calls.append(("GET", path, response.status_code))
        if response.status_code == 401:
            response.close()
            raise SignedOut()
        return response

    def _remote(self, owner, method, path, headers, json, params, *, data=None, files=None) -> Answer:
        url = current_app.extensions["caredesk.service_urls"][owner] + "/api/v1/" + path.lstrip("/")
        http: requests.Session = current_app.extensions["caredesk.http"]
        try:
            # a read whose kept-alive connection the service closed just then is sent again (send)
            response = send(http, method, url, json=json, params=params, headers=headers, data=data, files=files,
                            timeout=(3, 30 if files is None else 300))
        except requests.RequestException as exc:
            log.warning("%s service unreachable: %s", owner, exc)
            raise ServiceDown(owner) from None
        body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
        return Answer(response.status_code, body, response.headers.get("ETag"))

    def _local(self, method, path, headers, json, params) -> Answer:
        client = current_app.test_client()
        response = client.open("/api/v1/" + path.lstrip("/"), method=method, json=json, query_string=params,
                               headers=headers, environ_base={"REMOTE_ADDR": request.remote_addr or ""})
        body = response.get_json(silent=True)
        return Answer(response.status_code, body, response.headers.get("ETag"))
