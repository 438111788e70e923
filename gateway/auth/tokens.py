"""Short-lived access tokens and the refresh tokens that renew them: the principal's claims, signed
with the gateway's private key.

A sign-in's tokens share one token id (``jti``): the refresh token and every access token it renews.
Revoking that id (logout) ends the whole sign-in, at the gateway and, by token.revoked.v1, everywhere."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt

from services.kit.auth import ALGORITHM, AUDIENCE, ISSUER, Principal
from services.kit.problems import Unauthorized


REFRESH = "refresh"


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, *, lifetime_seconds: int,
                 refresh_lifetime_seconds: int = 12 * 3600) -> None:
        self.private_key = private_key_pem
        self.lifetime = timedelta(seconds=lifetime_seconds)
        self.refresh_lifetime = timedelta(seconds=refresh_lifetime_seconds)

    @classmethod
    def from_file(cls, path: Path, *, lifetime_seconds: int, refresh_lifetime_seconds: int = 12 * 3600) -> "TokenIssuer":
        return cls(Path(path).read_bytes(), lifetime_seconds=lifetime_seconds,
                   refresh_lifetime_seconds=refresh_lifetime_seconds)

    def issue(self, principal: Principal, *, kind: str = "access", lifetime: timedelta | None = None,
              token_id: str | None = None) -> tuple[str, datetime]:
        now = datetime.now(timezone.utc)
        expires_at = now + (lifetime if lifetime is not None else self.lifetime)
        claims = principal.claims() | {
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": expires_at,
            "jti": token_id or uuid.uuid4().hex, "typ": kind,
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM), expires_at


def refresh_principal(token: str, public_key_pem: bytes) -> Principal:
    """The principal of a valid, unexpired refresh token; an access token is not one."""
    try:
        claims = jwt.decode(token, public_key_pem, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "jti"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The refresh token has expired; log in again.") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The refresh token is not valid.") from None
    if claims.get("typ") != REFRESH:
        raise Unauthorized("The refresh token is not valid.")
    return Principal.from_claims(claims)
