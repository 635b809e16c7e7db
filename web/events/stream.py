"""`/ws?since=N`: the event stream, replay first, then live, resumable by sequence number."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from fleet.events import EventLog
from web.deps import EventsDep, FanoutDep
from web.events.fanout import ClientFellBehind, ClientQueue, encode

router = APIRouter(tags=["events"])

#: Close code for a client that fell too far behind: 1013 "try again later", with the reason
#: telling it where to resume.
CLOSE_FELL_BEHIND = 1013
REPLAY_PAGE = 1000


@router.websocket("/ws")
async def event_stream(
    websocket: WebSocket,
    fanout: FanoutDep,
    events: EventsDep,
    since: int | None = Query(default=None, ge=0, description="replay events after this seq"),
) -> None:
    queue, live_from = fanout.attach()  # before the handshake: once connected, nothing is missed
    tasks: set[asyncio.Task[None]] = set()
    try:
        await websocket.accept()
        sender = asyncio.create_task(_send(websocket, events, queue, since, live_from))
        reader = asyncio.create_task(_read_until_closed(websocket))
        tasks = {sender, reader}
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                task.result()
    finally:
        fanout.detach(queue)
        for task in tasks:  # the other one, or both when the server shuts down
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _send(
    websocket: WebSocket, events: EventLog, queue: ClientQueue, since: int | None, live_from: int
) -> None:
    last_sent = since if since is not None else live_from
    if since is not None:
        while last_sent < live_from:
            page = [e for e in events.since(last_sent, REPLAY_PAGE) if e.seq <= live_from]
            if not page:
                break
            for event in page:
                await websocket.send_text(encode(event).text)
                last_sent = event.seq
    while True:
        try:
            frame = await queue.get()
        except ClientFellBehind:
            await websocket.close(
                code=CLOSE_FELL_BEHIND, reason=f"too far behind; reconnect with since={last_sent}"
            )
            return
        if frame.seq <= last_sent:
            continue
        await websocket.send_text(frame.text)
        last_sent = frame.seq


async def _read_until_closed(websocket: WebSocket) -> None:
    """Clients send nothing we act on; reading is how a close from their side is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
