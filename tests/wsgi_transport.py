"""A requests transport that hands each request to a WSGI app in this process: the gateway forwards
to the services' real apps without sockets (``mount_services(gateway_app, {"cases": cases_app})``)."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict


class WSGITransport(BaseAdapter):
    def __init__(self, app) -> None:
        super().__init__()
        self.client = app.test_client()
        self._builder = HTTPAdapter()

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.open(url.path, method=request.method, query_string=url.query,
                                  headers=dict(request.headers), data=body or b"")
        headers = HTTPHeaderDict()
        for name, value in answer.headers.items():
            headers.add(name, value)
        raw = HTTPResponse(body=io.BytesIO(answer.get_data()), headers=headers, status=answer.status_code,
                           preload_content=False, decode_content=False, request_url=request.url)
        return self._builder.build_response(request, raw)

    def close(self) -> None:
        self._builder.close()


def mount_services(gateway_app, services: dict) -> None:
    """Point the gateway's routes at the services' apps: each service gets a base URL of its own."""
    session: requests.Session = gateway_app.extensions["caredesk.http"]
    urls = dict(gateway_app.extensions["caredesk.service_urls"])
    for name, app in services.items():
        urls[name] = f"http://{name}.in-process"
        session.mount(urls[name] + "/", WSGITransport(app))
    gateway_app.extensions["caredesk.service_urls"] = urls
