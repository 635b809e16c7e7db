"""`/api/auth`: sign in (OAuth2 password form), refresh, sign out, and who am I.

`public` holds what works without a token (sign-in, refresh with a refresh token);
`protected` goes under the `/api` router that requires one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from web.auth.deps import AuthDep, PrincipalDep, bearer, client_address, unauthorized
from web.auth.roles import scope
from web.auth.service import SignInRefused, TokenPair
from web.auth.tokens import InvalidToken

public = APIRouter(prefix="/auth", tags=["auth"])
protected = APIRouter(prefix="/auth", tags=["auth"])


class Tokens(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str
    refresh_expires_in: int


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class SignOutBody(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=4096)


class Me(BaseModel):
    username: str
    role: str
    departments: list[str]  #: those whose assets this user sees
    vehicle_id: str | None


def _tokens(pair: TokenPair) -> Tokens:
    return Tokens(
        access_token=pair.access_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_in=pair.refresh_expires_in,
    )


@public.post(
    "/token",
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many failed sign-ins; `Retry-After` says when to try again"},
    },
)
async def sign_in(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], auth: AuthDep
) -> Tokens:
    """Exchange a user name and password for an access token and a refresh token."""
    request.state.audited = True  # the service records every attempt itself
    try:
        pair = await run_in_threadpool(  # Argon2 takes tens of ms: not on the event loop
            auth.sign_in, form.username, form.password, client_address(request)
        )
    except SignInRefused as e:
        if e.retry_after_s:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=str(e),
                headers={"Retry-After": str(e.retry_after_s)},
            ) from e
        raise unauthorized(str(e)) from e
    return _tokens(pair)


@public.post("/refresh", responses={401: {"description": "refresh token invalid or used"}})
async def refresh(body: RefreshBody, auth: AuthDep) -> Tokens:
    """New tokens for a refresh token; each refresh token works once."""
    try:
        return _tokens(await run_in_threadpool(auth.refresh, body.refresh_token))
    except InvalidToken as e:
        raise unauthorized(str(e)) from e


@protected.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    auth: AuthDep,
    token: Annotated[str | None, Depends(bearer)],
    body: SignOutBody | None = None,
) -> None:
    """Revoke this access token (and the refresh token, when sent) before they expire."""
    try:
        await run_in_threadpool(
            auth.sign_out, token or "", body.refresh_token if body else None
        )
    except InvalidToken as e:
        raise unauthorized(str(e)) from e


@protected.get("/me")
async def me(principal: PrincipalDep) -> Me:
    return Me(
        username=principal.username,
        role=principal.role.value,
        departments=sorted(d.value for d in scope(principal)),
        vehicle_id=principal.vehicle_id,
    )
