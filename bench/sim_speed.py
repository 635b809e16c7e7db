"""How fast the built-in simulator runs: the highest speed-up it sustains while every vehicle
flies, for 1, 10 and 50 vehicles in one process (one core). Target: >= 20x for one vehicle.

Each run asks for a 10,000x speed-up, so the simulator runs as fast as it can (its clock slows
down instead of falling behind), arms and flies every vehicle over pymavlink, and measures sim
seconds per wall second from vehicle 0's GLOBAL_POSITION_INT timestamps, plus the simulator
process's CPU. The machine is shared, so the figure that counts is sim seconds per CPU second
of the simulator (`speedup_per_cpu_core`); the load average is saved beside it.
Prints and saves bench/results/sim_speed.json.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["MAVLINK20"] = "1"

from tests.sim.mav_client import NAN, Client, mavlink, offset_deg  # noqa: E402
from tests.sim_harness import start_sim  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "sim_speed.json"
REQUESTED_SPEEDUP = 10_000.0
MEASURE_WALL_S = 5.0
TARGET_ONE_VEHICLE = 20.0


def _send_away(url: str) -> None:
    """Arm a vehicle and send it 200 km away at 12 m/s with a battery that does not drain
    (SIM_BAT_DRAIN 0), so it keeps flying for the whole run even at thousands x.
    One link at a time: a link nobody reads fills its socket buffer and drops the ACKs."""
    with Client(url) as c:
        c.connect()
        c.set_param("SIM_BAT_DRAIN", 0.0)
        c.wait_gps_fix()
        assert c.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        home = c.wait("HOME_POSITION")
        lat, lon = offset_deg(home.latitude / 1e7, home.longitude / 1e7, 200_000.0, 0.0)
        assert c.command_int(mavlink.MAV_CMD_DO_REPOSITION,
                             mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, (12.0, 1, 0, NAN),
                             int(lat * 1e7), int(lon * 1e7), 40.0) == 0


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, \
            start_sim(Path(tmp), vehicles=n, speedup=REQUESTED_SPEEDUP) as sim:
        for i in range(n):
            _send_away(sim.mavutil_url(i))
        proc = psutil.Process(sim.process.pid)
        with Client(sim.mavutil_url(0)) as probe:
            probe.connect()
            first = last = probe.position()
            cpu0, wall0 = proc.cpu_times(), time.monotonic()
            received = 0
            while time.monotonic() - wall0 < MEASURE_WALL_S:
                msg = probe.recv(0.05)
                received += msg is not None
                if msg is not None and msg.get_type() == "GLOBAL_POSITION_INT":
                    last = msg
            cpu1, wall1 = proc.cpu_times(), time.monotonic()
        speed = math.hypot(last.vx, last.vy) / 100
    wall = wall1 - wall0
    sim_s = (last.time_boot_ms - first.time_boot_ms) / 1000
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
    return {"vehicles": n, "achieved_speedup": round(sim_s / wall, 1),
            "sim_cpu_cores": round(cpu, 2),
            # what one uncontended core gives: the machine is shared, so wall time lies
            "speedup_per_cpu_core": round(sim_s / max(cpu * wall, 1e-9), 1),
            "vehicle0_msgs_per_wall_s": round(received / wall),
            "vehicle0_ground_speed_mps": round(speed, 1)}


def main() -> None:
    runs = [measure(n) for n in (1, 10, 50)]
    for r in runs:
        print(f"{r['vehicles']:>3} vehicles: {r['achieved_speedup']:7.1f}x sim time on "
              f"{r['sim_cpu_cores']:.2f} cores = {r['speedup_per_cpu_core']:.0f}x per core; "
              f"vehicle 0 sends {r['vehicle0_msgs_per_wall_s']} msgs/s "
              f"(flying at {r['vehicle0_ground_speed_mps']} m/s)")
    one = runs[0]["speedup_per_cpu_core"]
    verdict = "meets" if one >= TARGET_ONE_VEHICLE else "misses"
    print(f"one vehicle: {one:.0f}x on one core, {verdict} the >= {TARGET_ONE_VEHICLE:.0f}x target"
          f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "sim_speed", "requested_speedup": REQUESTED_SPEEDUP,
        "target_one_vehicle_speedup": TARGET_ONE_VEHICLE, "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
        "runs": runs,
    }, indent=2) + "\n")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
