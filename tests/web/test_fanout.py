"""The per-client queues behind `/ws`, driven by a real `EventLog` (no sockets)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from fleet.events import EventLog
from web.events.fanout import ClientFellBehind, ClientQueue, Fanout


async def _drain(queue: ClientQueue) -> list[dict[str, object]]:
    out = []
    while len(queue):
        out.append(orjson.loads((await queue.get()).text))
    return out


async def test_a_behind_client_holds_one_telemetry_per_vehicle_newest_last() -> None:
    log = EventLog()
    fanout = Fanout(log, max_events=10)
    fanout.start()
    queue, last_seq = fanout.attach()
    assert last_seq == 0
    for tick in range(1000):
        for vehicle in ("uav0", "uav1", "ugv0"):
            log.publish("telemetry", {"vehicle_id": vehicle, "tick": tick})
    log.publish("command_result", {"vehicle_id": "uav0", "ok": True})
    log.publish("telemetry", {"vehicle_id": "uav0", "tick": 1000})
    assert fanout.backlogs() == [4]  # 3001 telemetry events and a command: four entries
    events = await _drain(queue)
    assert [(e["type"], e.get("vehicle_id"), e.get("tick")) for e in events] == [
        ("telemetry", "uav1", 999),
        ("telemetry", "ugv0", 999),
        ("command_result", "uav0", None),
        ("telemetry", "uav0", 1000),
    ]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and seqs[-1] == log.last_seq
    assert queue.coalesced == 3000 - 2


async def test_too_many_waiting_commands_make_the_client_resume_instead_of_growing() -> None:
    log = EventLog()
    fanout = Fanout(log, max_events=5)
    fanout.start()
    queue, _ = fanout.attach()
    for i in range(5):
        log.publish("command_result", {"i": i})
    assert fanout.backlogs() == [5]
    log.publish("command_result", {"i": 5})
    assert fanout.backlogs() == [0]  # dropped, the client must replay from the log
    with pytest.raises(ClientFellBehind):
        await queue.get()


async def test_a_waiting_client_wakes_on_the_next_event_and_detached_ones_get_nothing() -> None:
    log = EventLog()
    fanout = Fanout(log, max_events=5)
    fanout.start()
    queue, _ = fanout.attach()
    other, _ = fanout.attach()
    fanout.detach(other)
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    log.publish("vehicle", {"vehicle_id": "uav0", "link": "connected"})
    frame = await asyncio.wait_for(waiting, 1)
    assert orjson.loads(frame.text)["link"] == "connected"
    assert len(other) == 0
    fanout.stop()
    log.publish("vehicle", {"vehicle_id": "uav0", "link": "lost"})
    assert len(queue) == 0
