"""`skywatch up` starts simulator, server and console together, and stops them together."""

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


def _udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.e2e
def test_up_serves_the_default_fleet_linked_to_the_simulator(tmp_path: Path) -> None:
    port, base = _free_tcp_port(), free_base_port(5)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skywatch", "up", "--port", str(port), "--base-port", str(base),
         "--speedup", "5", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline, vehicles = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                vehicles = httpx.get(f"http://127.0.0.1:{port}/api/vehicles", timeout=2).json()
            except httpx.HTTPError:
                vehicles = []
            if len(vehicles) == 5 and all(
                v["link"] == "connected" and v["lat"] is not None for v in vehicles
            ):
                break
            time.sleep(0.2)
        assert [v["id"] for v in vehicles] == ["uav0", "uav1", "uav2", "uav3", "ugv0"]
        assert all(v["link"] == "connected" for v in vehicles), vehicles
        # Every vehicle reports a position at its own dock (docks are kilometres apart).
        for v in vehicles:
            assert abs(v["lat"] - v["dock"]["lat"]) < 1e-4, v
            assert abs(v["lon"] - v["dock"]["lon"]) < 1e-4, v
        assert (tmp_path / "fleet.yaml").exists() and (tmp_path / "skywatch.db").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    # The simulator went with it: its vehicle ports are free again.
    assert all(_udp_port_free(vehicle_port(base, i, 5)) for i in range(5))
