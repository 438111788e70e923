"""Prometheus metrics for HTTP requests, served at /metrics."""
from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


def request_seconds() -> float:
    """How long the current request has taken so far (the one timer: the log line and the histogram)."""
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else 0.0


def install_metrics(app: Flask, service: str) -> None:
    """The request counter and latency histogram, and /metrics. Installed first, so its timer starts
    before any other before-request work."""
    registry = CollectorRegistry()
    requests_total = Counter("caredesk_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"],
                             registry=registry)
    latency = Histogram("caredesk_http_request_seconds", "HTTP request latency", ["service", "method", "endpoint"],
                        registry=registry)

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.endpoint or "unmatched"
        if g.get("request_started") is not None:
            latency.labels(service, request.method, endpoint).observe(request_seconds())
        requests_total.labels(service, request.method, endpoint, str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
