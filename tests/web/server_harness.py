"""Run a real uvicorn server for a test on a free port, in the test's own event loop.

Sharing the loop lets a test publish into the app's `EventLog` directly (listeners run inline on
the publisher's loop, as in production) while clients talk to the server over real sockets.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI


@dataclass(frozen=True, kw_only=True)
class RunningServer:
    app: FastAPI
    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


@asynccontextmanager
async def running_server(app: FastAPI, timeout_s: float = 10.0) -> AsyncIterator[RunningServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        if not ready.done():
            ready.cancel()
            raise TimeoutError(f"server did not start within {timeout_s} s")
        yield RunningServer(app=app, port=port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout_s)
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn's server with an event set once it listens (instead of polling `started`)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()
