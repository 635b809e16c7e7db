"""The camera server inside the simulator: nothing drawn while nobody watches, frames on the sim
clock's grid, and a client that stops reading costs the others nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from sim.autopilot import Autopilot, VehicleConfig
from sim.frames_client import FrameClient
from sim.frames_protocol import read_message
from sim.frames_server import CameraServer
from sim.geo import Origin
from sim.world import World, world_around_home

HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)
RATE_HZ = 5.0
STEP_S = 0.05


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Clock:
    """Drives the server as the simulation loop does: a tick per 0.05 s physics step."""

    def __init__(self, server: CameraServer) -> None:
        self.server = server
        self.sim_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sim_s += STEP_S
            self.server.tick(self.sim_s)
            time.sleep(0.005)  # about 10x real time: the simulator's own pace

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def served() -> Iterator[tuple[CameraServer, int, _Clock]]:
    world: World = world_around_home(HOME, 1, 0)
    ap = Autopilot(VehicleConfig(kind="multirotor", start=world.vehicles[0].start))
    port = _free_tcp_port()
    server = CameraServer(world, [ap], [port], rate_hz=RATE_HZ)
    clock = _Clock(server)
    try:
        yield server, port, clock
    finally:
        clock.stop()
        server.close()


def test_nothing_is_drawn_until_a_client_asks_and_frames_sit_on_the_rate_grid(
        served: tuple[CameraServer, int, _Clock]) -> None:
    server, port, clock = served
    deadline = time.monotonic() + 10
    while clock.sim_s < 5.0:  # 25 frame slots pass with nobody watching
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with FrameClient.connect("127.0.0.1", port, ("thermal",)) as cam:
        frames = [cam.receive() for _ in range(5)]
    assert frames[0].seq == 0  # the first frame ever drawn is the first one asked for
    assert frames[0].t_s >= 5.0
    for f in frames:
        slots = f.t_s * RATE_HZ
        assert abs(slots - round(slots)) < 1e-6  # 0.2 s grid of sim time
    assert [f.seq for f in frames] == [0, 1, 2, 3, 4]


def test_a_client_that_stops_reading_misses_frames_while_another_keeps_receiving(
        served: tuple[CameraServer, int, _Clock]) -> None:
    _, port, _ = served
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(b'{"streams": ["thermal"]}\n')
    try:
        with FrameClient.connect("127.0.0.1", port, ("rgb", "thermal")) as reader:
            frames = [reader.receive() for _ in range(40)]
        # The reader got every instant of both cameras while the other client read nothing.
        thermal = [f.seq for f in frames if f.modality == "thermal"]
        assert thermal == list(range(thermal[0], thermal[0] + 20))  # none missed
        assert [f.seq for f in frames if f.modality == "rgb"] == list(range(20))
        # The stalled client's socket and its queue (`CLIENT_QUEUE_FRAMES`) filled up, and
        # the frames after that were dropped for it: its sequence numbers jump.
        stalled.settimeout(10)
        seqs = [read_message(stalled)[0]["seq"] for _ in range(12)]
        assert seqs == sorted(seqs)
        assert max(b - a for a, b in zip(seqs, seqs[1:], strict=False)) > 1, seqs
    finally:
        stalled.close()
