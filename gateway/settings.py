"""Gateway settings: the shared ones plus its signing key, token lifetime and where the services are."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gateway.limits import RateLimits
from gateway.routing.policies import RoutePolicies
from services.kit.settings import ServiceSettings, load_settings


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per account and per client address within ``window_seconds``; past
    that, a lock of ``lockout_seconds`` doubling with each further failure up to ``max_lockout_seconds``."""

    account_failures: int = 5
    address_failures: int = 50
    window_seconds: int = 900
    lockout_seconds: int = 30
    max_lockout_seconds: int = 3600


@dataclass(frozen=True)
class GatewaySettings:
    service: ServiceSettings
    private_key_file: Path
    access_token_seconds: int
    service_urls: dict[str, str]
    login_limits: LoginLimits
    refresh_token_seconds: int = 12 * 3600
    # timeouts and body limits per forwarded route, and the card's parts (gateway.routing.policies)
    route_policies: RoutePolicies = RoutePolicies()
    # per-user and per-token limits on the API and where they are counted (gateway.limits)
    rate_limits: RateLimits = RateLimits()


def load_gateway_settings(**overrides) -> GatewaySettings:
    service = overrides.pop("service", None) or load_settings("gateway")
    env = os.environ.get
    values = dict(
        service=service,
        private_key_file=Path(env("CAREDESK_GATEWAY_PRIVATE_KEY_FILE") or service.data_dir / "keys" / "gateway.pem"),
        access_token_seconds=int(env("CAREDESK_GATEWAY_ACCESS_TOKEN_SECONDS") or 900),
        # a working day: how long a sign-in may renew its access tokens
        refresh_token_seconds=int(env("CAREDESK_GATEWAY_REFRESH_TOKEN_SECONDS") or 12 * 3600),
        login_limits=LoginLimits(
            account_failures=int(env("CAREDESK_GATEWAY_LOGIN_ACCOUNT_FAILURES") or 5),
            address_failures=int(env("CAREDESK_GATEWAY_LOGIN_ADDRESS_FAILURES") or 50),
            lockout_seconds=int(env("CAREDESK_GATEWAY_LOGIN_LOCKOUT_SECONDS") or 30)),
        route_policies=RoutePolicies.from_env(env),
        rate_limits=RateLimits.from_env(env),
        service_urls={
            "customers": env("CAREDESK_GATEWAY_CUSTOMERS_URL") or "http://127.0.0.1:8001",
            "cases": env("CAREDESK_GATEWAY_CASES_URL") or "http://127.0.0.1:8002",
            "notifications": env("CAREDESK_GATEWAY_NOTIFICATIONS_URL") or "http://127.0.0.1:8003",
        },
    )
    values.update(overrides)
    return GatewaySettings(**values)
