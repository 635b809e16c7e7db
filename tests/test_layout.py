"""The default fleet: docks spread over a few km, and sim world and fleet file agree."""

import itertools
import math

from skywatch.layout import default_vehicles, fleet_document, world_document

HOME = (22.5431, 114.0579)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dn = (a[0] - b[0]) * 111_320.0
    de = (a[1] - b[1]) * 111_320.0 * math.cos(math.radians(a[0]))
    return math.hypot(dn, de)


def test_default_fleet_is_the_documented_one() -> None:
    fleet = fleet_document(default_vehicles(4, 1), *HOME, base_port=14540)["vehicles"]
    assert [v["id"] for v in fleet] == ["uav0", "uav1", "uav2", "uav3", "ugv0"]
    assert [v["department"] for v in fleet] == ["fire", "fire", "traffic", "water", "fire"]
    assert "loudspeaker" in fleet[0]["capabilities"] and "drop" in fleet[1]["capabilities"]
    assert "zoom" in fleet[2]["capabilities"] and "gas" in fleet[4]["capabilities"]
    assert [v["url"] for v in fleet] == [f"udpin://0.0.0.0:{14540 + i}" for i in range(5)]


def test_docks_are_kilometres_apart_and_match_the_world() -> None:
    for drones, rovers in ((4, 1), (12, 3)):
        vehicles = default_vehicles(drones, rovers)
        assert len(vehicles) == drones + rovers
        assert len({v.id for v in vehicles}) == len(vehicles)
        fleet = fleet_document(vehicles, *HOME, base_port=14540)["vehicles"]
        world = world_document(vehicles, *HOME)["vehicles"]
        docks = [(f["dock"]["lat_deg"], f["dock"]["lon_deg"]) for f in fleet]
        assert docks == [(w["lat_deg"], w["lon_deg"]) for w in world]
        assert [w["kind"] for w in world] == ["multirotor"] * drones + ["rover"] * rovers
        gaps = [_distance_m(a, b) for a, b in itertools.combinations(docks, 2)]
        assert min(gaps) > 300, "docks too close for 'nearest' to mean anything"
        assert max(_distance_m(d, HOME) for d in docks) < 5_000
