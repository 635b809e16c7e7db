"""Telemetry fan-out: N vehicles x 10 Hz through the ground server to K WebSocket clients.

Prints and saves `bench/results/telemetry_fanout.json`: for each N, end-to-end latency (the
event's publication time in the server to its receipt by a client, p50/p99/max over all
clients), the rate each client received, and the server's CPU per vehicle.

The server runs in its own process (this file with `--serve`), the K clients in this one, so
the CPU figure is the server's alone. Two sources feed the server's event log:

- `sim`: the built-in simulator (`python -m sim`, one more process) speaking MAVLink to the
  real `FleetRegistry` over MAVSDK links: the whole production path. Latency is measured from
  the moment the registry publishes a telemetry event, so it covers the server and the
  WebSocket hop, not the simulator's UDP hop.
- `synthetic` (`SyntheticTelemetrySource`): positions generated in the server process and
  published into the same event log at 10 Hz per vehicle, staggered over the 100 ms period.
  It stands in where N simulated vehicles and their MAVSDK links do not fit on the machine
  (N = 500 on 2 cores), and beside the simulator's 100-vehicle row it separates the cost of
  the fan-out from that of the MAVLink links; each row says which source it used.

The server signs its clients in like any console's: it starts on a throwaway data directory
with a known admin password (`bench_server`), and each client opens `/ws?token=...`.

Target (issue 3): 100 vehicles x 10 Hz to 10 clients with p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "telemetry_fanout.json"
RATE_HZ = 10.0
HOME_LAT_DEG, HOME_LON_DEG = 22.5431, 114.0579
#: The benchmark server's admin password (its data directory is thrown away afterwards).
ADMIN_PASSWORD = "benchmark control room passphrase 7"


@dataclass(frozen=True, kw_only=True)
class Row:
    vehicles: int
    clients: int
    source: str
    duration_s: float
    published_events_per_s: float
    achieved_rate_hz_per_vehicle: float  #: below 10 when the machine could not keep up
    received_per_client_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    server_cpu_pct: float  #: of one core
    server_cpu_per_vehicle_pct: float
    simulator_cpu_pct: float | None
    load_avg_1m_before: float  #: other work on the machine skews every figure
    target_met: bool | None  #: p99 < 100 ms, for the 100-vehicle row


# --- server side (child process) -----------------------------------------------------------


class SyntheticTelemetrySource:
    """Publishes N vehicles' telemetry at 10 Hz into the event log, as the registry would.

    Vehicles fly circles around their docks; each 10 ms slot publishes a tenth of the fleet, so
    the load is spread over the period like real, unsynchronised vehicles.
    """

    def __init__(self, events: Any, vehicles: int) -> None:
        self._events = events
        self._vehicles = vehicles

    async def run(self) -> None:
        from fleet.model import LandedState, Telemetry, telemetry_event_data

        slots = 10
        start = time.monotonic()
        tick = 0
        while True:
            t_s = time.monotonic() - start
            for i in range(tick % slots, self._vehicles, slots):
                angle = 0.2 * t_s + i
                telemetry = Telemetry(
                    vehicle_id=f"uav{i}", t_s=t_s,
                    lat_deg=HOME_LAT_DEG + 0.001 * math.sin(angle) + 0.0001 * i,
                    lon_deg=HOME_LON_DEG + 0.001 * math.cos(angle),
                    alt_amsl_m=40.0, alt_rel_m=30.0, heading_deg=math.degrees(angle) % 360,
                    ground_speed_mps=12.0, climb_mps=0.0, battery_pct=80.0, armed=True,
                    flight_mode="Hold", landed_state=LandedState.IN_AIR, gps_fix=True,
                )
                self._events.publish("telemetry", telemetry_event_data(telemetry))
            tick += 1
            await asyncio.sleep(max(0.0, start + tick / (RATE_HZ * slots) - time.monotonic()))


async def _serve(vehicles: int, port: int, source: str, base_port: int) -> None:
    import uvicorn

    from fleet.events import EventLog
    from fleet.model import Dock, VehicleKind, VehicleSpec
    from fleet.registry import FleetRegistry
    from skywatch.layout import default_vehicles, dock_lat_lon_deg
    from web.app import create_app
    from web.settings import Settings

    events = EventLog()
    specs = []
    for i, v in enumerate(default_vehicles(vehicles, 0)):
        lat, lon = dock_lat_lon_deg(v, HOME_LAT_DEG, HOME_LON_DEG)
        specs.append(VehicleSpec(
            id=v.id, name=v.name, kind=VehicleKind(v.kind), department=v.department,
            url=f"udpin://0.0.0.0:{base_port + i}",
            dock=Dock(id=f"dock-{v.id}", lat_deg=lat, lon_deg=lon),
            capabilities=frozenset(v.capabilities),
        ))
    # Synthetic vehicles are listed (their departments scope the stream) but never linked.
    registry = FleetRegistry(specs, events)
    if source == "sim":
        await registry.start()
    app = create_app(registry, events, Settings(port=port))  # data_dir: from the environment
    app.state.auth.ensure_admin(ADMIN_PASSWORD)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    feeding = None
    if source == "synthetic":
        feeding = asyncio.create_task(SyntheticTelemetrySource(events, vehicles).run())
    try:
        await server.serve()
    finally:
        if feeding is not None:
            feeding.cancel()
        if source == "sim":
            await registry.stop()


# --- client side (this process) ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, kw_only=True)
class BenchServer:
    port: int
    server: psutil.Process
    simulator: psutil.Process | None


@contextmanager
def bench_server(vehicles: int, source: str, base_port: int = 15540) -> Iterator[BenchServer]:
    """The ground server (this file with `--serve`) on a free port and a throwaway data
    directory, signed-in as `admin` / `ADMIN_PASSWORD`, fed by `source`; with `sim`, the
    simulator too. Both are stopped (SIGINT, then killed) on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="skywatch-bench-") as data_dir:
        env = {**os.environ, "SKYWATCH_DATA_DIR": data_dir}
        sim = None
        if source == "sim":
            sim = subprocess.Popen(
                [sys.executable, "-m", "sim", "--vehicles", str(vehicles), "--rovers", "0",
                 "--speedup", "1", "--base-port", str(base_port)],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--vehicles", str(vehicles), "--port",
             str(port), "--source", source, "--base-port", str(base_port)],
            cwd=ROOT, env=env,
        )
        try:
            yield BenchServer(port=port, server=psutil.Process(server.pid),
                              simulator=psutil.Process(sim.pid) if sim else None)
        finally:
            for proc in (server, sim):
                if proc is not None:
                    proc.send_signal(signal.SIGINT)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        proc.kill()


