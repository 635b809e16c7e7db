"""Short-lived signed access tokens, longer refresh tokens, and revocation by token id.

Time comes in as an argument (no clock inside), so expiry is tested without waiting.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import jwt

from web.auth.roles import Department, Principal, Role

ALGORITHM = "HS256"
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(hours=12)
TokenKind = Literal["access", "refresh"]


class InvalidToken(ValueError):
    """Expired, forged, revoked or of the wrong kind; the message says which."""


@dataclass(frozen=True, kw_only=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def issue(principal: Principal, kind: TokenKind, secret: str, now: datetime) -> IssuedToken:
    expires = now + (ACCESS_TTL if kind == "access" else REFRESH_TTL)
    token_id = uuid.uuid4().hex
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "dept": sorted(d.value for d in principal.departments),
        "typ": kind,
        "jti": token_id,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    if principal.vehicle_id is not None:
        claims["veh"] = principal.vehicle_id
    return IssuedToken(
        token=jwt.encode(claims, secret, algorithm=ALGORITHM),
        token_id=token_id,
        expires_at=expires,
    )


def read(
    token: str, kind: TokenKind, secret: str, now: datetime, revoked: frozenset[str] | set[str]
) -> tuple[Principal, str]:
    """The principal and token id of a valid token of `kind`; `InvalidToken` otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Expiry is checked against `now` below, not the wall clock.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "require": ["sub", "role", "typ", "jti", "exp"],
            },
        )
    except jwt.PyJWTError as e:
        raise InvalidToken(f"token rejected: {e}") from e
    if claims["exp"] <= now.timestamp():
        raise InvalidToken("token expired")
    if claims["typ"] != kind:
        raise InvalidToken(f"a {claims['typ']} token cannot be used as a {kind} token")
    if claims["jti"] in revoked:
        raise InvalidToken("token revoked (signed out)")
    principal = Principal(
        username=claims["sub"],
        role=Role(claims["role"]),
        departments=frozenset(Department(d) for d in claims.get("dept", [])),
        vehicle_id=claims.get("veh"),
    )
    return principal, claims["jti"]
