"""The gateway: directory, login and tokens, routing to the services, the console."""
from __future__ import annotations

import logging

from flask import g

from gateway.api_docs import install_api_docs
from gateway.auth import api as auth_api
from gateway.auth import audit
from gateway.auth.tokens import TokenIssuer
from gateway.cards import api as cards_api
from gateway.cards import install_cards
from gateway.console import install_console
from gateway.directory import api as directory_api
from gateway.limits import RateLimiter, is_rate_limited
from gateway.models import Base, RevokedToken, User
from gateway.routing import proxy
from gateway.routing.upstream import Forwarder, new_http_session
from gateway.settings import GatewaySettings, load_gateway_settings
from services.kit.app import ServiceContext, create_service_app
from services.kit.auth import TokenVerifier
from services.kit.db import Database

PUBLIC = {"auth.login", "auth.refresh"} | proxy.PUBLIC_ENDPOINTS
log = logging.getLogger("caredesk.gateway")


def create_app(settings: GatewaySettings | None = None):
    settings = settings or load_gateway_settings()
    database = Database(settings.service.database_url, Base.metadata)
    rate_limiter = RateLimiter(settings.rate_limits, database)
    context = ServiceContext(settings=settings.service, database=database,
                             verifier=TokenVerifier.from_file(settings.service.public_key_file),
                             # its own tables: a change refuses tokens the moment it commits
                             token_guard=rate_limiter.token_guard(users=User.__table__, revoked=RevokedToken.__table__))
    # The console's pages authenticate with their session cookie, not a bearer token.
    app = create_service_app(context, title="Caredesk gateway", public_endpoints=PUBLIC,
                             public_blueprints={"console", "api_docs"},
                             blueprints=[auth_api.blp, directory_api.blp, cards_api.blp],
                             resource_of=proxy.resource_of_request,
                             rate_limited=is_rate_limited(settings.rate_limits))
    app.register_blueprint(proxy.blp)
    proxy.install_method_guard(app)
    install_api_docs(app)
    rate_limiter.install(app)
    app.extensions["caredesk.token_issuer"] = TokenIssuer.from_file(
        settings.private_key_file, lifetime_seconds=settings.access_token_seconds,
        refresh_lifetime_seconds=settings.refresh_token_seconds)
    app.extensions["caredesk.service_urls"] = settings.service_urls
    app.extensions["caredesk.login_limits"] = settings.login_limits
    app.extensions["caredesk.route_policies"] = settings.route_policies
    app.config["MAX_CONTENT_LENGTH"] = settings.route_policies.max_body_bytes.default
    app.extensions["caredesk.http"] = new_http_session()
    app.extensions["caredesk.forwarder"] = Forwarder()
    install_cards(app)
    install_console(app, private_key_pem=settings.private_key_file.read_bytes())

    @app.after_request
    def _audit_refusals(response):
        if response.status_code == 403 and g.get("principal") is not None:
            try:
                audit.record(database, "authorisation.refused", detail={"status": 403})
            except Exception:  # noqa: BLE001 - the answer goes out; the failure is logged
                log.exception("the audit log could not record an authorisation failure")
        return response

    return app
