"""World objects in the world file: what loads, where it lands, and errors that name the field."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.example_world import example_scene_document
from sim.geo import Origin, geodetic_to_enu
from sim.scene import FlatGround, GridGround
from sim.world import WorldError, load_world, world_from_doc
from skywatch.layout import default_vehicles, world_document

HOME = Origin(lat_deg=22.5431, lon_deg=114.0579, alt_amsl_m=10.0)


def _doc(**extra: Any) -> dict[str, Any]:
    doc = {"version": 1, "home": {"lat_deg": HOME.lat_deg, "lon_deg": HOME.lon_deg,
                                  "alt_amsl_m": HOME.alt_amsl_m},
           "vehicles": [{"name": "uav0", "kind": "multirotor", "lat_deg": HOME.lat_deg,
                         "lon_deg": HOME.lon_deg}]}
    doc.update(extra)
    return doc


def _fire(**fields: Any) -> dict[str, Any]:
    return {"kind": "fire", "lat_deg": 22.5440, "lon_deg": 114.0590, "radius_m": 3.0, **fields}


def test_a_world_without_objects_is_flat_ground_at_home_altitude() -> None:
    world = world_from_doc(_doc())
    assert world.scene is not None
    assert world.scene.ground == FlatGround(ground_amsl_m=10.0)
    assert world.scene.fires == () and world.scene.solids == ()


def test_objects_land_where_their_latitude_and_longitude_say() -> None:
    world = world_from_doc(_doc(objects=[
        _fire(growth_m_per_min=1.5),
        {"kind": "person", "lat_deg": 22.5450, "lon_deg": 114.0579, "pose": "lying"},
        {"kind": "building", "height_m": 12, "polygon_lat_lon_deg": [
            [22.5431, 114.0579], [22.5432, 114.0579], [22.5432, 114.0580]]},
    ]))
    scene = world.scene
    assert scene is not None
    expected = geodetic_to_enu(22.5440, 114.0590, 10.0, HOME)
    fire = scene.fires[0]
    assert math.hypot(fire.east_m - expected.east_m, fire.north_m - expected.north_m) < 0.01
    person = scene.solids[0]
    assert person.pose == "lying" and person.temp_k == pytest.approx(305.0)
    assert person.north_m == pytest.approx(0.0019 * 110_760, rel=0.01)  # ~210 m north
    assert scene.buildings[0].height_m == 12.0


def test_a_fire_grows_at_its_rate_from_when_it_appears() -> None:
    world = world_from_doc(_doc(scenario=[
        {"at_s": 120, "object": _fire(radius_m=2.0, growth_m_per_min=3.0)}]))
    assert world.scene is not None
    (fire,) = world.scene.fires
    assert world.scene.fires_at(119.0) == ()
    assert world.scene.fires_at(120.0) == (fire,)
    assert fire.radius_at_m(120.0 + 600.0) == pytest.approx(2.0 + 30.0)


def test_a_height_grid_is_read_row_by_row_north() -> None:
    world = world_from_doc(_doc(terrain={
        "kind": "grid", "origin_lat_deg": HOME.lat_deg, "origin_lon_deg": HOME.lon_deg,
        "spacing_m": 50, "heights_amsl_m": [[10, 11, 12], [20, 21, 22]]}))
    assert world.scene is not None
    ground = world.scene.ground
    assert isinstance(ground, GridGround)
    assert ground.heights_amsl_m[1] == (20.0, 21.0, 22.0)
    assert (ground.east0_m, ground.north0_m) == (pytest.approx(0.0), pytest.approx(0.0))


@pytest.mark.parametrize(("change", "message"), [
    ({"objects": [_fire(lat_deg=200)]}, "world.objects[0].lat_deg: 200 is outside -90..90"),
    ({"objects": [_fire(radius_m=-2)]}, "world.objects[0].radius_m: -2 is not positive"),
    ({"objects": [_fire(), _fire(temp_k="hot")]},
     "world.objects[1].temp_k: expected a number, got 'hot'"),
    ({"objects": [_fire(growth_m_per_min=-1)]}, "world.objects[0].growth_m_per_min: -1 is "
                                                 "negative"),
    ({"objects": [{"kind": "person", "lat_deg": 1, "lon_deg": 2, "pose": "sitting"}]},
     "world.objects[0].pose: 'sitting' is not one of standing, lying, in_water"),
    ({"objects": [{"kind": "tree", "lat_deg": 1, "lon_deg": 2}]},
     "world.objects[0].kind: 'tree' is not one of"),
    ({"objects": [{"kind": "water", "polygon_lat_lon_deg": [[1, 2], [1, 3]]}]},
     "world.objects[0].polygon_lat_lon_deg: expected a list of at least 3"),
    ({"objects": [{"kind": "road", "line_lat_lon_deg": [[1, 2], [1, 300]]}]},
     "world.objects[0].line_lat_lon_deg[1] longitude: 300 is outside -180..180"),
    ({"scenario": [{"at_s": -5, "object": _fire()}]}, "world.scenario[0].at_s: -5 is negative"),
    ({"terrain": {"kind": "grid", "origin_lat_deg": 1, "origin_lon_deg": 2, "spacing_m": 10,
                  "heights_amsl_m": [[1, 2], [3]]}}, "world.terrain.heights_amsl_m: expected"),
    ({"ambient": {"daytime": "yes"}}, "world.ambient.daytime: expected true or false"),
])
def test_bad_entries_are_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(WorldError) as e:
        world_from_doc(_doc(**change))
    assert message in str(e.value)


def test_the_example_world_loads_from_yaml_with_two_fires_five_people_and_a_reservoir(
        tmp_path: Path) -> None:
    doc = world_document(default_vehicles(4, 1), HOME.lat_deg, HOME.lon_deg)
    doc.update(example_scene_document(HOME.lat_deg, HOME.lon_deg))
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(doc))
    world = load_world(path)
    assert world.scene is not None
    assert len(world.scene.fires) == 2
    assert len([s for s in world.scene.solids if s.kind == "person"]) == 5
    assert len(world.scene.water) == 1
    dock = geodetic_to_enu(world.vehicles[0].start.lat_deg, world.vehicles[0].start.lon_deg,
                           10.0, HOME)
    for fire in world.scene.fires:  # a drone from the first dock sees them within a minute
        assert math.hypot(fire.east_m - dock.east_m, fire.north_m - dock.north_m) < 600.0


def test_the_example_document_is_not_shared_between_calls() -> None:
    a = example_scene_document(HOME.lat_deg, HOME.lon_deg)
    b = copy.deepcopy(a)
    a["objects"][0]["radius_m"] = 99.0
    assert example_scene_document(HOME.lat_deg, HOME.lon_deg) == b
