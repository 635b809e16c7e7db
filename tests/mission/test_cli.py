"""`skywatch plan …` run as a user runs it: files in, files out, one line per problem."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mission.energy import VEHICLE_PROFILES, estimate_flight
from mission.formats.by_extension import read_plan
from mission.formats.qgc import read_qgc_plan
from mission.formats.wpl import read_wpl
from mission.items import Waypoint

FIXTURES = Path("/work/shared/fixtures/qgc")
# A 600 m x 450 m field near Shenzhen with a pond (hole), and a no-fly square in its corner.
FIELD = [[114.0500, 22.5400], [114.0558, 22.5400], [114.0558, 22.5440], [114.0500, 22.5440],
         [114.0500, 22.5400]]
POND = [[114.0520, 22.5415], [114.0530, 22.5415], [114.0530, 22.5425], [114.0520, 22.5415]]
ZONE = [[114.0540, 22.5430], [114.0550, 22.5430], [114.0550, 22.5438], [114.0540, 22.5438],
        [114.0540, 22.5430]]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skywatch", "plan", *args],
                          capture_output=True, text=True, timeout=120)


def geojson(path: Path, *rings) -> Path:
    path.write_text(json.dumps({"type": "Feature", "properties": {},
                                "geometry": {"type": "Polygon", "coordinates": list(rings)}}))
    return path


def test_survey_writes_a_qgc_plan_with_a_survey_item(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD, POND)
    zone = geojson(tmp_path / "zone.geojson", ZONE)
    out = tmp_path / "field.plan"
    r = run("survey", "--area", str(area), "--exclude", str(zone), "--gsd-cm", "2",
            "--camera", "dji-phantom4-pro", "--home", "22.5395,114.0495", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"wrote {out}: ") and "coverage" in r.stdout
    doc = json.loads(out.read_text())
    kinds = [i.get("complexItemType", i["type"]) for i in doc["mission"]["items"]]
    assert kinds == ["SimpleItem", "SimpleItem", "survey", "SimpleItem"]
    plan = read_qgc_plan(out.read_text())
    assert sum(isinstance(i, Waypoint) for i in plan.items) > 10


def test_survey_for_three_drones_writes_three_files(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD)
    r = run("survey", "--area", str(area), "--drones", "3", "--start", "22.5395,114.0495",
            "--start", "22.5445,114.0530", "--start", "22.5420,114.0565",
            "-o", str(tmp_path / "part.waypoints"))
    assert r.returncode == 0, r.stderr
    files = sorted(tmp_path.glob("part-*.waypoints"))
    assert [f.name for f in files] == ["part-1.waypoints", "part-2.waypoints", "part-3.waypoints"]
    assert all(len(read_wpl(f.read_text()).items) > 4 for f in files)
    assert len(r.stdout.splitlines()) == 3


def test_survey_for_drones_without_launch_points_splits_the_area_evenly(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD)
    r = run("survey", "--area", str(area), "--drones", "2", "-o", str(tmp_path / "p.geojson"))
    assert r.returncode == 0, r.stderr
    hectares = [float(line.split(" ha")[0].rsplit(" ", 1)[1]) for line in r.stdout.splitlines()]
    assert len(hectares) == 2 and min(hectares) > 0.7 * max(hectares)
    parts = sorted(tmp_path.glob("p-*.geojson"))
    assert len(parts) == 2
    assert all(len(read_plan(f.name, f.read_bytes()).items) > 4 for f in parts)


def test_self_crossing_area_exits_2_naming_where(tmp_path) -> None:
    bowtie = geojson(tmp_path / "bad.geojson",
                     [[114.05, 22.54], [114.06, 22.55], [114.06, 22.54], [114.05, 22.55],
                      [114.05, 22.54]])
    r = run("survey", "--area", str(bowtie), "-o", str(tmp_path / "x.plan"))
    assert r.returncode == 2
    assert r.stderr.strip() == "error: --area: crosses itself at lat 22.545000, lon 114.055000"
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "x.plan").exists()


def test_bad_options_are_one_line_each(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD)
    r = run("survey", "--area", str(area), "--alt-m", "60", "--gsd-cm", "2",
            "-o", str(tmp_path / "x.plan"))
    assert r.returncode == 2 and r.stderr.startswith("error: alt_m:")
    r = run("search", "--pattern", "spiral", "--at", "22.5,114.0", "-o", str(tmp_path / "s.plan"))
    assert r.returncode == 2 and r.stderr.startswith("error: --pattern:")
    r = run("orbit", "--at", "95,114", "-o", str(tmp_path / "o.plan"))
    assert r.returncode == 2 and r.stderr.strip() == "error: --at: latitude 95.0 is outside -90..90"
    r = run("convert", str(tmp_path / "missing.plan"), "-o", str(tmp_path / "x.kml"))
    assert r.returncode == 2 and "missing.plan" in r.stderr and len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize("pattern", ["expanding-square", "sector"])
def test_search_patterns_report_pod(tmp_path, pattern) -> None:
    out = tmp_path / "s.geojson"
    r = run("search", "--pattern", pattern, "--at", "22.5431,114.0579", "--sweep-width-m", "50",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "PoD" in r.stdout and out.exists()


def test_orbit_corridor_perimeter_transit(tmp_path) -> None:
    zone = geojson(tmp_path / "zone.geojson", ZONE)
    area = geojson(tmp_path / "area.geojson", FIELD)
    cmds = [
        ["orbit", "--at", "22.5431,114.0579", "--ring", "20:15", "--ring", "40:30"],
        ["corridor", "--point", "22.54,114.05", "--point", "22.55,114.06", "--width-m", "80"],
        ["perimeter", "--area", str(area), "--offset-m", "-15"],
        ["transit", "--from", "22.5434,114.0530", "--to", "22.5434,114.0560",
         "--exclude", str(zone)],
    ]
    for k, cmd in enumerate(cmds):
        out = tmp_path / f"o{k}.kml"
        r = run(*cmd, "-o", str(out))
        assert r.returncode == 0, (cmd, r.stderr)
        assert out.read_text().startswith("<?xml")


def test_convert_fixture_to_waypoints_and_back(tmp_path) -> None:
    src = FIXTURES / "PX4SITL-PX4-MultiRotor.plan"
    wp = tmp_path / "m.waypoints"
    back = tmp_path / "m.plan"
    assert run("convert", str(src), "-o", str(wp)).returncode == 0
    assert run("convert", str(wp), "-o", str(back)).returncode == 0
    assert read_qgc_plan(back.read_text()).items == read_qgc_plan(src.read_text()).items


def test_check_lists_every_problem(tmp_path) -> None:
    plan = tmp_path / "p.waypoints"
    plan.write_text("QGC WPL 110\n"
                    "0\t1\t0\t16\t0\t0\t0\t0\t22.54\t114.05\t10\t1\n"
                    "1\t0\t3\t16\t0\t0\t0\t0\t22.541\t114.05\t150\t1\n"
                    "2\t0\t3\t16\t0\t0\t0\t0\t22.5434\t114.0545\t50\t1\n"
                    "3\t0\t3\t16\t0\t0\t0\t0\t22.5434\t114.0560\t1\t1\n")
    zone = geojson(tmp_path / "zone.geojson", ZONE)
    r = run("check", str(plan), "--exclude", str(zone))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0] == "error: items[0].alt_m: 150 m is above the 120 m ceiling"
    assert lines[1] == "error: items[2].alt_m: 1 m is below the 2 m floor"
    # items[1] lies inside the zone: the legs into it and out of it both pass through.
    assert lines[2].startswith("error: items[1]: the leg to it passes 59 m through exclusion")
    assert lines[3].startswith("error: items[2]: the leg to it passes 51 m through exclusion")
    assert len(lines) == 4
    ok = tmp_path / "ok.plan"
    assert run("convert", str(FIXTURES / "simple_square.plan"), "-o", str(ok)).returncode == 0
    r = run("check", str(ok), "--vehicle", "quad-77wh")
    assert r.returncode == 0 and "no problems" in r.stdout


def test_parallel_search_for_two_drones(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD)
    r = run("search", "--pattern", "parallel", "--area", str(area), "--sweep-width-m", "60",
            "--start", "22.5395,114.0495", "--start", "22.5445,114.0530",
            "-o", str(tmp_path / "sar.plan"))
    assert r.returncode == 0, r.stderr
    assert sorted(f.name for f in tmp_path.glob("sar-*.plan")) == ["sar-1.plan", "sar-2.plan"]
    assert all("PoD" in line for line in r.stdout.splitlines())


def test_survey_too_big_for_one_battery_is_written_as_sorties(tmp_path) -> None:
    area = geojson(tmp_path / "area.geojson", FIELD)
    out = tmp_path / "big.waypoints"
    r = run("survey", "--area", str(area), "--alt-m", "40", "--home", "22.5395,114.0495",
            "--vehicle", "mini-40wh", "--sorties", "-o", str(out))
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    n = int(first.split(" sorties on ")[0].rsplit(" ", 1)[1])
    files = sorted(tmp_path.glob("big-s*.waypoints"))
    assert n >= 2 and len(files) == n
    profile = VEHICLE_PROFILES["mini-40wh"]
    full = read_wpl(out.read_text())
    flown = []
    for f in files:
        sortie = read_wpl(f.read_text())
        assert estimate_flight(sortie, profile).fits
        flown += [i for i in sortie.items if isinstance(i, Waypoint)]
    assert flown == [i for i in full.items if isinstance(i, Waypoint)]
