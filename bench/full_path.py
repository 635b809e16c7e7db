"""Issue 6's full ROS 2 path, measured: the scenario of `tests/ros/test_full_path.py` once.

Two drones search the example scene (two fires, five people) dispatched through the API, the
simulator at 3x with one thermal frame per sim second and drone, the onboard nodes on ROS 2,
the uplinks cut for 30 s of wall time by `TcpLinkCut`. Prints and saves
bench/results/full_path.json: frames served and looked at, detections (during the cut too),
how long the cut's backlog took to reach the server, frame-to-detections and frame-to-server
latency in wall milliseconds (outside the cut), real things found, geolocation error
median/p95, objects shown twice, stray objects; with the load average, which stretches every
time. Needs the ROS 2 nodes built (`make setup`).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# bench/perception.py is named like the package: keep this folder off the import path; the
# scenario is the test's, from the repository's `tests` package.
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from skywatch.onboard import ros_environment  # noqa: E402
from tests.ros.test_full_path import fly_the_search, measured  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results") / "full_path.json"
DOMAIN_ID = 96


def main() -> None:
    subprocess.run(["bash", str(REPO / "scripts" / "build_ros.sh")], check=True)
    with tempfile.TemporaryDirectory(prefix="full_path-") as tmp:
        os.environ.update(ros_environment(domain_id=DOMAIN_ID, log_dir=Path(tmp) / "ros-log"))
        run = asyncio.run(fly_the_search(Path(tmp)))
    results = {"benchmark": "full_path", **measured(run),
               "load_average_1min": round(os.getloadavg()[0], 2)}
    for key, value in results.items():
        print(f"{key}: {value}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
