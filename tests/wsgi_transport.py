"""Transports that hand each request to a WSGI app in this process, so that the gateway forwards to
the services' real apps without sockets (``mount_services(gateway_app, {"cases": cases_app})``): one
for its requests session (the card's parts, the console), one for its forwarder (the API's relay)."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from gateway.routing.upstream import Forwarder


def _answer_of(client, method: str, url: str, headers: dict, body: bytes | None) -> HTTPResponse:
    parts = urlsplit(url)
    answer = client.open(parts.path, method=method, query_string=parts.query, headers=headers, data=body or b"")
    answer_headers = HTTPHeaderDict()
    for name, value in answer.headers.items():
        answer_headers.add(name, value)
    return HTTPResponse(body=io.BytesIO(answer.get_data()), headers=answer_headers, status=answer.status_code,
                        preload_content=False, decode_content=False, request_url=url)


class WSGITransport(BaseAdapter):
    def __init__(self, app) -> None:
        super().__init__()
        self.client = app.test_client()
        self._builder = HTTPAdapter()

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        raw = _answer_of(self.client, request.method, request.url, dict(request.headers), body)
        return self._builder.build_response(request, raw)

    def close(self) -> None:
        self._builder.close()


class WSGIForwarder(Forwarder):
    """The gateway's forwarder, with the mounted base URLs answered by their apps in this process."""

    def __init__(self) -> None:
        super().__init__()
        self.clients: dict[str, object] = {}

    def mount(self, base_url: str, app) -> None:
        self.clients[base_url] = app.test_client()

    def send(self, method, url, *, headers, body, timeouts):
        for base_url, client in self.clients.items():
            if url.startswith(base_url + "/"):
                return _answer_of(client, method, url, headers, body)
        return super().send(method, url, headers=headers, body=body, timeouts=timeouts)


def mount_services(gateway_app, services: dict) -> None:
    """Point the gateway's routes at the services' apps: each service gets a base URL of its own."""
    session: requests.Session = gateway_app.extensions["caredesk.http"]
    forwarder = gateway_app.extensions["caredesk.forwarder"]
    if not isinstance(forwarder, WSGIForwarder):
        forwarder = gateway_app.extensions["caredesk.forwarder"] = WSGIForwarder()
    urls = dict(gateway_app.extensions["caredesk.service_urls"])
    for name, app in services.items():
        urls[name] = f"http://{name}.in-process"
        session.mount(urls[name] + "/", WSGITransport(app))
        forwarder.mount(urls[name], app)
    gateway_app.extensions["caredesk.service_urls"] = urls
