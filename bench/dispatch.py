"""Dispatch and store at city scale: prints and saves figures to bench/results/dispatch.json.

- one incident against 1,000 vehicles (target < 10 ms),
- 200 incidents x 1,000 vehicles, optimal per priority (target < 1 s),
- durable event append rate on SQLite (target >= 5,000 events/s),
- restart recovery: reopening a store holding 100,000 events and replaying the newest 1,000;
  reading back 1,000 incidents with their missions and tasks; and a `skywatch serve` process
  started on that data directory, timed until it answers an operator's incident list.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fleet.dispatch import DispatchRequest, DispatchVehicle, VehicleProfile, dispatch
from fleet.events import EventLog
from fleet.lifecycle import IncidentState, MissionState, TaskState
from fleet.store.database import open_database, sqlite_url
from fleet.store.journal import SqlJournal
from fleet.store.operations import (
    IncidentRecord,
    MissionRecord,
    OperationsStore,
    TaskRecord,
    utc_now,
)
from fleet.supervision_rules import LIVE, OPEN_INCIDENTS

RESULTS = Path(__file__).with_name("results") / "dispatch.json"
LAT0, LON0 = 22.5431, 114.0579
DEPARTMENTS = ("fire", "traffic", "water")
CAPABILITIES = (("rgb", "thermal"), ("rgb", "zoom"), ("rgb", "thermal", "loudspeaker"))


def _point(rng: random.Random, radius_m: float) -> tuple[float, float]:
    east, north = rng.uniform(-radius_m, radius_m), rng.uniform(-radius_m, radius_m)
    return LAT0 + north / 111_195, LON0 + east / (111_195 * math.cos(math.radians(LAT0)))


def city_fleet(n: int, rng: random.Random) -> list[DispatchVehicle]:
    profile = VehicleProfile(cruise_speed_mps=15.0, endurance_s=2400.0)
    fleet = []
    for i in range(n):
        lat, lon = _point(rng, 25_000)
        fleet.append(DispatchVehicle(
            id=f"uav{i}", kind="multirotor", department=rng.choice(DEPARTMENTS),
            capabilities=frozenset(rng.choice(CAPABILITIES)), lat_deg=lat, lon_deg=lon,
            dock_lat_deg=lat, dock_lon_deg=lon, battery_pct=rng.uniform(40, 100),
            profile=profile, busy_priority=rng.choice((None, None, None, 4, 5)),
        ))
    return fleet


def incidents(n: int, rng: random.Random) -> list[DispatchRequest]:
    out = []
    for i in range(n):
        lat, lon = _point(rng, 20_000)
        out.append(DispatchRequest(
            incident_id=f"inc{i}", lat_deg=lat, lon_deg=lon, priority=rng.randint(1, 5),
            department=rng.choice(DEPARTMENTS), capabilities=frozenset({"rgb"}),
        ))
    return out


def fill_operations(store: OperationsStore, n: int) -> None:
    """`n` incidents, each with a mission of two tasks; the last 20 still being worked on."""
    now = utc_now()
    for k in range(n):
        live = k >= n - 20
        inc = IncidentRecord(
            id=store.next_id("inc"), type="fire", department="fire", priority=1 + k % 5,
            state=IncidentState.ACTIVE if live else IncidentState.RESOLVED,
            geometry={"type": "Point", "coordinates": [LON0, LAT0]}, note="", reporter="bench",
            vehicles=2, explanation={"summary": "bench"}, created_at=now, updated_at=now)
        store.add_incident(inc)
        mission = MissionRecord(id=store.next_id("m"), incident_id=inc.id, department="fire",
                                state=MissionState.ACTIVE if live else MissionState.COMPLETED,
                                reason="", created_at=now, updated_at=now)
        plan = {"items": [{"kind": "rtl"}] * 30, "work_from": 2, "return_from": 29,
                "summary": "bench", "share": 0, "work_done": not live}
        tasks = [TaskRecord(id=store.next_id("t"), mission_id=mission.id, vehicle_id=f"uav{j}",
                            department="fire",
                            state=(TaskState.ON_STATION if live and j == 0 else TaskState.DONE),
                            progress=0.5, plan=plan, reason="", created_at=now, updated_at=now)
                 for j in range(2)]
        store.add_mission(mission, tasks)


def server_restart_s(data_dir: Path) -> float:
    """Seconds from starting `skywatch serve` on `data_dir` (no vehicles to wait for) until an
    operator signed in gets the incident list: imports, migrations check, store reopen."""
    fleet_file = data_dir / "fleet.yaml"
    fleet_file.write_text("version: 1\nvehicles: []\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    password = "kestrel over the reservoir 42"
    env = {**os.environ, "SKYWATCH_ADMIN_PASSWORD": password}
    base = f"http://127.0.0.1:{port}"
    t = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("skywatch")), "serve",
                             "--fleet", str(fleet_file), "--port", str(port), "--data-dir",
                             str(data_dir)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"skywatch serve exited with {proc.returncode}")
            try:
                token = httpx.post(f"{base}/api/auth/token",
                                   data={"username": "admin", "password": password}).json()
                break
            except httpx.TransportError:
                time.sleep(0.02)
        r = httpx.get(f"{base}/api/incidents",
                      headers={"Authorization": f"Bearer {token['access_token']}"})
        elapsed = time.perf_counter() - t
        assert r.status_code == 200 and len(r.json()) == 1000, r.text[:200]
        return round(elapsed, 2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def time_ms(fn, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2)}


def main() -> None:
    rng = random.Random(7)
    fleet = city_fleet(1000, rng)
    one, many = incidents(1, rng), incidents(200, rng)
    result: dict[str, object] = {
        "one_incident_1000_vehicles": time_ms(lambda: dispatch(fleet, one), 50),
        "200_incidents_1000_vehicles": time_ms(lambda: dispatch(fleet, many), 5),
        "explain_one_incident_1000_vehicles": time_ms(
            lambda: dispatch(fleet, one).explain("inc0"), 20),
    }
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        log = EventLog(journal=SqlJournal(open_database(sqlite_url(data_dir))))
        n = 20_000
        t = time.perf_counter()
        for i in range(n):
            log.publish("vehicle", {"vehicle_id": f"uav{i % 100}", "link": "connected"})
        result["sqlite_append_events_per_s"] = round(n / (time.perf_counter() - t))
        for i in range(80_000):
            log.publish("vehicle", {"vehicle_id": f"uav{i % 100}", "link": "connected"})
        t = time.perf_counter()
        restarted = EventLog(journal=SqlJournal(open_database(sqlite_url(data_dir))))
        replay = restarted.since(99_000, limit=1000)  # seqs 1..100,000 were stored
        result["restart_100k_events_reopen_and_replay_1000_ms"] = round(
            (time.perf_counter() - t) * 1000, 1)
        assert [e.seq for e in replay] == list(range(99_001, 100_001))
        fill_operations(OperationsStore(open_database(sqlite_url(data_dir))), 1000)
        t = time.perf_counter()
        store = OperationsStore(open_database(sqlite_url(data_dir)))
        live, open_incidents = store.tasks(states=LIVE), store.incidents(OPEN_INCIDENTS)
        every = store.incidents()
        result["restart_1000_incidents_read_back_ms"] = round(
            (time.perf_counter() - t) * 1000, 1)
        assert (len(every), len(open_incidents), len(live)) == (1000, 20, 20)
        result["restart_server_process_until_incident_list_s"] = server_restart_s(data_dir)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)  # shared machines vary
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
