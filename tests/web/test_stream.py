"""The WebSocket event stream over real sockets: order, resume, and slow clients.

Events are published straight into the app's real `EventLog`, as the registry does.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import datetime
from pathlib import Path

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from fleet.events import EventLog
from fleet.registry import FleetRegistry
from tests.web.auth_helpers import signed_in, token_of, ws_url_with_token
from tests.web.server_harness import RunningServer, running_server
from tests.web.stalled_client import ConnectionClosedByServer, StalledClient
from web.app import create_app
from web.auth.roles import Role
from web.server import durable_event_log
from web.settings import Settings


async def _recv(ws: ClientConnection, timeout_s: float = 5.0) -> dict[str, object]:
    message = await asyncio.wait_for(ws.recv(), timeout_s)
    event: dict[str, object] = orjson.loads(message)
    return event


async def _open(server: RunningServer, query: str = "") -> ClientConnection:
    """Connected means subscribed: the server attaches a client before the handshake ends.

    An admin's token in the URL: these events name vehicles the (empty) fleet does not list,
    which only roles seeing every department receive."""
    url = ws_url_with_token(server, signed_in(server, Role.ADMIN), query.removeprefix("?"))
    return await websockets.connect(url, max_size=2**22)


async def _stalled(server: RunningServer) -> StalledClient:
    token = token_of(signed_in(server, Role.ADMIN))
    return await StalledClient.connect("127.0.0.1", server.port, f"/ws?token={token}")


async def test_events_arrive_in_publication_order_with_strictly_increasing_seq(
    empty_fleet_server: RunningServer, events: EventLog
) -> None:
    async with await _open(empty_fleet_server) as ws:
        published = [
            events.publish("telemetry" if i % 3 else "vehicle", {"vehicle_id": f"uav{i}"}).seq
            for i in range(30)
        ]
        received = [await _recv(ws) for _ in range(30)]
    seqs = [e["seq"] for e in received]
    assert seqs == published  # a client keeping up gets every event, telemetry included
    assert all(b > a for a, b in zip(seqs, seqs[1:], strict=False))
    assert received[0]["type"] == "vehicle" and received[0]["vehicle_id"] == "uav0"
    assert received[1]["type"] == "telemetry" and received[1]["vehicle_id"] == "uav1"
    assert datetime.fromisoformat(str(received[0]["t"])).utcoffset() is not None


async def test_a_burst_of_telemetry_is_coalesced_to_the_newest_per_vehicle(
    empty_fleet_server: RunningServer, events: EventLog
) -> None:
    """200 positions of two vehicles published at once: the client gets fewer, in seq order,
    and the last one it gets of each vehicle is the newest."""
    async with await _open(empty_fleet_server) as ws:
        for i in range(100):
            for vehicle_id in ("uav0", "uav1"):
                events.publish("telemetry", {"vehicle_id": vehicle_id, "i": i})
        events.publish("vehicle", {"vehicle_id": "uav0", "done": True})
        received = []
        while not received or received[-1]["type"] != "vehicle":
            received.append(await _recv(ws))
    seqs = [e["seq"] for e in received]
    assert all(b > a for a, b in zip(seqs, seqs[1:], strict=False))
    assert len(received) <= 3  # the two newest positions and the vehicle event
    newest = {e["vehicle_id"]: e["i"] for e in received if e["type"] == "telemetry"}
    assert newest == {"uav0": 99, "uav1": 99}


async def test_resume_with_since_replays_the_missed_events_without_gap(
    empty_fleet_server: RunningServer, events: EventLog
) -> None:
    async with await _open(empty_fleet_server) as ws:
        for i in range(5):
            events.publish("vehicle", {"vehicle_id": "uav1", "i": i})
        first = [await _recv(ws) for _ in range(5)]
    last_seen = int(first[-1]["seq"])  # type: ignore[call-overload]
    for i in range(5, 12):  # published while the client is away
        events.publish("command_result", {"vehicle_id": "uav1", "i": i})

    async with await _open(empty_fleet_server, f"?since={last_seen}") as ws:
        events.publish("vehicle", {"vehicle_id": "uav1", "i": 12})  # live, after the replay
        resumed = [await _recv(ws) for _ in range(8)]
    assert [e["i"] for e in first + resumed] == list(range(13))
    assert [e["seq"] for e in resumed] == list(range(last_seen + 1, last_seen + 9))


async def test_a_client_reading_nothing_for_10_s_does_not_delay_another(
    empty_fleet_server: RunningServer, events: EventLog
) -> None:
    """20 vehicles x 10 Hz with 4 kB bodies for 10 s: the stalled client's socket fills up
    within a second, after which only its own queue coalesces; the reading client's latency
    (publish to receipt) stays low and its queue at most one entry per vehicle."""
    vehicles, rate_hz, duration_s = 20, 10.0, 10.0
    padding = "x" * 4096
    stalled = await _stalled(empty_fleet_server)
    reader = await _open(empty_fleet_server)
    latencies_s: list[float] = []
    backlog_peak = 0
    ticks = int(duration_s * rate_hz)
    all_read = asyncio.Event()

    async def read() -> None:
        async for message in reader:
            event = orjson.loads(message)
            latencies_s.append(time.time() - datetime.fromisoformat(event["t"]).timestamp())
            if len(latencies_s) == ticks * vehicles:
                all_read.set()

    reading = asyncio.create_task(read())
    start = time.monotonic()
    for tick in range(ticks):
        for v in range(vehicles):
            events.publish("telemetry", {"vehicle_id": f"uav{v}", "tick": tick, "pad": padding})
        backlog_peak = max(backlog_peak, *empty_fleet_server.app.state.fanout.backlogs())
        await asyncio.sleep(max(0.0, start + (tick + 1) / rate_hz - time.monotonic()))
    await asyncio.wait_for(all_read.wait(), 5)
    reading.cancel()

    p99_s = statistics.quantiles(latencies_s, n=100)[98]
    assert len(latencies_s) == ticks * vehicles  # nothing coalesced away for a client in step
    assert p99_s < 0.1, f"p99 {p99_s * 1000:.0f} ms"
    assert backlog_peak <= vehicles  # the stalled client holds one telemetry per vehicle

    # Once it reads again, the stalled client gets the newest position of every vehicle.
    newest: dict[str, int] = {}
    async with asyncio.timeout(10):
        while len(newest) < vehicles or min(newest.values()) < ticks - 1:
            event = await stalled.read_event()
            newest[event["vehicle_id"]] = event["tick"]
    await stalled.close()
    await reader.close()


async def test_a_client_overflowing_with_commands_is_told_to_resume_and_loses_nothing(
    empty_fleet_server: RunningServer, events: EventLog
) -> None:
    """Non-telemetry events are never coalesced away: past the queue bound (50 here) the
    server closes with 1013 and `since=N`, and resuming from N yields every event."""
    padding = "y" * 65536
    stalled = await _stalled(empty_fleet_server)
    published = []
    for i in range(400):
        published.append(events.publish("command_result", {"i": i, "pad": padding}).seq)
        await asyncio.sleep(0)
    received: list[int] = []
    with pytest.raises(ConnectionClosedByServer) as closed:
        while True:
            received.append((await stalled.read_event())["seq"])
    await stalled.close()
    assert closed.value.close is not None and closed.value.close.code == 1013
    assert len(received) < len(published)
    resume_at = int(closed.value.close.reason.rsplit("since=", 1)[1])
    assert resume_at == received[-1]
    async with await _open(empty_fleet_server, f"?since={resume_at}") as ws:
        while len(received) < len(published):
            received.append((await _recv(ws))["seq"])  # type: ignore[arg-type]
    assert received == published


async def test_a_client_resumes_across_a_server_restart_without_losing_events(
    tmp_path: Path,
) -> None:
    """With the journal on disk, a console that reconnects with `since` after the server
    restarted gets every durable event it missed, numbered above the old ones."""
    settings = Settings(data_dir=tmp_path, ws_queue_events=50)
    async with durable_event_log(settings) as events:
        registry = FleetRegistry([], events)
        async with running_server(create_app(registry, events, settings)) as server:
            async with await _open(server) as ws:
                for i in range(3):
                    events.publish("vehicle", {"vehicle_id": "uav0", "i": i})
                seen = [await _recv(ws) for _ in range(3)]
        for i in range(3, 6):  # while no client is connected
            events.publish("command_result", {"vehicle_id": "uav0", "i": i})
    async with durable_event_log(settings) as events:
        registry = FleetRegistry([], events)
        async with running_server(create_app(registry, events, settings)) as server:
            async with await _open(server, f"?since={seen[-1]['seq']}") as ws:
                events.publish("vehicle", {"vehicle_id": "uav0", "i": 6})
                resumed = [await _recv(ws) for _ in range(4)]
    assert [e["i"] for e in seen + resumed] == list(range(7))
    seqs = [e["seq"] for e in seen + resumed]
    assert all(b > a for a, b in zip(seqs, seqs[1:], strict=False))
