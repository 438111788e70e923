"""Calling a service from the gateway: the caller's token and correlation id go along, the route's
timeouts bound every wait, and a service that does not answer becomes an honest problem (503 when
it cannot be reached, 504 when it stopped answering), never a hung request."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from gateway.routing.policies import Timeouts
from services.kit.problems import problem_response

log = logging.getLogger("caredesk.gateway.upstream")

UNREACHABLE, TIMED_OUT = "unreachable", "timeout"


@dataclass(frozen=True)
class UpstreamFailure:
    """Why a service gave no answer: ``unreachable`` (refused, reset, no connection within the
    connect timeout) or ``timeout`` (connected, but no answer within the read timeout)."""

    service: str
    reason: str
    timeouts: Timeouts

    @classmethod
    def of(cls, service: str, error: requests.RequestException | urllib3.exceptions.HTTPError,
           timeouts: Timeouts) -> "UpstreamFailure":
        # ConnectTimeout is both a ConnectionError and a Timeout: nothing reached the service
        read_timeout = isinstance(error, ReadTimeoutError) or (
            isinstance(error, requests.Timeout) and not isinstance(error, requests.ConnectTimeout))
        return cls(service, TIMED_OUT if read_timeout else UNREACHABLE, timeouts)

    @property
    def status(self) -> int:
        return 504 if self.reason == TIMED_OUT else 503

    @property
    def detail(self) -> str:
        if self.reason == TIMED_OUT:
            return (f"The {self.service} service did not answer within {self.timeouts.read:g} s. A change you sent "
                    "may or may not have been made: read it again before repeating it.")
        return f"The {self.service} service is not reachable; nothing was changed. Try again."

    def response(self, retry_after: int):
        title = "Gateway Timeout" if self.reason == TIMED_OUT else "Service Unavailable"
        response = problem_response(status=self.status, title=title,
                                    type_="upstream-timeout" if self.reason == TIMED_OUT else "dependency-down",
                                    detail=self.detail, service=self.service, retry_after=retry_after)
        response.headers["Retry-After"] = str(retry_after)
        return response


# Safe to send again: nothing is changed by them.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


def dropped_connection(error: requests.RequestException) -> bool:
    """The connection broke under the request (reset or closed without an answer), as happens when a
    kept-alive connection is closed by the service just as it is reused: unlike a refused connection
    or a timeout, sending a read again on a fresh connection is the right answer to it."""
    return (isinstance(error, requests.ConnectionError) and not isinstance(error, requests.Timeout)
            and bool(error.args) and isinstance(error.args[0], ProtocolError))


def send(session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
    """``session.request``, once more on a fresh connection when a read's connection broke under it."""
    return _again_if_dropped(method, url, lambda: session.request(method, url, **kwargs))


def _again_if_dropped(method: str, url: str, attempt) -> requests.Response:
    try:
        return attempt()
    except requests.ConnectionError as error:
        if method.upper() not in IDEMPOTENT or not dropped_connection(error):
            raise
        log.info("%s %s: the connection broke (%s); sending it again", method, url, error)
        return attempt()


class Forwarder:
    """The relay of the API's requests to the services, on urllib3's keep-alive pools.

    Not through a requests session: its cookies, hooks, proxies, redirects and URL re-encoding are
    nothing a relay needs, and they cost about a sixth of the gateway's CPU per forwarded request.
    A read whose connection broke under it is sent once more, as :func:`send` does."""

    def __init__(self, pool_size: int = 32) -> None:
        self.pools = urllib3.PoolManager(num_pools=8, maxsize=pool_size)

    def send(self, method: str, url: str, *, headers: dict[str, str], body: bytes | None,
             timeouts: Timeouts) -> urllib3.BaseHTTPResponse:
        """The service's answer, its body not read yet (``stream`` it; the connection goes back to
        the pool at its end). Raises urllib3's ``HTTPError`` when no answer came."""
        timeout = urllib3.Timeout(connect=timeouts.connect, read=timeouts.read)

        def attempt() -> urllib3.BaseHTTPResponse:
            return self.pools.urlopen(method, url, body=body, headers=headers, timeout=timeout, retries=False,
                                      redirect=False, preload_content=False)
        try:
            return attempt()
        except ProtocolError as error:
            if method.upper() not in IDEMPOTENT:
                raise
            log.info("%s %s: the connection broke (%s); sending it again", method, url, error)
            return attempt()


def new_http_session(pool_size: int = 32) -> requests.Session:
    """One keep-alive pool per gateway process for its own calls to the services (the card's parts,
    the console), large enough for the card's parallel calls."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # the services are addressed directly, never through a proxy from the environment
    return session
