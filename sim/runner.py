"""The simulation loop: one process, one thread, every vehicle on a shared sim clock.

Physics runs at a fixed sim-time step; the clock follows the wall clock times the speed-up.
When the machine cannot keep up, the clock slows down instead of bursting later: sim time is
never more than `MAX_LAG_WALL_S` of wall time behind where the speed-up would put it.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.autopilot import Autopilot, VehicleConfig
from sim.endpoint import VehicleEndpoint
from sim.world import World

if TYPE_CHECKING:
    from sim.frames_server import CameraServer

log = logging.getLogger(__name__)

STEP_S = 0.05  #: physics step, sim seconds
MAX_LAG_WALL_S = 0.25
MAX_SELECT_WAIT_S = 0.01
MAX_STEPPING_WALL_S = 0.02  #: physics gives way to the sockets at least this often
PX4_VEHICLE_PORT_OFFSET = 40  #: vehicle i binds base+40+i, like PX4 SITL's 14580+i


def vehicle_port(base_port: int, index: int, count: int) -> int:
    """The UDP port vehicle `index` of `count` binds: base+40+i as PX4 SITL for up to 40
    vehicles; beyond that base+count+i, so no vehicle sits on another's ground-station port."""
    return base_port + max(PX4_VEHICLE_PORT_OFFSET, count) + index


def camera_port(base_port: int, index: int, count: int) -> int:
    """The TCP port drone `index` of `count` serves its camera frames on (`--cameras`):
    base+80+i for up to 40 vehicles, just above the vehicles' own ports beyond that."""
    return base_port + 2 * max(PX4_VEHICLE_PORT_OFFSET, count) + index


@dataclass(frozen=True, kw_only=True, slots=True)
class RunStats:
    sim_s: float
    wall_s: float

    @property
    def achieved_speedup(self) -> float:
        return self.sim_s / self.wall_s if self.wall_s > 0 else 0.0


class Simulation:
    def __init__(self, world: World, *, base_port: int, speedup: float,
                 camera_rate_hz: float | None = None) -> None:
        """`camera_rate_hz`: serve every drone's camera frames at this sim-time rate
        (`sim.frames_server`); None: no cameras."""
        self.world = world
        self.speedup = speedup
        self.base_port = base_port
        self.sim_s = 0.0
        self._stop = False
        self._selector = selectors.DefaultSelector()
        self.endpoints: list[VehicleEndpoint] = []
        n = len(world.vehicles)
        for i, spec in enumerate(world.vehicles):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", vehicle_port(base_port, i, n)))
            sock.setblocking(False)
            ap = Autopilot(VehicleConfig(kind=spec.kind, start=spec.start, wind=world.wind))
            ep = VehicleEndpoint(index=i, sysid=i + 1, autopilot=ap, sock=sock,
                                 gcs_address=("127.0.0.1", base_port + i),
                                 phase_frac=(i / n) if n else 0.0)
            self.endpoints.append(ep)
            self._selector.register(sock, selectors.EVENT_READ, ep)
        self.cameras: CameraServer | None = None
        if camera_rate_hz is not None:
            from sim.frames_server import CameraServer  # NumPy and the renderer: 0.4 s to load

            drones = [ep for ep, spec in zip(self.endpoints, world.vehicles, strict=True)
                      if spec.kind == "multirotor"]
            try:
                self.cameras = CameraServer(
                    world, [ep.ap for ep in drones],
                    [camera_port(base_port, ep.index, n) for ep in drones],
                    rate_hz=camera_rate_hz)
            except OSError:
                self.close()
                raise

    def stop(self) -> None:
        self._stop = True

    def close(self) -> None:
        if self.cameras is not None:
            self.cameras.close()
        for ep in self.endpoints:
            self._selector.unregister(ep.sock)
            ep.sock.close()
        self._selector.close()

    def run(self, duration_wall_s: float | None = None) -> RunStats:
        start = time.monotonic()
        origin = start  # wall time at which sim time was 0 (moves when we fall behind)
        while not self._stop:
            now = time.monotonic()
            if duration_wall_s is not None and now - start >= duration_wall_s:
                break
            wall_s = now - start
            target_sim = (now - origin) * self.speedup
            if target_sim - self.sim_s > MAX_LAG_WALL_S * self.speedup:
                origin = now - self.sim_s / self.speedup  # cannot keep up: slow the clock
                target_sim = self.sim_s
            budget_end = now + MAX_STEPPING_WALL_S
            while self.sim_s + STEP_S <= target_sim and time.monotonic() < budget_end:
                for ep in self.endpoints:
                    ep.ap.step(STEP_S, wall_s)
                self.sim_s += STEP_S
            for ep in self.endpoints:
                ep.tick(self.sim_s, wall_s)
            if self.cameras is not None:
                self.cameras.tick(self.sim_s)
            next_step_wall = origin + (self.sim_s + STEP_S) / self.speedup
            wait = min(max(next_step_wall - time.monotonic(), 0.0), MAX_SELECT_WAIT_S)
            for key, _ in self._selector.select(wait):
                key.data.receive_pending(time.monotonic() - start)
        return RunStats(sim_s=self.sim_s, wall_s=time.monotonic() - start)
