"""A fault injector for TCP: a relay in front of the ground server that a test can cut.

It stands for an onboard uplink's radio link: the bridge is told the relay's URL, the relay
forwards each connection to the server. `cut()` is the link going out of range: from then on
every byte is dropped both ways on the open connections, and new connections are accepted but
go nowhere, so a client waits for answers that never come (a request the server already
received may have its answer lost: the resend-after-timeout case). `restore()` brings the link
back; the connections that lived through the cut are broken (their streams lost bytes), so they
are reset, as TCP would after its retransmissions gave up, and new ones are relayed again.

The simulator cannot cut a TCP link between two other processes: this is the one fault here
that needs an injector.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    broken: bool = False  #: lived through a cut: bytes were lost, it is reset on restore
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)


class TcpLinkCut:
    """`await TcpLinkCut.start(server_port)`; clients use `url`; `cut()`, `restore()`, `close()`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cut_off = False
        self.dropped_bytes = 0  #: what the cut swallowed, both ways
        self.connections_cut = 0  #: connections reset by `restore()`
        self._server: asyncio.Server | None = None
        self._live: set[_Connection] = set()

    @classmethod
    async def start(cls, target_port: int) -> TcpLinkCut:
        relay = cls(target_port)
        relay._server = await asyncio.start_server(relay._accept, "127.0.0.1", 0)
        relay.port = relay._server.sockets[0].getsockname()[1]
        return relay

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.cut_off = True
        for conn in self._live:
            conn.broken = True

    def restore(self) -> None:
        self.cut_off = False
        for conn in [c for c in self._live if c.broken]:
            self.connections_cut += 1
            self._drop(conn)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for c in self._live for t in c.tasks]
        for conn in list(self._live):
            self._drop(conn)
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(client=writer, broken=self.cut_off)
        self._live.add(conn)
        try:
            server_reader: asyncio.StreamReader | None = None
            if not conn.broken:
                try:
                    server_reader, conn.server = await asyncio.open_connection(
                        "127.0.0.1", self.target_port)
                except OSError:
                    return  # nothing listens: the client sees its connection closed
            up = asyncio.create_task(self._pump(reader, conn.server, conn))
            conn.tasks.append(up)
            if server_reader is not None:
                conn.tasks.append(asyncio.create_task(self._pump(server_reader, writer, conn)))
            await asyncio.wait(conn.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._drop(conn)
            self._live.discard(conn)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter | None,
                    conn: _Connection) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                if conn.broken or sink is None:
                    self.dropped_bytes += len(data)
                    continue
                sink.write(data)
                await sink.drain()
        if conn.broken:  # an end (a FIN) would not cross a cut link either
            await conn.dropped.wait()

    @staticmethod
    def _drop(conn: _Connection) -> None:
        conn.dropped.set()
        for writer in (conn.client, conn.server):
            if writer is not None and not writer.is_closing():
                writer.transport.abort()
