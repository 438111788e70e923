"""Settings read once from the environment: one object per service, passed in, never global."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

EMBEDDED_BROKER_URL = "embedded://"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def data_dir() -> Path:
    """Where the embedded mode keeps its SQLite files, broker folders and keys."""
    return Path(_env("CAREDESK_DATA_DIR", "var")).resolve()


def parse_origins(value: str | None) -> tuple[str, ...]:
    """``CAREDESK_CORS_ORIGINS``: origins separated by commas or spaces, each scheme://host[:port]."""
    origins = []
    for origin in (value or "").replace(",", " ").split():
        origin = origin.rstrip("/")
        if origin == "*" or "://" not in origin or origin.count("/") != 2:
            raise ValueError(f"CAREDESK_CORS_ORIGINS: '{origin}' is not an origin such as https://crm.example.com")
        origins.append(origin.lower())
    return tuple(origins)


@dataclass(frozen=True)
class ServiceSettings:
    """What every Caredesk process needs to know; built by :func:`load_settings`.

    Env vars: ``CAREDESK_<SERVICE>_DATABASE_URL`` per service; shared ``CAREDESK_BROKER_URL``,
    ``CAREDESK_DATA_DIR``, ``CAREDESK_JWT_PUBLIC_KEY_FILE``, ``CAREDESK_EXCHANGE``,
    ``CAREDESK_QUEUE_PREFIX``, ``CAREDESK_CONSUMER_MAX_ATTEMPTS``, ``CAREDESK_CONSUMER_BACKOFF_SECONDS``,
    ``CAREDESK_CONSUMER_HEARTBEAT_SECONDS``, ``CAREDESK_MAX_EVENT_BYTES``, ``CAREDESK_CORS_ORIGINS``
    (origins whose pages may call the API, separated by commas; none by default).
    """

    service: str
    database_url: str
    broker_url: str
    data_dir: Path
    public_key_file: Path
    exchange: str = "caredesk.events"
    queue_prefix: str = ""
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    consumer_prefetch: int = 200
    consumer_heartbeat_seconds: int = 30  # a silent broker is noticed after two of these
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.02
    max_event_bytes: int = 4 * 1024 * 1024  # an event over this is refused at write time (413)
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def is_embedded_broker(self) -> bool:
        return self.broker_url.startswith(EMBEDDED_BROKER_URL)

    @property
    def broker_file(self) -> Path:
        """The embedded broker's SQLite file (services.kit.messaging.embedded), shared by every
        local process so that routing, hand-over and redelivery work across them."""
        return self.data_dir / "broker.sqlite3"


def load_settings(service: str, **overrides) -> ServiceSettings:
    """Read the settings of ``service`` (customers, cases, notifications, gateway)."""
    root = Path(overrides.pop("data_dir", None) or data_dir())
    prefix = f"CAREDESK_{service.upper()}_"
    values = dict(
        service=service,
        database_url=_env(prefix + "DATABASE_URL", f"sqlite:///{root / (service + '.sqlite3')}"),
        broker_url=_env("CAREDESK_BROKER_URL", EMBEDDED_BROKER_URL),
        data_dir=root,
        public_key_file=Path(_env("CAREDESK_JWT_PUBLIC_KEY_FILE", str(root / "keys" / "gateway.pub"))),
        exchange=_env("CAREDESK_EXCHANGE", "caredesk.events"),
        queue_prefix=_env("CAREDESK_QUEUE_PREFIX", ""),
        consumer_max_attempts=int(_env("CAREDESK_CONSUMER_MAX_ATTEMPTS", "5")),
        consumer_backoff_seconds=float(_env("CAREDESK_CONSUMER_BACKOFF_SECONDS", "0.2")),
        consumer_heartbeat_seconds=int(_env("CAREDESK_CONSUMER_HEARTBEAT_SECONDS", "30")),
        log_level=_env("CAREDESK_LOG_LEVEL", "INFO"),
        max_event_bytes=int(_env("CAREDESK_MAX_EVENT_BYTES", str(4 * 1024 * 1024))),
        cors_origins=parse_origins(_env("CAREDESK_CORS_ORIGINS")),
    )
    values.update(overrides)
    root.mkdir(parents=True, exist_ok=True)
    return ServiceSettings(**values)
