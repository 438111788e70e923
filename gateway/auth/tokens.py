"""Short-lived access tokens: the principal's claims, signed with the gateway's private key."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt

from services.kit.auth import ALGORITHM, AUDIENCE, ISSUER, Principal


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, *, lifetime_seconds: int) -> None:
        self.private_key = private_key_pem
        self.lifetime = timedelta(seconds=lifetime_seconds)

    @classmethod
    def from_file(cls, path: Path, *, lifetime_seconds: int) -> "TokenIssuer":
        return cls(Path(path).read_bytes(), lifetime_seconds=lifetime_seconds)

    def issue(self, principal: Principal, *, kind: str = "access", lifetime: timedelta | None = None,
              token_id: str | None = None) -> tuple[str, datetime]:
        now = datetime.now(timezone.utc)
        expires_at = now + (lifetime or self.lifetime)
        claims = principal.claims() | {
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": expires_at,
            "jti": token_id or uuid.uuid4().hex, "typ": kind,
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM), expires_at
