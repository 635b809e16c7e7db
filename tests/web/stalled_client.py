"""A WebSocket client that can stop reading its socket entirely, for slow-client tests.

An ordinary client library keeps reading the socket into its own memory while the application
ignores it, so the server never notices. This one speaks the real protocol (the handshake and
frames of `websockets`' sans-I/O `ClientProtocol`) over a socket with a 64 kB receive buffer
that nobody reads until `read_event` is called: the server's sends then really wait.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Close, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

RECEIVE_BUFFER_BYTES = 65536


class ConnectionClosedByServer(Exception):
    def __init__(self, close: Close | None) -> None:
        super().__init__(close)
        self.close = close


class StalledClient:
    def __init__(
        self, protocol: ClientProtocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._protocol = protocol
        self._reader = reader
        self._writer = writer
        self._messages: list[bytes] = []
        self._closed = False

    @classmethod
    async def connect(cls, host: str, port: int, path: str = "/ws") -> StalledClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=RECEIVE_BUFFER_BYTES)
        protocol = ClientProtocol(parse_uri(f"ws://{host}:{port}{path}"), max_size=None)
        protocol.send_request(protocol.connect())
        client = cls(protocol, reader, writer)
        client._flush()
        while True:
            for event in await client._receive():
                if isinstance(event, Response):
                    if event.status_code != 101:
                        raise ConnectionError(f"handshake refused: {event.status_code}")
                    return client

    async def read_event(self, timeout_s: float = 10.0) -> dict[str, Any]:
        """The next event; raises `ConnectionClosedByServer` with the close code and reason."""
        async with asyncio.timeout(timeout_s):
            while not self._messages:
                if self._closed:
                    raise ConnectionClosedByServer(self._protocol.close_rcvd)
                for frame in await self._receive():
                    if frame.opcode is Opcode.TEXT:
                        self._messages.append(frame.data)
                    elif frame.opcode is Opcode.CLOSE:
                        self._closed = True
        event: dict[str, Any] = orjson.loads(self._messages.pop(0))
        return event

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except OSError:
            pass

    async def _receive(self) -> list[Any]:
        data = await self._reader.read(RECEIVE_BUFFER_BYTES)
        if not data:
            self._protocol.receive_eof()
        else:
            self._protocol.receive_data(data)
        self._flush()  # pongs and the closing handshake
        events = self._protocol.events_received()
        if not data and not events:
            self._closed = True
        return events

    def _flush(self) -> None:
        for chunk in self._protocol.data_to_send():
            if chunk:
                self._writer.write(chunk)
