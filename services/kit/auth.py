"""Access tokens issued by the gateway, verified here with its public key, and the access levels.

Levels (SPEC.md): 1 whole company, 2 own branch, 3 own department, 4 own records.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import ColumnElement, false, or_, true

from services.kit.problems import Forbidden, Unauthorized

ISSUER = "caredesk-gateway"
AUDIENCE = "caredesk"
ALGORITHM = "EdDSA"

COMPANY, BRANCH, DEPARTMENT, OWN = 1, 2, 3, 4
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What an API token's scopes may name: a service's routes, or the gateway's directory
RESOURCES = ("customers", "cases", "notifications", "directory")


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    level: int
    branch_id: uuid.UUID | None
    department_id: uuid.UUID | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    queues: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    # the user's token version when the token was issued: a later change of access refuses it
    token_version: int = 0
    expires_at: datetime | None = None
    # an integration's API token: read-only, and the resources it may call (None: every one)
    read_only: bool = False
    resources: frozenset[str] | None = None
    token_kind: str = "access"  # "api" for an integration's token

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"You need the permission '{permission}'.")

    def check_scope(self, resource: str | None, method: str) -> None:
        """An API token's scopes: 403 on a write with a read-only token, or on a resource it does
        not name (``resource`` None: a route of no resource, such as who-am-I)."""
        if self.read_only and method not in SAFE_METHODS:
            raise Forbidden("This API token is read-only.")
        if self.resources is not None and resource is not None and resource not in self.resources:
            raise Forbidden(f"This API token does not reach the {resource} resource.")

    def claims(self) -> dict:
        claims = {
            "sub": str(self.user_id), "name": self.username, "lvl": self.level,
            "br": str(self.branch_id) if self.branch_id else None,
            "dep": str(self.department_id) if self.department_id else None,
            "perms": sorted(self.permissions), "queues": sorted(self.queues), "tv": self.token_version,
        }
        if self.read_only:
            claims["ro"] = True
        if self.resources is not None:
            claims["res"] = sorted(self.resources)
        return claims

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        def maybe_uuid(value):
            return uuid.UUID(value) if value else None

        return cls(
            user_id=uuid.UUID(claims["sub"]), username=claims.get("name", ""), level=int(claims["lvl"]),
            branch_id=maybe_uuid(claims.get("br")), department_id=maybe_uuid(claims.get("dep")),
            permissions=frozenset(claims.get("perms", [])), queues=frozenset(claims.get("queues", [])),
            token_id=claims.get("jti"), token_version=int(claims.get("tv") or 0),
            expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc) if "exp" in claims else None,
            read_only=bool(claims.get("ro", False)),
            resources=frozenset(claims["res"]) if isinstance(claims.get("res"), list) else None,
            token_kind=claims.get("typ", "access"),
        )


class TokenVerifier:
    """Checks signature, issuer, audience and expiry; returns the principal.

    The public key is parsed once. A token that passed every check is remembered with its principal
    (by its whole text, signature included, so only that exact token matches; bounded): the same
    token on a later request skips the parsing and the signature check, but its time limits (exp,
    iat, nbf) are checked again on every use. Revocation and changes of access are not decided here:
    the service's token guard checks them on every request."""

    REMEMBERED = 2048  # verified tokens kept; past that the memory starts over

    def __init__(self, public_key_pem: bytes) -> None:
        self.public_key = public_key_pem
        self._key = load_pem_public_key(public_key_pem)
        # token -> (principal, exp, the instant before which it is not valid yet)
        self._verified: dict[str, tuple[Principal, float, float]] = {}

    @classmethod
    def from_file(cls, path: Path) -> "TokenVerifier":
        return cls(Path(path).read_bytes())

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires, not_before = remembered
            now = time.time()
            if expires <= now:
                self._verified.pop(token, None)
                raise Unauthorized("The access token has expired; log in again.")
            if not_before <= now:
                return principal
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                issuer=ISSUER, options={"require": ["exp", "iat", "sub", "jti"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired; log in again.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("The access token is not valid.") from None
        if claims.get("typ") not in ("access", "api"):
            raise Unauthorized("The access token is not valid.")
        principal = Principal.from_claims(claims)
        if len(self._verified) >= self.REMEMBERED:
            self._verified = {}
        # PyJWT has checked that exp, iat and nbf (when present) are integers
        self._verified[token] = (principal, int(claims["exp"]), max(int(claims["iat"]), int(claims.get("nbf", 0))))
        return principal


def bearer_token(authorization_header: str | None) -> str:
    if not authorization_header or not authorization_header.lower().startswith("bearer "):
        raise Unauthorized("Send 'Authorization: Bearer <access token>'.")
    return authorization_header[7:].strip()


def scope_filter(principal: Principal, *, branch_column, department_column,
                 owner_columns: list) -> ColumnElement[bool]:
    """The WHERE clause that keeps only rows the principal's access level reaches."""
    if principal.level == COMPANY:
        return true()
    if principal.level == BRANCH:
        return branch_column == principal.branch_id if principal.branch_id is not None else false()
    if principal.level == DEPARTMENT:
        return department_column == principal.department_id if principal.department_id is not None else false()
    return or_(*(column == principal.user_id for column in owner_columns))
