"""Simulated RGB and thermal cameras: where objects land in the image, how big and how hot they
are, and which objects the ground truth lists."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from perception.geolocate import CameraPose as GeoPose
from perception.geolocate import FlatTerrain, pixel_to_ground
from perception.geolocate import Intrinsics as GeoIntrinsics
from sim.camera import RGB_INTRINSICS, THERMAL_INTRINSICS, CameraPose, Intrinsics
from sim.geo import Enu, Origin, enu_to_geodetic
from sim.ground_map import GroundMap
from sim.render import Frame, Renderer, TruthObject
from sim.scene import Scene, scene_from_doc
from sim.world import WorldError, world_from_doc

HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)
GROUND_AMSL_M = 10.0


def _at(east_m: float, north_m: float) -> dict[str, float]:
    p = enu_to_geodetic(Enu(east_m=east_m, north_m=north_m, up_m=0.0), HOME)
    return {"lat_deg": p.lat_deg, "lon_deg": p.lon_deg}


def _square(east_m: float, north_m: float, half_m: float) -> list[list[float]]:
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    return [[(q := _at(east_m + sx * half_m, north_m + sy * half_m))["lat_deg"], q["lon_deg"]]
            for sx, sy in corners]


def _scene(*objects: dict[str, Any], terrain: dict[str, Any] | None = None,
           daytime: bool = True) -> Scene:
    doc = {"objects": list(objects), "ambient": {"daytime": daytime, "air_temp_k": 298.0},
           "terrain": terrain or {"kind": "flat", "ground_amsl_m": GROUND_AMSL_M}}
    return scene_from_doc(doc, HOME)


def _render(scene: Scene, modality: str, pose: CameraPose, t_s: float = 0.0,
            k: Intrinsics | None = None, **kw: float) -> Frame:
    k = k or (THERMAL_INTRINSICS if modality == "thermal" else RGB_INTRINSICS)
    return Renderer(scene, GroundMap(scene), k, modality, **kw).render(pose, t_s)  # type: ignore[arg-type]


def _one(frame: Frame, label: str) -> TruthObject:
    found = [t for t in frame.truth if t.label == label]
    assert len(found) == 1, [t.object_id for t in frame.truth]
    return found[0]


def _centre(t: TruthObject) -> tuple[float, float]:
    return (t.box[0] + t.box[2]) / 2, (t.box[1] + t.box[3]) / 2


def _kelvin(frame: Frame, box: tuple[int, int, int, int]) -> np.ndarray:
    x1, y1, x2, y2 = box
    return frame.image[y1:y2, x1:x2].astype(float) / 100.0


NADIR_100M = CameraPose(east_m=0.0, north_m=0.0, alt_amsl_m=GROUND_AMSL_M + 100.0)


@pytest.mark.parametrize("modality", ["thermal", "rgb"])
def test_nadir_person_lands_on_the_pinhole_pixel_with_the_size_ground_sampling_predicts(
        modality: str) -> None:
    scene = _scene({"kind": "person", "pose": "lying", "heading_deg": 90.0, **_at(20.0, 10.0)})
    frame = _render(scene, modality, NADIR_100M)
    k = frame.intrinsics
    person = _one(frame, "person")
    # Straight down with the nose north: east is image right, north is image up.
    top_m = 100.0 - 0.3  # the top of a lying person, 0.3 m tall
    u_pred = k.cx_px + k.fx_px * 20.0 / 100.0
    v_pred = k.cy_px - k.fy_px * 10.0 / 100.0
    u, v = _centre(person)
    assert abs(u - u_pred) <= 2.0 and abs(v - v_pred) <= 2.0
    # 1.75 m long east-west, 0.5 m wide: the ground sample distance at 99.7 m sets the size.
    gsd_m = top_m / k.fx_px
    width_px, height_px = person.box[2] - person.box[0], person.box[3] - person.box[1]
    assert abs(width_px - 1.75 / gsd_m) <= 2.0
    assert abs(height_px - 0.5 / gsd_m) <= 2.0
    expected = scene.lat_lon_deg(20.0, 10.0)
    assert (person.lat_deg, person.lon_deg) == pytest.approx(expected, abs=1e-9)
    assert person.range_m == pytest.approx(math.hypot(100.0, math.hypot(20.0, 10.0)), abs=0.01)


def test_a_car_at_100_m_is_as_long_in_pixels_as_its_4_5_m_over_the_ground_sample_distance(
) -> None:
    scene = _scene({"kind": "car", "heading_deg": 90.0, **_at(-15.0, -25.0)})
    frame = _render(scene, "thermal", NADIR_100M)
    car = _one(frame, "car")
    k = frame.intrinsics
    # Its roof (1.5 m up) is nearest the camera: 4.5 m over 98.5 m, about 31 px at f = 686 px.
    assert abs((car.box[2] - car.box[0]) - 4.5 * k.fx_px / 98.5) <= 2.0
    # 25 m south of nadir the camera also sees the car's north side: the box runs from that
    # side's foot (24.1 m south, on the ground) to the roof's south edge (25.9 m, 98.5 m away).
    depth_px = k.fy_px * (25.9 / 98.5 - 24.1 / 100.0)
    assert abs((car.box[3] - car.box[1]) - depth_px) <= 2.0
    u, v = _centre(car)
    assert abs(u - (k.cx_px - k.fx_px * 15.0 / 99.25)) <= 2.0
    assert abs(v - (k.cy_px + k.fy_px * 25.0 / 99.25)) <= 2.0


def test_a_fire_reads_hotter_than_500_k_and_a_person_warmer_than_the_grass_around_them() -> None:
    scene = _scene({"kind": "fire", "radius_m": 3.0, "temp_k": 850.0, **_at(0.0, 0.0)},
                   {"kind": "person", "pose": "lying", **_at(30.0, 0.0)})
    frame = _render(scene, "thermal", NADIR_100M)
    assert frame.image.dtype == np.uint16
    fire = _one(frame, "fire")
    assert fire.temp_k == 850.0
    assert _kelvin(frame, fire.box).max() > 500.0
    # The core of a fire 3 m across is hot over most of its area, not in a single pixel.
    assert np.median(_kelvin(frame, fire.box)) > 500.0
    person = _one(frame, "person")
    x1, y1, x2, y2 = person.box
    body = _kelvin(frame, person.box).max()
    around = _kelvin(frame, (x1 - 20, y1 - 20, x2 + 20, y1 - 5))
    assert 302.0 < body < 306.0  # 305 K skin and clothes, softened by the optics' blur
    assert body - np.median(around) >= 2.0


def test_by_day_water_is_cooler_than_grass_and_at_night_warmer() -> None:
    water = {"kind": "water", "polygon_lat_lon_deg": _square(-30.0, 0.0, 20.0)}
    readings = {}
    for daytime in (True, False):
        frame = _render(_scene(water, daytime=daytime), "thermal", NADIR_100M)
        k = frame.intrinsics
        lake_u = int(k.cx_px - k.fx_px * 30.0 / 100.0)
        grass_u = int(k.cx_px + k.fx_px * 30.0 / 100.0)
        row = int(k.cy_px)
        readings[daytime] = (float(np.median(_kelvin(frame, (lake_u - 20, row - 20, lake_u + 20,
                                                             row + 20)))),
                             float(np.median(_kelvin(frame, (grass_u - 20, row - 20,
                                                             grass_u + 20, row + 20)))))
    day_water, day_grass = readings[True]
    night_water, night_grass = readings[False]
    assert day_grass - day_water >= 3.0
    assert night_water - night_grass >= 3.0


def test_thermal_frames_carry_sensor_noise_of_a_few_hundredths_of_a_kelvin() -> None:
    scene = _scene({"kind": "water", "polygon_lat_lon_deg": _square(0.0, 0.0, 200.0)})
    renderer = Renderer(scene, GroundMap(scene), THERMAL_INTRINSICS, "thermal")
    a = renderer.render(NADIR_100M, 0.0).image.astype(float)
    b = renderer.render(NADIR_100M, 0.0).image.astype(float)
    diff_k = (a - b) / 100.0
    # Two frames of the same view differ only by noise: 0.06 K per frame, blurred, then x sqrt 2.
    assert 0.01 < float(diff_k.std()) < 0.2


def test_rgb_fire_is_orange_to_yellow_with_a_smoke_plume_drifting_downwind() -> None:
    scene = _scene({"kind": "fire", "radius_m": 3.0, "smoke": True, **_at(0.0, 0.0)})
    pose = CameraPose(east_m=0.0, north_m=-120.0, alt_amsl_m=GROUND_AMSL_M + 60.0,
                      gimbal_pitch_deg=-30.0)
    frame = _render(scene, "rgb", pose, wind_east_mps=4.0)
    fire = _one(frame, "fire")
    x1, y1, x2, y2 = fire.box
    px = frame.image[y1:y2, x1:x2].reshape(-1, 3).astype(int)
    r, g, b = np.median(px, axis=0)
    assert r > 200 and r > g > b and b < 120
    smoke = _one(frame, "smoke")
    assert smoke.box[1] < fire.box[1]  # rises above the fire in the image
    assert _centre(smoke)[0] > _centre(fire)[0] + 10  # drifts east: to the right
    # Long-wave infrared sees through smoke: the thermal truth has the fire and no smoke.
    thermal = _render(scene, "thermal", pose, wind_east_mps=4.0)
    assert [t.label for t in thermal.truth] == ["fire"]


def test_a_growing_fire_covers_more_pixels_after_ten_minutes() -> None:
    scene = _scene({"kind": "fire", "radius_m": 2.0, "growth_m_per_min": 0.5, **_at(0.0, 0.0)})
    first = _one(_render(scene, "thermal", NADIR_100M, t_s=0.0), "fire")
    later = _one(_render(scene, "thermal", NADIR_100M, t_s=600.0), "fire")
    k = THERMAL_INTRINSICS
    assert abs((first.box[2] - first.box[0]) - 4.0 * k.fx_px / 100.0) <= 2.0
    assert abs((later.box[2] - later.box[0]) - 14.0 * k.fx_px / 100.0) <= 2.0  # 7 m radius


def test_objects_outside_the_view_or_under_a_roof_are_not_in_the_truth() -> None:
    scene = _scene(
        {"kind": "person", **_at(5.0, 5.0)},
        {"kind": "person", **_at(400.0, 0.0)},  # 400 m east: far outside a 93 m wide view
        {"kind": "car", **_at(0.0, -500.0)},  # behind the camera looking north
        {"kind": "person", **_at(-20.0, 20.0)},  # inside the building below
        {"kind": "building", "height_m": 8.0, "polygon_lat_lon_deg": _square(-20.0, 20.0, 6.0)},
    )
    frame = _render(scene, "thermal", NADIR_100M)
    assert [t.object_id for t in frame.truth] == ["person-0"]
    oblique = CameraPose(east_m=0.0, north_m=-100.0, alt_amsl_m=GROUND_AMSL_M + 50.0,
                         gimbal_pitch_deg=-20.0)
    seen = {t.object_id for t in _render(scene, "rgb", oblique).truth}
    assert "car-0" not in seen and "person-1" not in seen and "person-0" in seen


def test_a_person_on_a_hill_is_where_the_camera_height_above_the_hill_puts_them() -> None:
    # A 60 m hill: the camera at 110 m AMSL is only 50 m above it, so offsets double in pixels.
    grid = {"kind": "grid", **{f"origin_{k}": v for k, v in _at(-500.0, -500.0).items()},
            "spacing_m": 100.0, "heights_amsl_m": [[60.0] * 11 for _ in range(11)]}
    scene = _scene({"kind": "person", "pose": "lying", "heading_deg": 90.0, **_at(10.0, 0.0)},
                   terrain=grid)
    frame = _render(scene, "thermal", NADIR_100M)
    person = _one(frame, "person")
    k = frame.intrinsics
    assert abs(_centre(person)[0] - (k.cx_px + k.fx_px * 10.0 / 50.0)) <= 2.0
    assert person.alt_amsl_m == pytest.approx(60.0)


@pytest.mark.parametrize(("yaw_deg", "pitch_deg", "roll_deg", "gimbal_pitch_deg",
                          "gimbal_yaw_deg"),
                         [(30.0, 0.0, 0.0, -45.0, 0.0), (200.0, 5.0, -4.0, -60.0, 0.0),
                          (310.0, -3.0, 6.0, -90.0, 0.0), (120.0, -20.0, 3.0, -50.0, -70.0)])
def test_perception_geolocates_a_rendered_object_back_to_where_it_is(
        yaw_deg: float, pitch_deg: float, roll_deg: float, gimbal_pitch_deg: float,
        gimbal_yaw_deg: float) -> None:
    """The renderer and `perception.geolocate` share one camera convention (a stabilised
    gimbal: the airframe's tilt does not move the view): the truth box's centre, put through
    the pixel-to-ground model, lands on the object."""
    pose = CameraPose(east_m=0.0, north_m=0.0, alt_amsl_m=GROUND_AMSL_M + 80.0, yaw_deg=yaw_deg,
                      pitch_deg=pitch_deg, roll_deg=roll_deg, gimbal_pitch_deg=gimbal_pitch_deg,
                      gimbal_yaw_deg=gimbal_yaw_deg)
    k = THERMAL_INTRINSICS
    # Put the debris where the image centre looks, 15 px right of it.
    geo_k = GeoIntrinsics(fx_px=k.fx_px, fy_px=k.fy_px, cx_px=k.cx_px, cy_px=k.cy_px,
                          width_px=k.width_px, height_px=k.height_px)
    geo_pose = GeoPose(lat_deg=HOME.lat_deg, lon_deg=HOME.lon_deg, alt_amsl_m=pose.alt_amsl_m,
                       roll_deg=roll_deg, pitch_deg=pitch_deg, yaw_deg=yaw_deg,
                       gimbal_pitch_deg=gimbal_pitch_deg, gimbal_yaw_deg=gimbal_yaw_deg)
    aim = pixel_to_ground(k.cx_px + 15.0, k.cy_px, geo_pose, geo_k,
                          FlatTerrain(ground_amsl_m=GROUND_AMSL_M))
    assert aim is not None
    scene = _scene({"kind": "debris", **_at(aim.east_m, aim.north_m)})
    debris = _one(_render(scene, "thermal", pose), "debris")
    u, v = _centre(debris)
    assert abs(u - (k.cx_px + 15.0)) <= 2.0 and abs(v - k.cy_px) <= 2.0
    fix = pixel_to_ground(u, v, geo_pose, geo_k, FlatTerrain(ground_amsl_m=GROUND_AMSL_M))
    assert fix is not None
    err_m = math.hypot(fix.east_m - aim.east_m, fix.north_m - aim.north_m)
    assert err_m < 0.5


def _world_doc(**extra: Any) -> dict[str, Any]:
    return {"version": 1, "home": {"lat_deg": HOME.lat_deg, "lon_deg": HOME.lon_deg},
            "vehicles": [], **extra}


def test_a_world_can_fit_a_narrower_thermal_lens_and_people_grow_in_the_image() -> None:
    world = world_from_doc(_world_doc(cameras={"thermal": {"hfov_deg": 25}}))
    k = world.cameras.thermal
    assert (k.width_px, k.height_px) == (640, 512)
    assert k.fx_px == pytest.approx(320 / math.tan(math.radians(12.5)), abs=0.01)  # 1443 px
    assert world.cameras.rgb == RGB_INTRINSICS  # untouched
    assert world_from_doc(_world_doc()).cameras.thermal == THERMAL_INTRINSICS
    scene = _scene({"kind": "person", "pose": "lying", "heading_deg": 90.0, **_at(5.0, 0.0)})
    wide = _one(_render(scene, "thermal", NADIR_100M), "person")
    narrow = _one(_render(scene, "thermal", NADIR_100M, k=k), "person")
    # 1.75 m over 99.7 m: 12 px behind the 50 degree lens, 25 px behind the 25 degree one
    assert abs((narrow.box[2] - narrow.box[0]) - 1.75 * k.fx_px / 99.7) <= 2.0
    assert (narrow.box[2] - narrow.box[0]) >= 2 * (wide.box[2] - wide.box[0]) - 2


@pytest.mark.parametrize(("cameras", "message"), [
    ({"thermal": {"hfov_deg": 0}}, "world.cameras.thermal.hfov_deg: 0 is outside 1..150"),
    ({"rgb": {"width_px": -5}}, "world.cameras.rgb.width_px: -5 is not a whole number"),
    ({"rgb": {"height_px": 360.5}}, "world.cameras.rgb.height_px: 360.5 is not a whole"),
    ({"infrared": {}}, "world.cameras: 'infrared' is not rgb or thermal"),
    ({"thermal": "flir"}, "world.cameras.thermal: expected a mapping"),
])
def test_bad_camera_settings_are_refused_naming_the_field(cameras: Any, message: str) -> None:
    with pytest.raises(WorldError) as e:
        world_from_doc(_world_doc(cameras=cameras))
    assert message in str(e.value)


def test_an_object_a_scenario_adds_appears_in_frames_from_its_time_on() -> None:
    doc = {"objects": [{"kind": "person", "pose": "lying", **_at(10.0, 0.0)}],
           "scenario": [{"at_s": 120, "object": {"kind": "fire", "radius_m": 3.0,
                                                  **_at(-10.0, 0.0)}}]}
    scene = scene_from_doc(doc, HOME)
    renderer = Renderer(scene, GroundMap(scene), THERMAL_INTRINSICS, "thermal")
    before = renderer.render(NADIR_100M, 119.0)
    after = renderer.render(NADIR_100M, 121.0)
    assert [t.label for t in before.truth] == ["person"]
    assert sorted(t.label for t in after.truth) == ["fire", "person"]
    assert before.image.max() / 100.0 < 320.0 < 500.0 < after.image.max() / 100.0
