"""Dispatch and store at city scale: prints and saves figures to bench/results/dispatch.json.

- one incident against 1,000 vehicles (target < 10 ms),
- 200 incidents x 1,000 vehicles, optimal per priority (target < 1 s),
- durable event append rate on SQLite (target >= 5,000 events/s),
- restart recovery: reopening a store holding 100,000 events and replaying the newest 1,000.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

from fleet.dispatch import DispatchRequest, DispatchVehicle, VehicleProfile, dispatch
from fleet.events import EventLog
from fleet.store.database import open_database, sqlite_url
from fleet.store.journal import SqlJournal

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
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
