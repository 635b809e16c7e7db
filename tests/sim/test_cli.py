"""`python -m sim` rejects bad arguments with one clear line and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from skywatch.layout import default_vehicles, world_document
from tests.sim_harness import REPO, start_sim


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("args", "says"), [
    (["--home", "200,114"], "--home: latitude 200 is outside -90..90"),
    (["--vehicles", "-1"], "--vehicles: -1 is negative"),
    (["--world", "/nonexistent/world.yaml"], "--world: cannot read /nonexistent/world.yaml"),
    (["--speedup", "0"], "--speedup: 0 is outside"),
])
def test_bad_arguments_exit_2_with_one_line(args: list[str], says: str) -> None:
    run = _run(*args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0]


def test_unknown_world_version_is_refused(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump({"version": 9, "home": {"lat_deg": 0, "lon_deg": 0},
                                     "vehicles": []}))
    run = _run("--world", str(world))
    assert run.returncode == 2
    assert run.stderr.strip() == "error: world.version: 9 is not supported " \
                                 "(this simulator reads version 1)"


@pytest.mark.e2e
def test_world_file_puts_each_vehicle_on_its_dock(tmp_path: Path) -> None:
    from tests.sim.mav_client import Client, distance_m

    vehicles = default_vehicles(2, 1)
    doc = world_document(vehicles, 22.5431, 114.0579)
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump(doc))
    with start_sim(tmp_path, vehicles=2, rovers=1, speedup=5.0, world=world) as sim:
        for i, entry in enumerate(doc["vehicles"]):
            with Client(sim.mavutil_url(i)) as gcs:
                hb = gcs.connect()
                assert hb.type == (10 if entry["kind"] == "rover" else 2)
                pos = gcs.position()
                assert distance_m(pos.lat / 1e7, pos.lon / 1e7, entry["lat_deg"],
                                  entry["lon_deg"]) < 0.5
                assert pos.alt == pytest.approx(doc["home"]["alt_amsl_m"] * 1000, abs=50)
