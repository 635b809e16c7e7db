"""Incidents as reported: type, GeoJSON geometry, priority, and what each type needs from the fleet.

Pure: `check_incident` turns a report (plain values, as they arrive over HTTP) into a validated
`IncidentReport` or the complete list of problems, each naming the field and the reason, so a
119 operator fixes everything in one go and nothing half-valid is ever stored. Geometry
checks reuse `mission.validation` (coordinate ranges, self-crossing polygons). How large an
area may be searched or surveyed follows from the aircraft (`Coverage`), not from a constant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shapely.geometry import Point, Polygon

from mission.geodesy import latlon_to_en, lonlat_geometry_to_enu, origin_of, polygon_area_m2
from mission.validation import Issue, point_issue, validate_polygon


class IncidentType(StrEnum):
    FIRE = "fire"
    TRAFFIC_ACCIDENT = "traffic_accident"
    PERSON_SEARCH = "person_search"
    RESERVOIR_PATROL = "reservoir_patrol"
    SURVEY_3D = "survey_3d"
    DELIVERY = "delivery"
    BROADCAST = "broadcast"


DEPARTMENTS = ("fire", "traffic", "water")


@dataclass(frozen=True, kw_only=True, slots=True)
class TypeNeeds:
    """What an incident type asks of the fleet: geometry kinds, sensors, time on scene."""

    geometry_kinds: frozenset[str]  #: GeoJSON types accepted
    capabilities: frozenset[str]
    on_station_s: float  #: planned working time on scene (battery feasibility)
    department: str | None  #: owning department; None: the reporter's
    #: Per vehicle; larger areas are refused. Person search and survey 3D are limited by what
    #: the aircraft can fly instead (`Coverage`) when the caller knows the fleet.
    max_area_m2: float = 4_000_000.0


NEEDS: Mapping[IncidentType, TypeNeeds] = {
    IncidentType.FIRE: TypeNeeds(geometry_kinds=frozenset({"Point", "Polygon"}),
                                 capabilities=frozenset({"thermal"}), on_station_s=300.0,
                                 department="fire"),
    IncidentType.TRAFFIC_ACCIDENT: TypeNeeds(geometry_kinds=frozenset({"Point"}),
                                             capabilities=frozenset({"rgb"}), on_station_s=240.0,
                                             department="traffic"),
    IncidentType.PERSON_SEARCH: TypeNeeds(geometry_kinds=frozenset({"Polygon"}),
                                          capabilities=frozenset({"thermal"}),
                                          on_station_s=600.0, department="fire"),
    IncidentType.RESERVOIR_PATROL: TypeNeeds(geometry_kinds=frozenset({"Polygon"}),
                                             capabilities=frozenset({"rgb"}), on_station_s=600.0,
                                             department="water"),
    IncidentType.SURVEY_3D: TypeNeeds(geometry_kinds=frozenset({"Polygon"}),
                                      capabilities=frozenset({"rgb"}), on_station_s=600.0,
                                      department=None),
    IncidentType.DELIVERY: TypeNeeds(geometry_kinds=frozenset({"Point"}),
                                     capabilities=frozenset({"drop"}), on_station_s=30.0,
                                     department=None),
    IncidentType.BROADCAST: TypeNeeds(geometry_kinds=frozenset({"Point"}),
                                      capabilities=frozenset({"loudspeaker"}),
                                      on_station_s=180.0, department=None),
}

MAX_VEHICLES = 10
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True, kw_only=True, slots=True)
class DockSite:
    """Where aircraft able to do the work take off from (the fleet file's docks)."""

    lat_deg: float
    lon_deg: float
    capabilities: frozenset[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Coverage:
    """What one aircraft can sweep in one flight, so that an area the drones sent cannot cover
    is refused with the reason instead of being flown half.

    Built by the supervisor from its multirotor profile and the lane spacing its templates
    plan with (`Supervisor.coverage`). The flight there and back is counted from the nearest
    dock of an aircraft carrying the sensors the type needs: docks are in the fleet file, so
    the check stays pure and fast. Where each vehicle is *now* (already airborne, a nearer dock
    busy) is the fleet's live state and is left out; the dispatcher's battery check sees it.
    """

    cruise_speed_mps: float
    endurance_s: float  #: on a full battery at cruise
    reserve_pct: float  #: never planned below this
    #: Person search: lanes this far apart, the area split between the drones.
    search_lane_m: float
    #: Survey 3D: lanes this far apart; the template has every drone photograph the whole
    #: area (with several, one grid each way), a lone drone both grids.
    survey_lane_m: float
    docks: tuple[DockSite, ...] = ()

    def usable_s(self) -> float:
        """Flight time before the reserve is reached."""
        return self.endurance_s * (1.0 - self.reserve_pct / 100.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class AreaLimit:
    """The largest area `vehicles` drones can sweep for an incident type, with its terms."""

    area_m2: float
    lane_m: float
    sweep_s: float  #: usable flight time left for the sweep after the transit
    transit_m: float  #: one way, from the nearest suitable dock
    passes: int  #: times each drone flies over the area (a double grid: 2)
    split: bool  #: the area is shared out between the drones


def area_limit(kind: IncidentType, geometry: Polygon, vehicles: int,
               coverage: Coverage) -> AreaLimit | None:
    """What `vehicles` drones can sweep of a `kind` area in one flight; None for types whose
    limit does not come from the aircraft (`TypeNeeds.max_area_m2` applies)."""
    if kind is IncidentType.PERSON_SEARCH:
        lane_m, passes, split = coverage.search_lane_m, 1, True
    elif kind is IncidentType.SURVEY_3D:
        lane_m, passes, split = coverage.survey_lane_m, (2 if vehicles == 1 else 1), False
    else:
        return None
    transit_m = _nearest_dock_m(geometry, coverage.docks, NEEDS[kind].capabilities)
    sweep_s = max(0.0, coverage.usable_s() - 2.0 * transit_m / coverage.cruise_speed_mps)
    per_drone_m2 = sweep_s * coverage.cruise_speed_mps * lane_m / passes
    return AreaLimit(area_m2=per_drone_m2 * (vehicles if split else 1), lane_m=lane_m,
                     sweep_s=sweep_s, transit_m=transit_m, passes=passes, split=split)


def _nearest_dock_m(area: Polygon, docks: tuple[DockSite, ...], needs: frozenset[str]) -> float:
    """Distance from the nearest dock whose aircraft carry `needs` to the area (0 inside it,
    or when no dock is known)."""
    sites = [d for d in docks if needs <= d.capabilities]
    if not sites:
        return 0.0
    origin = origin_of(area)
    local = lonlat_geometry_to_enu(area, origin)
    return min(float(local.distance(Point(latlon_to_en(d.lat_deg, d.lon_deg, origin))))
               for d in sites)


def _too_large(area_m2: float, vehicles: int, limit: AreaLimit, coverage: Coverage) -> str:
    verb = "search" if limit.split else "survey"
    drones = f"{vehicles} drone{'s' if vehicles > 1 else ''}"
    if limit.sweep_s <= 0.0:
        return (f"the nearest dock able to {verb} it is {limit.transit_m / 1000:.1f} km away: "
                f"too far to {verb} and come back in "
                f"{coverage.usable_s() / 60:.0f} min of usable flight")
    terms = [f"{limit.lane_m:.0f} m lanes", f"{coverage.cruise_speed_mps:.0f} m/s",
             f"{limit.sweep_s / 60:.0f} min"]
    if limit.transit_m > 0.0:
        terms[-1] += f" after {limit.transit_m / 1000:.1f} km from the nearest dock and back"
    if not limit.split:
        terms.append("a double grid" if limit.passes == 2 else "each drone over the whole area")
    return (f"area {area_m2 / 1e6:.2f} km² is more than {drones} can {verb} in one flight "
            f"(about {limit.area_m2 / 1e6:.2f} km² at {', '.join(terms)})")


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentReport:
    """A validated report, ready to be stored and dispatched."""

    type: IncidentType
    geometry: dict[str, Any]  #: GeoJSON, [lon, lat] order
    priority: int  #: 1 (most urgent) ... 5
    department: str
    note: str = ""
    reporter: str = ""
    vehicles: int = 1  #: vehicles to send (person search splits its area between them)

    @property
    def needs(self) -> TypeNeeds:
        return NEEDS[self.type]

    def anchor(self) -> tuple[float, float]:
        """(lat_deg, lon_deg) vehicles fly to: the point, or the area's centroid."""
        shape = geometry_shape(self.geometry)
        c = shape.centroid
        return float(c.y), float(c.x)


class IncidentRejected(ValueError):
    """A report that cannot be accepted; `issues` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def default_department(kind: IncidentType, reporter_department: str | None) -> str:
    """The type's owning department, else the reporter's, else fire (the 119 default)."""
    owner = NEEDS[kind].department
    if owner is not None:
        return owner
    return reporter_department if reporter_department in DEPARTMENTS else "fire"


def geometry_shape(geometry: Mapping[str, Any]) -> Point | Polygon:
    """A checked GeoJSON Point or Polygon as a shapely shape, (lon, lat)."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return Point(float(coords[0]), float(coords[1]))
    rings = [[(float(p[0]), float(p[1])) for p in ring] for ring in coords]
    return Polygon(rings[0], rings[1:])


def check_incident(
    *,
    type: str,
    geometry: Any,
    priority: Any = 3,
    note: str = "",
    department: str | None = None,
    reporter: str = "",
    reporter_department: str | None = None,
    vehicles: Any = None,
    coverage: Coverage | None = None,
) -> IncidentReport:
    """The report, validated; raises `IncidentRejected` listing every problem at once.

    `coverage`: what the fleet's aircraft can fly, which bounds a person search's or a 3D
    survey's area; None where the fleet is not known (plan tools, template tests): then only
    the static `TypeNeeds.max_area_m2` per vehicle applies."""
    issues: list[Issue] = []
    kind: IncidentType | None = None
    try:
        kind = IncidentType(type)
    except ValueError:
        allowed = ", ".join(t.value for t in IncidentType)
        issues.append(Issue(field="type", reason=f"unknown type {type!r}; known: {allowed}"))
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5:
        issues.append(Issue(field="priority",
                            reason=f"{priority!r} is outside 1 (most urgent) .. 5"))
    if len(note) > MAX_NOTE_CHARS:
        issues.append(Issue(field="note", reason=f"longer than {MAX_NOTE_CHARS} characters"))
    if department is not None and department not in DEPARTMENTS:
        issues.append(Issue(field="department", reason=f"unknown department {department!r}; "
                                                       f"known: {', '.join(DEPARTMENTS)}"))
    count = 1 if vehicles is None else vehicles
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VEHICLES:
        issues.append(Issue(field="vehicles", reason=f"{vehicles!r} is outside 1..{MAX_VEHICLES}"))
        count = 1
    shape_issues = _geometry_issues(geometry)
    issues.extend(shape_issues)
    if kind is not None and not shape_issues:
        needs = NEEDS[kind]
        if geometry["type"] not in needs.geometry_kinds:
            kinds = " or ".join(sorted(needs.geometry_kinds))
            issues.append(Issue(field="geometry.type",
                                reason=f"a {kind.value} needs a {kinds}, not a {geometry['type']}"))
        elif geometry["type"] == "Polygon":
            issues.extend(_area_issues(kind, geometry_shape(geometry), count,  # type: ignore[arg-type]
                                       coverage))
    if issues or kind is None:
        raise IncidentRejected(issues)
    return IncidentReport(type=kind, geometry=_normalised(geometry), priority=priority,
                          department=department or default_department(kind, reporter_department),
                          note=note, reporter=reporter, vehicles=count)


def _area_issues(kind: IncidentType, area: Polygon, vehicles: int,
                 coverage: Coverage | None) -> list[Issue]:
    area_m2 = polygon_area_m2(area)
    limit = None if coverage is None else area_limit(kind, area, vehicles, coverage)
    if limit is not None and coverage is not None:
        if area_m2 <= limit.area_m2:
            return []
        return [Issue(field="geometry", reason=_too_large(area_m2, vehicles, limit, coverage))]
    static_m2 = NEEDS[kind].max_area_m2 * vehicles
    if area_m2 <= static_m2:
        return []
    return [Issue(field="geometry",
                  reason=f"area {area_m2 / 1e6:.2f} km² is more than {vehicles} vehicle(s) can "
                         f"cover ({static_m2 / 1e6:.2f} km²)")]


def _geometry_issues(geometry: Any) -> list[Issue]:
    if not isinstance(geometry, Mapping):
        return [Issue(field="geometry", reason="must be a GeoJSON object")]
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Point":
        if not _is_position(coords):
            return [Issue(field="geometry.coordinates", reason="a Point needs [lon, lat]")]
        return _position_issues("geometry.coordinates", coords)
    if kind == "Polygon":
        if (not isinstance(coords, list) or not coords
                or not all(isinstance(r, list) and all(_is_position(p) for p in r)
                           for r in coords)):
            return [Issue(field="geometry.coordinates",
                          reason="a Polygon needs a list of rings of [lon, lat] positions")]
        issues: list[Issue] = []
        for r, ring in enumerate(coords):
            for k, p in enumerate(ring):
                issues.extend(_position_issues(f"geometry.coordinates[{r}][{k}]", p))
            if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
                issues.append(Issue(field=f"geometry.coordinates[{r}]",
                                    reason="a ring needs 4 or more positions, first equal to last"))
        if issues:
            return issues
        return [Issue(field=i.field.replace("area", "geometry", 1), reason=i.reason)
                for i in validate_polygon(geometry_shape(geometry), field="area")]  # type: ignore[arg-type]
    return [Issue(field="geometry.type", reason=f"{kind!r} is not supported; use Point or Polygon")]


def _is_position(p: Any) -> bool:
    return (isinstance(p, list | tuple) and len(p) in (2, 3)
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p))


def _position_issues(field: str, p: list[float]) -> list[Issue]:
    lon, lat = float(p[0]), float(p[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return [Issue(field=field, reason="coordinates must be finite numbers")]
    return [Issue(field=f"{field}[{1 if i.field.endswith('lat_deg') else 0}]",
                  reason=i.reason.replace(" is outside", " (latitude) is outside", 1)
                  if i.field.endswith("lat_deg")
                  else i.reason.replace(" is outside", " (longitude) is outside", 1))
            for i in point_issue("p", lat, lon)]


def _normalised(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """Only the GeoJSON members we use, as plain lists (safe to store as JSON)."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return {"type": "Point", "coordinates": [float(coords[0]), float(coords[1])]}
    return {"type": "Polygon",
            "coordinates": [[[float(p[0]), float(p[1])] for p in ring] for ring in coords]}