async def sign_in(http: httpx.AsyncClient, username: str, password: str) -> str:
    """An access token from the server's sign-in form, as the console gets one."""
    response = await http.post("/api/auth/token",
                               data={"username": username, "password": password}, timeout=60)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def wait_ready(port: int, vehicles: int, source: str, timeout_s: float) -> None:
    """The server answers, and with the simulator every vehicle's link is up."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        while time.monotonic() < deadline:
            try:
                health = (await http.get("/api/health")).json()
            except httpx.TransportError:
                health = None
            if health and (source != "sim" or health["vehicles_connected"] >= vehicles):
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"server not ready within {timeout_s} s")


class LeanWebSocketClient(asyncio.Protocol):
    """A WebSocket client that costs a few microseconds per message (RFC 6455 framing by hand).

    Ten clients receiving 1,000-5,000 events/s each would saturate this process with a full
    client library, and the figures would measure the clients instead of the server.
    """

    def __init__(self, latencies_ms: list[float], stop_at: float) -> None:
        self._buffer = bytearray()
        self._handshake_done = False
        self._latencies_ms = latencies_ms
        self._stop_at = stop_at
        self._closing = False
        self.received = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self._buffer
        buffer += data
        offset = 0
        if not self._handshake_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.done.set_exception(ConnectionError(bytes(buffer[:end]).decode()))
                return
            self._handshake_done = True
            offset = end + 4
        while len(buffer) - offset >= 2:
            opcode, length, header = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F, 2
            if length == 126:
                if len(buffer) - offset < 4:
                    break
                length, header = int.from_bytes(buffer[offset + 2:offset + 4], "big"), 4
            elif length == 127:
                if len(buffer) - offset < 10:
                    break
                length, header = int.from_bytes(buffer[offset + 2:offset + 10], "big"), 10
            if len(buffer) - offset < header + length:
                break
            payload = bytes(buffer[offset + header:offset + header + length])
            offset += header + length
            if opcode == 0x1 and not self._closing:
                event = orjson.loads(payload)
                if event["type"] == "telemetry":
                    sent = datetime.fromisoformat(event["t"]).timestamp()
                    self._latencies_ms.append((now - sent) * 1000.0)
                    self.received += 1
            elif opcode == 0x9 and self._transport is not None:  # ping: pong, masked (zero key)
                self._transport.write(bytes([0x8A, 0x80 | len(payload), 0, 0, 0, 0]) + payload)
            elif opcode == 0x8:  # the server's close (or its answer to ours)
                self._finish()
        del buffer[:offset]
        if now >= self._stop_at and not self._closing and self._transport is not None:
            # Closing handshake (1000, masked with a zero key): the server stops sending first.
            self._closing = True
            self._transport.write(bytes([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _finish(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if not self.done.done():
            self.done.set_result(None)


async def stream_client(port: int, token: str, stop_at: float, latencies_ms: list[float]) -> int:
    """Receive `/ws` as the holder of `token` until `stop_at`; the telemetry events received."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(
        lambda: LeanWebSocketClient(latencies_ms, stop_at), "127.0.0.1", port
    )
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )
    try:
        await asyncio.wait_for(asyncio.shield(client.done), max(0.0, stop_at - time.time()) + 5)
    except TimeoutError:
        transport.close()
    return client.received


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _measure(vehicles: int, clients: int, source: str, duration_s: float) -> Row:
    with bench_server(vehicles, source) as served:
        return asyncio.run(_collect(
            served.port, vehicles, clients, source, duration_s, served.server, served.simulator,
        ))


