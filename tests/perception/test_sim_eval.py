"""Fires and people on freshly rendered simulator frames, scored against the simulator's truth.

The example scene (two fires, five people, a reservoir) is rendered by day and by night, 30
views each from 60-120 m with the gimbal at -90 to -45 degrees, with seeds the detector was
never tuned on (it was tuned on seeds 7 and 11), then searched and scored as
`skywatch eval --sim` does. Issue 6's targets hold on the two together and at night; by day
people on sun-warmed grass (303-305 K, a body reads 305 K) are the detector's weak spot: over
200 day views (`bench/perception_sim.py`) they are at the target's edge (R 0.88 at P 0.97 on
seeds 500, R 0.93 at P 0.98 on seeds 600), and on these 24 day people the recall is 0.875, so
the day set has its own, lower, floor for people.
Geolocation meets the issue's target from the pose a typical non-RTK drone would report
(`perception.pose_error`); from the exact pose it shows what the image chain alone adds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pymap3d
import pytest
import yaml

from perception.detection import Box, Detection
from perception.geolocate import CameraPose, Intrinsics
from perception.pose_error import PoseErrorModel
from perception.sim_eval import (
    BadFrames,
    DetectedSet,
    SimFrame,
    SimScore,
    TruthObject,
    detect_sim_set,
    geolocation_errors_m,
    parse_frames,
)
from skywatch.eval_sim import render_lighting, scenario_document
from skywatch.layout import default_vehicles, world_document

VIEWS = 30
SEEDS = {"day": 1001, "night": 1002}  #: never used while tuning the detector


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DetectedSet]:
    doc = scenario_document("example")
    sets = {when: detect_sim_set(render_lighting(doc, when == "day", tmp_path_factory.mktemp(when),
                                                 views=VIEWS, seed=seed))
            for when, seed in SEEDS.items()}
    return {**sets, "both": sets["day"] + sets["night"]}


def _class(score: SimScore, label: str) -> tuple[float, float, int]:
    c = next(c for c in score.classes if c.label == label)
    return c.precision, c.recall, c.ground_truth


@pytest.mark.parametrize("when", ["day", "night", "both"])
def test_fires_are_found_and_nothing_else_is_called_fire(
        searched: dict[str, DetectedSet], when: str) -> None:
    precision, recall, seen = _class(searched[when].score(), "fire")
    assert seen >= 10, f"{when}: too few fires in view to score"
    assert recall >= 0.95 and precision >= 0.9, f"{when}: P {precision:.3f} R {recall:.3f}"


def test_people_are_found_at_the_issues_operating_point(
        searched: dict[str, DetectedSet]) -> None:
    precision, recall, seen = _class(searched["both"].score(), "person")
    assert seen >= 40
    assert recall >= 0.9 and precision >= 0.85, f"P {precision:.3f} R {recall:.3f}"
    precision, recall, _ = _class(searched["night"].score(), "person")
    assert recall >= 0.9 and precision >= 0.85, f"night: P {precision:.3f} R {recall:.3f}"


def test_people_by_day_on_warm_grass_stay_above_their_measured_floor(
        searched: dict[str, DetectedSet]) -> None:
    """By day grass reads up to 304.75 K and a person 305 K: one standing on the warmest
    patches has under 1 K of contrast and is missed. Over 200 views: P 0.97, R 0.88."""
    precision, recall, seen = _class(searched["day"].score(), "person")
    assert seen >= 20
    assert recall >= 0.8 and precision >= 0.85, f"day: P {precision:.3f} R {recall:.3f}"


def test_found_objects_are_put_within_metres_of_where_they_are_with_a_drones_pose_error(
        searched: dict[str, DetectedSet]) -> None:
    """Issue 6's target, median <= 2 m and p95 <= 5 m, with GNSS, altitude, pointing and
    time-offset errors of a non-RTK multirotor, 20 draws per frame. Over 2 x 200 views
    (bench/perception_sim.py): people 1.76 m / 4.20 m, fires 1.74 m / 4.20 m, median / p95:
    met, with a quarter of a metre to spare on the median and 0.8 m on the p95."""
    exact = {g.label: g for g in searched["both"].score().geolocation}
    for geo in searched["both"].score(pose_error=PoseErrorModel(seed=1001)).geolocation:
        assert geo.located == exact[geo.label].located >= 20, geo
        assert geo.median_m is not None and geo.median_m <= 2.0, geo
        assert geo.p95_m is not None and geo.p95_m <= 5.0, geo
        # The navigation error, not the image, is what an operator's fix is off by.
        assert geo.median_m >= 1.0 and geo.median_m >= 3 * (exact[geo.label].median_m or 0), geo


def test_from_the_exact_pose_the_image_chain_alone_is_off_by_decimetres(
        searched: dict[str, DetectedSet]) -> None:
    """A person's feet are put within half a metre, a fire's centre within decimetres once
    boxes cut by the frame's edge are left out (over 2 x 200 views: people 0.21 m / 0.61 m,
    fires 0.06 m / 0.17 m, median / p95)."""
    geo = {g.label: g for g in searched["both"].score().geolocation}
    person, fire = geo["person"], geo["fire"]
    assert person.median_m is not None and person.median_m <= 0.5, person
    assert person.p95_m is not None and person.p95_m <= 1.0, person
    assert fire.median_m is not None and fire.median_m <= 0.5, fire
    assert fire.p95_m is not None and fire.p95_m <= 3.0, fire


def test_eval_sim_prints_the_figures_as_json() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", "--sim", "example", "--views", "3",
         "--seed", "5", "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["iou"], report["min_score"]) == (0.3, 0.25)
    assert report["pose_error"] == "typical"
    assert report["pose_error_sigmas"]["horizontal_sigma_m"] == 1.0
    assert [s["lighting"] for s in report["sets"]] == ["day", "night", "all"]
    both = report["sets"][2]
    assert both["images"] == 6 and both["images_per_s"] > 0
    assert {c["label"] for c in both["classes"]} == {"person", "fire"}
    assert {g["label"] for g in both["geolocation"]} == {"person", "fire"}
    assert sum(c["ground_truth"] for c in both["classes"]) >= 3


def test_eval_sim_refuses_an_unknown_scenario_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", "--sim", str(missing), "--views", "2"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert f"--sim: '{missing}' is neither 'example' nor a world file" in run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", str(tmp_path), "--sim", "example"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "give no DATA_DIR" in run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", "--sim", "example", "--pose-error", "rtk"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "--pose-error: 'rtk' is not one of none, typical" in run.stderr
    empty = tmp_path / "empty.yaml"  # a valid world with nothing to look for
    empty.write_text(yaml.safe_dump(world_document(default_vehicles(1, 0), 22.5, 114.0)))
    run = subprocess.run(
        [sys.executable, "-m", "skywatch", "eval", "--sim", str(empty), "--views", "2"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().endswith("error: world.objects: no fire or person to look at")


def test_a_frames_file_missing_a_pose_field_is_refused_naming_it() -> None:
    doc = {"frames": [{"image": "00000.png", "k": [500, 0, 320, 0, 500, 256, 0, 0, 1],
                       "pose": {"lat_deg": 22.5, "lon_deg": 114.0, "alt_amsl_m": 110.0},
                       "ground_below_amsl_m": 10.0, "truth": []}]}
    with pytest.raises(BadFrames, match=r"frames\.json\.frames\[0\]\.pose\.roll_deg: missing"):
        parse_frames(doc, 640, 512)
    doc["frames"][0]["k"] = [500, 0, 320]
    with pytest.raises(BadFrames, match=r"frames\[0\]\.k: expected the 9 numbers"):
        parse_frames(doc, 640, 512)


def test_a_fire_cut_by_the_frames_edge_is_not_placed_one_seen_whole_is() -> None:
    """The rendered sets' fires placed more than a metre off (exact pose) were all cut by the
    frame's edge (9 of 10 such boxes in 200 day views, 1.7-4 m off): the visible part's centre
    is not the fire's. Straight down from 100 m, a fire 20 m north of the point below."""
    k = Intrinsics.from_hfov(640, 512, 50.0)
    lat, lon, _ = pymap3d.ned2geodetic(20.0, 0.0, 0.0, 22.5, 114.0, 10.0)
    frame = SimFrame(image="00000.png", k=k, ground_amsl_m=10.0,
                     pose=CameraPose(lat_deg=22.5, lon_deg=114.0, alt_amsl_m=110.0),
                     truth=(TruthObject(object_id="fire-0", label="fire",
                                        box=Box(x1=300.0, y1=0.0, x2=340.0, y2=30.0),
                                        lat_deg=lat, lon_deg=lon, alt_amsl_m=10.0),))
    cut = Detection(label="fire", score=0.9, box=Box(x1=300.0, y1=0.0, x2=340.0, y2=30.0))
    assert geolocation_errors_m(frame, [cut], "fire") == []
    # the same fire whole, 20 m north: 20 / 100 * f = 137 px above the centre
    v = k.cy_px - 20.0 / 100.0 * k.fy_px
    whole = Detection(label="fire", score=0.9, box=Box(x1=310.0, y1=v - 10, x2=330.0, y2=v + 10))
    frame = replace(frame, truth=(replace(frame.truth[0], box=whole.box),))
    errors = geolocation_errors_m(frame, [whole], "fire")
    assert len(errors) == 1 and errors[0] < 0.05
