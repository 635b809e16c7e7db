"""Console load: 100 vehicles streaming through the ground server to 50 signed-in consoles
(WebSocket) while 10 REST pollers read the fleet, incidents and missions.

Prints and saves `bench/results/console_load.json`: event latency (the server's publish time
to a console's receipt, p50/p99/max over every console), the share of each console's
telemetry that reached it (a console that falls behind gets only each vehicle's newest
position, see `web.events.fanout`), the pollers' response times and failures, and the server's
CPU.

The server, its vehicle feed (the simulator over MAVSDK links, or the synthetic source) and the
lean WebSocket client are those of `bench/telemetry_fanout.py`. Here the admin creates one
account per console role through `POST /api/users`, and every console and poller signs in on
its own, as a shared control room would: commanders see all 100 vehicles, fire operators the
fire brigade's 98, the traffic officers and water inspectors one each. Each console's stream is
scoped to its departments by the server, so the events sent per second are the sum of what
each console may see, not 50 times the fleet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from telemetry_fanout import (  # noqa: E402  (a sibling script, not a package)
    ADMIN_PASSWORD,
    ROOT,
    BenchServer,
    bench_server,
    cpu_s,
    sign_in,
    stream_client,
    wait_ready,
)

RESULTS = ROOT / "bench" / "results" / "console_load.json"
#: Consoles per role (50 in all): a shared control room, most of it the fire brigade's.
CONSOLES = {"commander": 10, "fire_operator": 24, "traffic_police": 8, "water_inspector": 8}
#: REST pollers per role (10 in all).
POLLERS = {"commander": 2, "fire_operator": 4, "traffic_police": 2, "water_inspector": 2}
POLLED = ("/api/vehicles", "/api/incidents", "/api/missions")
#: Passes the password policy; each role's account is `load-<role>`.
PASSWORD = "control room load test 51"


@dataclass(frozen=True, kw_only=True)
class Row:
    vehicles: int
    source: str
    consoles: int
    pollers: int
    vehicles_visible_per_role: dict[str, int]  #: `GET /api/vehicles` as each role's account
    duration_s: float
    published_events_per_s: float
    achieved_rate_hz_per_vehicle: float  #: below 10 when the machine could not keep up
    sent_events_per_s: float  #: telemetry received by all consoles together
    consoles_silent: int  #: consoles that received no telemetry at all (should be 0)
    delivered_pct: float  #: of the telemetry each console may see, pooled over consoles
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    rest_requests: int  #: the pollers' process starts a second or so after the consoles
    rest_failures: int  #: answers other than 200, and transport errors
    rest_p50_ms: float
    rest_p99_ms: float
    server_cpu_pct: float  #: of one core
    simulator_cpu_pct: float | None
    load_avg_1m_before: float  #: other work on the machine skews every figure


def _quantiles_ms(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return math.nan, math.nan
    q = statistics.quantiles(values, n=100)
    return round(q[49], 2), round(q[98], 2)


async def _accounts(http: httpx.AsyncClient) -> dict[str, int]:
    """One account per role, created by the admin; how many vehicles each role sees."""
    admin = {"Authorization": f"Bearer {await sign_in(http, 'admin', ADMIN_PASSWORD)}"}
    visible = {}
    for role in CONSOLES:
        created = await http.post("/api/users", headers=admin, timeout=60, json={
            "username": f"load-{role}", "password": PASSWORD, "role": role})
        created.raise_for_status()
        token = await sign_in(http, f"load-{role}", PASSWORD)
        vehicles = await http.get("/api/vehicles", headers={"Authorization": f"Bearer {token}"})
        visible[role] = len(vehicles.json())
    return visible


async def _poll(http: httpx.AsyncClient, token: str, stop_at: float, hz: float,
                times_ms: list[float]) -> int:
    """GET each of `POLLED` once a period until `stop_at`; the failures."""
    headers = {"Authorization": f"Bearer {token}"}
    failures = 0
    period_s = 1.0 / hz
    next_at = time.time()
    while next_at < stop_at:
        for path in POLLED:
            started = time.perf_counter()
            try:
                ok = (await http.get(path, headers=headers)).status_code == 200
            except httpx.HTTPError:
                ok = False
            times_ms.append((time.perf_counter() - started) * 1000.0)
            failures += not ok
        next_at += period_s
        await asyncio.sleep(max(0.0, next_at - time.time()))
    return failures


def _pollers_process(port: int, tokens: list[str], stop_at: float, hz: float,
                     results: multiprocessing.Queue) -> None:
    """The pollers, in a process of their own: in the consoles' process, their timings would
    include the wait for the event loop, busy with tens of thousands of events a second."""

    async def run() -> tuple[list[float], int]:
        times_ms: list[float] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            failures = await asyncio.gather(*(_poll(http, t, stop_at, hz, times_ms)
                                              for t in tokens))
        return times_ms, sum(failures)

    results.put(asyncio.run(run()))


async def _collect(served: BenchServer, vehicles: int, source: str, duration_s: float,
                   poll_hz: float) -> Row:
    port = served.port
    await wait_ready(port, vehicles, source, timeout_s=60 + vehicles)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        visible = await _accounts(http)
        roles = [role for role, n in CONSOLES.items() for _ in range(n)]
        consoles = await asyncio.gather(*(sign_in(http, f"load-{r}", PASSWORD) for r in roles))
        pollers = await asyncio.gather(*(
            sign_in(http, f"load-{role}", PASSWORD) for role, n in POLLERS.items()
            for _ in range(n)))
        await asyncio.sleep(2.0)  # let links and rates settle before measuring
        load_avg_1m = os.getloadavg()[0]
        seq0 = (await http.get("/api/health")).json()["last_seq"]
        cpu0 = cpu_s(served.server)
        sim_cpu0 = cpu_s(served.simulator) if served.simulator else 0.0
        latencies: list[list[float]] = [[] for _ in consoles]
        t0 = time.time()
        spawn = multiprocessing.get_context("spawn")
        polled: multiprocessing.Queue = spawn.Queue()
        polling = spawn.Process(target=_pollers_process,
                                args=(port, list(pollers), t0 + duration_s, poll_hz, polled))
        polling.start()
        received = await asyncio.gather(*(
            stream_client(port, token, t0 + duration_s, latencies[k])
            for k, token in enumerate(consoles)))
        elapsed_s = time.time() - t0
        rest_ms, rest_failures = await asyncio.to_thread(polled.get, timeout=60)
        polling.join(10)
        cpu_pct = 100.0 * (cpu_s(served.server) - cpu0) / elapsed_s
        sim_cpu_pct = (100.0 * (cpu_s(served.simulator) - sim_cpu0) / elapsed_s
                       if served.simulator else None)
        published = (await http.get("/api/health")).json()["last_seq"] - seq0
    rate_hz = published / elapsed_s / vehicles  # telemetry dominates the log by far
    expected = sum(visible[r] * rate_hz * elapsed_s for r in roles)
    every = sorted(x for per_console in latencies for x in per_console)
    p50, p99 = _quantiles_ms(every)
    rest_p50, rest_p99 = _quantiles_ms(rest_ms)
    return Row(
        vehicles=vehicles, source=source, consoles=len(consoles), pollers=len(pollers),
        vehicles_visible_per_role=visible,
        duration_s=round(elapsed_s, 2),
        published_events_per_s=round(published / elapsed_s, 1),
        achieved_rate_hz_per_vehicle=round(rate_hz, 2),
        sent_events_per_s=round(sum(received) / elapsed_s, 1),
        consoles_silent=sum(1 for n in received if n == 0),
        delivered_pct=round(100.0 * sum(received) / expected, 1) if expected else math.nan,
        latency_p50_ms=p50, latency_p99_ms=p99,
        latency_max_ms=round(every[-1], 2) if every else math.nan,
        rest_requests=len(rest_ms), rest_failures=rest_failures,
        rest_p50_ms=rest_p50, rest_p99_ms=rest_p99,
        server_cpu_pct=round(cpu_pct, 1),
        simulator_cpu_pct=round(sim_cpu_pct, 1) if sim_cpu_pct is not None else None,
        load_avg_1m_before=round(load_avg_1m, 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100:sim,100:synthetic",
                        help="N:source pairs to measure (sources as in telemetry_fanout.py)")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--poll-hz", type=float, default=1.0,
                        help="rounds of GETs per second per poller (3 requests a round)")
    args = parser.parse_args()
    rows = []
    for spec in args.rows.split(","):
        n, source = spec.split(":")
        with bench_server(int(n), source) as served:
            row = asyncio.run(_collect(served, int(n), source, args.duration, args.poll_hz))
        print(json.dumps(asdict(row)))
        rows.append(row)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "console_load",
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "consoles_per_role": CONSOLES,
        "pollers_per_role": POLLERS,
        "polled_each_round": list(POLLED),
        "poll_hz": args.poll_hz,
        "latency": "server publish time to console receipt, all consoles pooled",
        "delivered": "telemetry received / what the consoles' departments published",
        "rows": [asdict(r) for r in rows],
    }, indent=2) + "\n")
    print(f"saved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
