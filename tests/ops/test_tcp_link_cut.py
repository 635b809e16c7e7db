"""The TCP link-cut fault injector does what the uplink tests rely on: relays, swallows
everything while cut (old and new connections alike), and resets what lived through the cut."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.ops.tcp_link_cut import TcpLinkCut

SILENCE_S = 0.5  #: long enough on a loaded machine for an echo that would come


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def link() -> AsyncIterator[TcpLinkCut]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    relay = await TcpLinkCut.start(server.sockets[0].getsockname()[1])
    try:
        yield relay
    finally:
        await relay.close()
        server.close()


async def _say(relay: TcpLinkCut, text: bytes
               ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(text)
    await writer.drain()
    return reader, writer


async def _heard(reader: asyncio.StreamReader) -> bytes | None:
    """What comes back within `SILENCE_S`; None for nothing at all."""
    try:
        return await asyncio.wait_for(reader.read(1024), SILENCE_S)
    except TimeoutError:
        return None


async def test_relays_then_swallows_both_ways_then_resets_the_connections_it_cut(
        link: TcpLinkCut) -> None:
    before, before_w = await _say(link, b"ping")
    assert await asyncio.wait_for(before.read(1024), 10) == b"ping"

    link.cut()
    before_w.write(b"lost")
    during, during_w = await _say(link, b"lost too")  # accepted, but goes nowhere
    assert await _heard(before) is None and await _heard(during) is None
    assert link.dropped_bytes == len(b"lost") + len(b"lost too")

    link.restore()
    for reader in (before, during):  # reset: their streams lost bytes
        with contextlib.suppress(ConnectionResetError):
            assert await asyncio.wait_for(reader.read(1024), 10) == b""
    assert link.connections_cut == 2
    after, after_w = await _say(link, b"pong")
    assert await asyncio.wait_for(after.read(1024), 10) == b"pong"
    for writer in (before_w, during_w, after_w):
        writer.close()
