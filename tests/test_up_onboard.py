"""`skywatch up` flies the embedded default end to end: incident → drone → camera → ROS 2 → server.

One drone at 5x: a fire incident is reported at the example scene's grass fire (300 m from the
drone's dock); the dispatcher sends the drone, its simulated cameras see the fire, the onboard
ROS 2 nodes detect and geolocate it, and the uplink posts it to the server under the incident.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mission.geodesy import distance_m
from skywatch.layout import METRES_PER_DEG_LAT, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG
from skywatch.up import onboard_installed
from tests.sim_harness import free_base_port
from tests.test_up import _free_tcp_port, _stop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not onboard_installed(), reason="ROS 2 nodes not built (make setup)"),
]

ADMIN_PASSWORD = "Up-onboard-kestrel-7"
#: The example scene's grass fire, 600 m west and 420 m south of home (`sim.example_world`).
FIRE_LAT_DEG = SHENZHEN_LAT_DEG - 420.0 / METRES_PER_DEG_LAT
FIRE_LON_DEG = SHENZHEN_LON_DEG - 600.0 / (
    METRES_PER_DEG_LAT * math.cos(math.radians(SHENZHEN_LAT_DEG)))


def _wait_for(what: str, probe: Any, timeout_s: float, log: Path,
              proc: subprocess.Popen[bytes]) -> Any:
    """`probe()`'s first truthy answer; fails at once, with the log, if `skywatch up` exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if (found := probe()):
                return found
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise AssertionError(f"no {what} within {timeout_s:.0f} s; log:\n{log.read_text()[-4000:]}")


def test_up_detects_and_geolocates_the_reported_fire(tmp_path: Path) -> None:
    port, base = _free_tcp_port(), free_base_port(1)
    url, data = f"http://127.0.0.1:{port}", tmp_path / "data"
    log = tmp_path / "up.out"
    env = {**os.environ, "SKYWATCH_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "ROS_DOMAIN_ID": str(40 + os.getpid() % 50),
           "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "skywatch", "up", "--vehicles", "1", "--rovers", "0",
             "--speedup", "5", "--port", str(port), "--base-port", str(base),
             "--data-dir", str(data)], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        def sign_in() -> dict[str, str] | None:
            reply = httpx.post(f"{url}/api/auth/token", timeout=30, data={
                "username": "admin", "password": ADMIN_PASSWORD})
            if reply.status_code != 200:
                return None
            return {"Authorization": f"Bearer {reply.json()['access_token']}"}

        headers = _wait_for("admin signed in", sign_in, 90, log, proc)
        api = httpx.Client(base_url=url, headers=headers, timeout=30)
        _wait_for("uav0 linked", lambda: api.get("/api/vehicles/uav0").json()["lat"], 90, log, proc)
        assert "onboard:   1 drones" in log.read_text()

        incident = api.post("/api/incidents", json={
            "type": "fire", "priority": 1, "note": "grass fire by the road",
            "geometry": {"type": "Point", "coordinates": [FIRE_LON_DEG, FIRE_LAT_DEG]}})
        assert incident.status_code == 201, incident.text
        incident_id = incident.json()["id"]
        assert incident.json()["explanation"]["candidates"][0]["vehicle_id"] == "uav0"

        def fire_seen() -> list[dict[str, Any]]:
            found = api.get("/api/detections", params={"incident_id": incident_id,
                                                       "label": "fire"}).json()
            return [d for d in found if d["vehicle_id"] == "uav0"]

        detections = _wait_for("a fire detection under the incident", fire_seen, 240, log, proc)
        assert all(0.25 <= d["score"] <= 1.0 for d in detections)
        crop = api.get(detections[0]["crop_url"])
        assert crop.status_code == 200 and crop.content[:2] == b"\xff\xd8"  # a JPEG

        errors_m: list[float] = []
        cursor = {"since": 0}

        def fire_located() -> list[float]:
            page = api.get("/api/events", params={**cursor, "limit": 1000}).json()
            if page:
                cursor["since"] = page[-1]["seq"]
            errors_m.extend(
                distance_m(e["lat_deg"], e["lon_deg"], FIRE_LAT_DEG, FIRE_LON_DEG)
                for e in page
                if e["type"] == "object" and e["label"] == "fire"
                and e["incident_id"] == incident_id)
            return errors_m

        _wait_for("the fire geolocated", fire_located, 120, log, proc)
        # The grass fire is a 4 m disc that grows; its tracked centre lands on it.
        assert min(errors_m) < 10.0, errors_m
    finally:
        _stop(proc)
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    # The onboard nodes went with it.
    leftovers = subprocess.run(["pgrep", "-f", str(data / "onboard")], capture_output=True)
    assert leftovers.stdout == b"", leftovers.stdout
