"""Start the built-in simulator as a subprocess for a test, on free ports, and always stop it.

    with start_sim(tmp_path, vehicles=3, speedup=10.0) as sim:
        url = sim.url(0)            # "udpin://0.0.0.0:<P>" for MAVSDK
        url = sim.mavutil_url(0)    # "udpin:0.0.0.0:<P>" for pymavlink / mavproxy

Vehicle i sends to UDP P+i and listens on P+40+i (P+n+i beyond 40 vehicles); `start_sim`
returns once every vehicle's first HEARTBEAT has arrived, and prints the simulator's log when
the test body fails.
"""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymavlink.dialects.v20 import common as mavlink

REPO = Path(__file__).resolve().parents[1]
PX4_VEHICLE_PORT_OFFSET = 40


def vehicle_port(base: int, i: int, n: int) -> int:
    """Vehicle i of n listens on base+40+i (PX4 SITL), or base+n+i beyond 40 vehicles."""
    return base + max(PX4_VEHICLE_PORT_OFFSET, n) + i
START_TIMEOUT_S = 30.0


@dataclass
class SimHandle:
    base_port: int
    speedup: float
    count: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, i: int) -> str:
        """MAVSDK connection URL for vehicle i."""
        return f"udpin://0.0.0.0:{self.base_port + i}"

    def mavutil_url(self, i: int) -> str:
        """pymavlink / mavproxy connection string for vehicle i."""
        return f"udpin:0.0.0.0:{self.base_port + i}"

    def vehicle_port(self, i: int) -> int:
        """The UDP port vehicle i itself listens on."""
        return vehicle_port(self.base_port, i, self.count)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _ports_free(base: int, n: int) -> bool:
    socks: list[socket.socket] = []
    try:
        for port, host in [(base + i, "0.0.0.0") for i in range(n)] + [
                (vehicle_port(base, i, n), "127.0.0.1") for i in range(n)]:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_base_port(n: int) -> int:
    """A base P with P..P+n-1 and P+40..P+40+n-1 free (random, so parallel runs rarely meet)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 65000 - vehicle_port(0, n, n))
        if _ports_free(base, n):
            return base
    raise RuntimeError("no free UDP port range for the simulator")


def _wait_heartbeats(base: int, n: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    socks = []
    try:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", base + i))
            s.settimeout(0.05)
            socks.append(s)
        waiting = set(range(n))
        deadline = time.monotonic() + timeout_s
        while waiting:
            if proc.poll() is not None:
                raise RuntimeError(f"simulator exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no HEARTBEAT from vehicles {sorted(waiting)} "
                                   f"within {timeout_s:.0f} s")
            for i in list(waiting):
                try:
                    data, _ = socks[i].recvfrom(65535)
                except TimeoutError:
                    continue
                parser = mavlink.MAVLink(None)
                parser.robust_parsing = True
                for msg in parser.parse_buffer(data) or []:
                    if msg.get_type() == "HEARTBEAT" and msg.get_srcSystem() == i + 1:
                        waiting.discard(i)
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def start_sim(tmp_path: Path, vehicles: int = 3, rovers: int = 0, speedup: float = 10.0,
              world: Path | None = None, timeout_s: float = START_TIMEOUT_S,
              camera_rate_hz: float | None = None) -> Iterator[SimHandle]:
    """`camera_rate_hz`: serve the drones' camera frames (`--cameras`) at this sim-time rate."""
    n = vehicles + rovers
    base = free_base_port(n)
    log_path = tmp_path / f"sim-{base}.log"
    cmd = [sys.executable, "-m", "sim", "--vehicles", str(vehicles), "--rovers", str(rovers),
           "--speedup", str(speedup), "--base-port", str(base)]
    if world is not None:
        cmd += ["--world", str(world)]
    if camera_rate_hz is not None:
        cmd += ["--cameras", "--camera-rate-hz", str(camera_rate_hz)]
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    handle = SimHandle(base_port=base, speedup=speedup, count=n, process=proc, log_path=log_path)
    try:
        try:
            _wait_heartbeats(base, n, proc, timeout_s)
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"simulator did not start: {e}\n--- sim log ---\n{handle.log()}") \
                from None
        try:
            yield handle
        except BaseException:
            print(f"--- simulator log ({log_path}) ---\n{handle.log()[-20000:]}")
            raise
    finally:
        handle.stop()
