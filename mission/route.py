"""Transit on the globe: from A to B around exclusion zones at an altitude inside the limits."""

from __future__ import annotations

from collections.abc import Sequence

from shapely.geometry import Polygon

from mission.geodesy import Origin, en_to_latlon_list, latlon_to_en, lonlat_geometry_to_enu
from mission.items import MissionItem, Waypoint
from mission.plan import Plan
from mission.transit import TransitError, build_zone_graph, path_length_m, route_through
from mission.validation import Limits


def plan_transit(points: Sequence[tuple[float, float]], *, alt_m: float,
                 zones: Sequence[Polygon] = (), clearance_m: float = 10.0,
                 limits: Limits | None = None) -> tuple[Plan, float]:
    """Waypoints through `points` (lat_deg, lon_deg) that bend around `zones` (lon, lat);
    returns the plan and its length in metres. Raises `TransitError` naming the field."""
    limits = limits or Limits()
    if len(points) < 2:
        raise TransitError("points: give a start and a goal")
    if not limits.min_alt_m <= alt_m <= limits.max_alt_m:
        raise TransitError(f"alt_m: {alt_m:g} m is outside the {limits.min_alt_m:g}.."
                           f"{limits.max_alt_m:g} m limits")
    origin = Origin(lat_deg=points[0][0], lon_deg=points[0][1])
    local = [latlon_to_en(la, lo, origin) for la, lo in points]
    graph = build_zone_graph([lonlat_geometry_to_enu(z, origin) for z in zones], clearance_m)
    path = route_through(graph, local)
    items: list[MissionItem] = [Waypoint(lat_deg=la, lon_deg=lo, alt_m=alt_m)
                                for la, lo in en_to_latlon_list(path, origin)[1:]]
    return Plan(items=tuple(items)), path_length_m(path)
