"""`skywatch up` starts simulator, server and console together, and stops them together."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.sim_harness import free_base_port, vehicle_port


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Ctrl-C `skywatch up` as an operator would; killed if it does not exit in time."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.e2e
def test_up_serves_the_default_fleet_linked_to_the_simulator(tmp_path: Path) -> None:
    """On first start the operator is told, once, the generated admin password: it signs in."""
    port, base = _free_tcp_port(), free_base_port(5)
    output = tmp_path / "up.out"
    with output.open("wb") as out_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "skywatch", "up", "--port", str(port), "--base-port",
             str(base), "--speedup", "5", "--data-dir", str(tmp_path / "data"),
             "--no-onboard"],  # tests/test_up_onboard.py runs the onboard nodes
            stdout=out_file, stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "SKYWATCH_ADMIN_PASSWORD"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline, vehicles, headers = time.monotonic() + 60, [], None
        while time.monotonic() < deadline:
            hint = re.search(rf"sign in at {url}/ as admin with password (\S+)",
                             output.read_text())
            try:
                if headers is None and hint:
                    tokens = httpx.post(f"{url}/api/auth/token", timeout=5, data={
                        "username": "admin", "password": hint.group(1)}).json()
                    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
                vehicles = httpx.get(f"{url}/api/vehicles", headers=headers, timeout=2).json() \
                    if headers else []
            except httpx.HTTPError:
                vehicles = []
            if len(vehicles) == 5 and all(
                v["link"] == "connected" and v["lat"] is not None for v in vehicles
            ):
                break
            time.sleep(0.2)
        assert headers is not None, output.read_text()
        assert [v["id"] for v in vehicles] == ["uav0", "uav1", "uav2", "uav3", "ugv0"]
        assert [v["department"] for v in vehicles] == ["fire", "fire", "traffic", "water", "fire"]
        assert all(v["link"] == "connected" for v in vehicles), vehicles
        # Every vehicle reports a position at its own dock (docks are kilometres apart).
        for v in vehicles:
            assert abs(v["lat"] - v["dock"]["lat"]) < 1e-4, v
            assert abs(v["lon"] - v["dock"]["lon"]) < 1e-4, v
        data = tmp_path / "data"
        assert (data / "fleet.yaml").exists() and (data / "skywatch.db").exists()
        assert httpx.get(f"{url}/", timeout=2).status_code == 200
        assert httpx.get(f"{url}/api/vehicles", timeout=2).status_code == 401
    finally:
        _stop(proc)
    out = output.read_text()
    assert proc.returncode == 0, out[-3000:]
    assert out.count(hint.group(1)) == 1  # the generated password is shown once, never logged
    # The simulator went with it: its vehicle ports are free again.
    assert all(_udp_port_free(vehicle_port(base, i, 5)) for i in range(5))
