"""`/ws?since=N`: the event stream, replay first, then live, resumable by sequence number.

The stream is for signed-in users only, and each sees only its departments' events
(`web.events.scoping`). The access token comes as `?token=`, as an `Authorization: Bearer`
header, or (what the console does, since URLs end up in logs) as the first message
`{"type": "auth", "token": "..."}`. Nothing is sent before the token is checked: a bad token in
the URL or header refuses the handshake (HTTP 403), a missing or bad first message closes the
socket with 1008; each refusal is written to the audit trail. The token is checked again every
`ws_token_check_s`, so signing out, disabling the account or the token's expiry ends the
stream too (1008: sign in, reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from fleet.events import EventLog
from web.auth.audit_requests import record
from web.auth.deps import AuthDep
from web.auth.roles import Principal, Role
from web.auth.service import AuthService
from web.auth.tokens import InvalidToken
from web.deps import DepartmentOfDep, EventsDep, FanoutDep, SettingsDep
from web.events.fanout import ClientFellBehind, ClientQueue, Frame, encode
from web.events.scoping import Audience, DepartmentOf

router = APIRouter(tags=["events"])

#: Close code for a client that fell too far behind: 1013 "try again later", with the reason
#: telling it where to resume.
CLOSE_FELL_BEHIND = 1013
#: Close code for a client without a valid token (policy violation): sign in, then reconnect.
CLOSE_SIGN_IN = 1008
REPLAY_PAGE = 1000


class _Viewer:
    """Who is watching, and what they may see; re-read when the token is checked again."""

    def __init__(self, principal: Principal) -> None:
        self.audience = Audience.of(principal)

    def sees(self, frame: Frame) -> bool:
        return self.audience.sees(frame.department)


@router.websocket("/ws")
async def event_stream(
    websocket: WebSocket,
    fanout: FanoutDep,
    events: EventsDep,
    auth: AuthDep,
    department_of: DepartmentOfDep,
    settings: SettingsDep,
    since: int | None = Query(default=None, ge=0, description="replay events after this seq"),
    token: str | None = Query(
        default=None, description="access token (or an Authorization header, or a first "
        '`{"type": "auth", "token": ...}` message, which keeps it out of URL logs)'
    ),
) -> None:
    queue, live_from = fanout.attach()  # before the handshake: once connected, nothing is missed
    tasks: set[asyncio.Task[None]] = set()
    try:
        offered = token or _bearer_header(websocket)
        if offered is not None:
            principal, reason = await _check(auth, offered)
            if principal is None:
                await _refuse(websocket, auth, reason)  # before accepting: HTTP 403
                return
            await websocket.accept()
        else:
            await websocket.accept()
            offered, principal = await _first_message_token(
                websocket, auth, settings.ws_auth_timeout_s
            )
            if offered is None or principal is None:
                return
        viewer = _Viewer(principal)
        queue.admit = viewer.sees
        sender = asyncio.create_task(
            _send(websocket, events, queue, since, live_from, viewer, department_of)
        )
        reader = asyncio.create_task(_read_until_closed(websocket))
        guard = asyncio.create_task(
            _recheck(websocket, auth, offered, viewer, settings.ws_token_check_s)
        )
        tasks = {sender, reader, guard}
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                task.result()
    finally:
        fanout.detach(queue)
        for task in tasks:  # the others, or all of them when the server shuts down
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _bearer_header(websocket: WebSocket) -> str | None:
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


async def _check(auth: AuthService, token: str) -> tuple[Principal | None, str]:
    """The token's principal, or None and the reason it is refused."""
    try:
        principal = await run_in_threadpool(auth.principal, token)  # reads the store
    except InvalidToken as e:
        return None, str(e)
    if principal.role is Role.VEHICLE:
        return None, "vehicle credentials may only post their own vehicle's data"
    return principal, ""


async def _first_message_token(
    websocket: WebSocket, auth: AuthService, timeout_s: float
) -> tuple[str | None, Principal | None]:
    """Wait for `{"type": "auth", "token": ...}`; on anything else close with the reason."""
    try:
        async with asyncio.timeout(timeout_s):
            text = await websocket.receive_text()
    except TimeoutError:
        await _refuse(websocket, auth, f"sign in first: no auth message in {timeout_s:g} s")
        return None, None
    except WebSocketDisconnect:
        return None, None
    except (KeyError, RuntimeError):  # a binary message
        text = ""
    token = _auth_message_token(text)
    if token is None:
        await _refuse(
            websocket, auth, 'sign in first: send {"type": "auth", "token": "<access token>"}'
        )
        return None, None
    principal, reason = await _check(auth, token)
    if principal is None:
        await _refuse(websocket, auth, reason)
        return None, None
    return token, principal


async def _refuse(websocket: WebSocket, auth: AuthService, reason: str) -> None:
    await run_in_threadpool(
        record, auth.audit, websocket.scope, action="GET /ws", result="refused", reason=reason
    )
    with contextlib.suppress(RuntimeError):  # the client may be gone already
        await websocket.close(CLOSE_SIGN_IN, reason[:120])


def _auth_message_token(text: str) -> str | None:
    try:
        message: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("type") != "auth":
        return None
    token = message.get("token")
    return token if isinstance(token, str) and token else None


async def _recheck(
    websocket: WebSocket, auth: AuthService, token: str, viewer: _Viewer, every_s: float
) -> None:
    """Close the stream once its token no longer holds (signed out, expired, account
    disabled); follow a change of the user's departments."""
    while True:
        await asyncio.sleep(every_s)
        principal, reason = await _check(auth, token)
        if principal is None:
            await _refuse(websocket, auth, reason)
            return
        viewer.audience = Audience.of(principal)


async def _send(
    websocket: WebSocket,
    events: EventLog,
    queue: ClientQueue,
    since: int | None,
    live_from: int,
    viewer: _Viewer,
    department_of: DepartmentOf,
) -> None:
    last_sent = since if since is not None else live_from
    if since is not None:
        while last_sent < live_from:
            page = [e for e in events.since(last_sent, REPLAY_PAGE) if e.seq <= live_from]
            if not page:
                break
            for event in page:
                frame = encode(event, department_of)
                if viewer.sees(frame):
                    await websocket.send_text(frame.text)
                last_sent = event.seq
    while True:
        try:
            frame = await queue.get()
        except ClientFellBehind:
            await websocket.close(
                code=CLOSE_FELL_BEHIND, reason=f"too far behind; reconnect with since={last_sent}"
            )
            return
        if frame.seq <= last_sent or not viewer.sees(frame):  # queued before the user was known
            continue
        await websocket.send_text(frame.text)
        last_sent = frame.seq


async def _read_until_closed(websocket: WebSocket) -> None:
    """Clients send nothing we act on after signing in; reading is how a close from their side
    is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