async def _collect(
    port: int, vehicles: int, clients: int, source: str, duration_s: float,
    server_proc: psutil.Process, sim_proc: psutil.Process | None,
) -> Row:
    await wait_ready(port, vehicles, source, timeout_s=60 + vehicles)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        token = await sign_in(http, "admin", ADMIN_PASSWORD)
    await asyncio.sleep(2.0)  # let links and rates settle before measuring
    load_avg_1m = os.getloadavg()[0]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        seq0 = (await http.get("/api/health")).json()["last_seq"]
    cpu0, sim_cpu0 = cpu_s(server_proc), cpu_s(sim_proc) if sim_proc else 0.0
    latencies: list[list[float]] = [[] for _ in range(clients)]
    t0 = time.time()
    counts = await asyncio.gather(*(
        stream_client(port, token, t0 + duration_s, latencies[k])
        for k in range(clients)
    ))
    elapsed_s = time.time() - t0
    cpu_pct = 100.0 * (cpu_s(server_proc) - cpu0) / elapsed_s
    sim_cpu_pct = 100.0 * (cpu_s(sim_proc) - sim_cpu0) / elapsed_s if sim_proc else None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        published = (await http.get("/api/health")).json()["last_seq"] - seq0
    every = sorted(x for per_client in latencies for x in per_client)
    quantiles = statistics.quantiles(every, n=100) if len(every) > 1 else [math.nan] * 99
    return Row(
        vehicles=vehicles, clients=clients, source=source, duration_s=round(elapsed_s, 2),
        published_events_per_s=round(published / elapsed_s, 1),
        achieved_rate_hz_per_vehicle=round(published / elapsed_s / vehicles, 2),
        received_per_client_per_s=round(statistics.mean(counts) / elapsed_s, 1),
        latency_p50_ms=round(quantiles[49], 2),
        latency_p99_ms=round(quantiles[98], 2),
        latency_max_ms=round(every[-1], 2) if every else math.nan,
        server_cpu_pct=round(cpu_pct, 1),
        server_cpu_per_vehicle_pct=round(cpu_pct / vehicles, 3),
        simulator_cpu_pct=round(sim_cpu_pct, 1) if sim_cpu_pct is not None else None,
        load_avg_1m_before=round(load_avg_1m, 2),
        target_met=quantiles[98] < 100.0 if vehicles == 100 else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--base-port", type=int, default=15540)
    parser.add_argument("--source", choices=("sim", "synthetic"), default="synthetic")
    parser.add_argument(
        "--rows", default="10:sim,100:sim,100:synthetic,500:synthetic",
        help="N:source pairs to measure; the synthetic 100 row isolates the server's fan-out",
    )
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    if args.serve:
        try:
            asyncio.run(_serve(args.vehicles, args.port, args.source, args.base_port))
        except KeyboardInterrupt:
            pass  # the parent's SIGINT: uvicorn has shut down cleanly and re-raised it
        return

    rows = []
    for spec in args.rows.split(","):
        n, source = spec.split(":")
        row = _measure(int(n), args.clients, source, args.duration)
        print(json.dumps(asdict(row)))
        rows.append(row)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "telemetry_fanout",
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "rate_hz_per_vehicle": RATE_HZ,
        "latency": "server publish time to client receipt, all clients pooled",
        "sources": {
            "sim": "python -m sim (1x) -> MAVLink/UDP -> FleetRegistry on MAVSDK links -> /ws",
            "synthetic": "SyntheticTelemetrySource publishing into the server's event log at "
                         "10 Hz per vehicle (no simulator, no MAVSDK) -> /ws",
        },
        "rows": [asdict(r) for r in rows],
    }, indent=2) + "\n")
    print(f"saved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
