"""Plan and area validation that reports every problem at once, each with field and reason.

An operator fixing a plan wants the whole list: a polygon that crosses itself *and* an
altitude above the ceiling *and* a leg through a no-fly zone. Nothing here raises; callers
turn the list into an HTTP 422 body or CLI lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from shapely.validation import explain_validity

from mission.energy import EnergyError, VehicleProfile, estimate_flight
from mission.geodesy import Origin, lonlat_arrays_to_en, lonlat_geometry_to_enu
from mission.items import item_position
from mission.plan import Plan


@dataclass(frozen=True, kw_only=True, slots=True)
class Issue:
    field: str  #: "items[3].alt_m"
    reason: str  #: "150 m is above the 120 m ceiling"

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    min_alt_m: float = 2.0  #: above home, for items flown at a height
    max_alt_m: float = 120.0  #: above home
    max_items: int = 1000


def _coord_issues(field: str, lat: float, lon: float) -> list[Issue]:
    out = []
    if not -90.0 <= lat <= 90.0:
        out.append(Issue(field=f"{field}.lat_deg", reason=f"{lat} is outside -90..90"))
    if not -180.0 <= lon <= 180.0:
        out.append(Issue(field=f"{field}.lon_deg", reason=f"{lon} is outside -180..180"))
    return out


def validate_polygon(poly: Polygon, field: str = "area") -> list[Issue]:
    """Problems of a (lon, lat) polygon: coordinates, too few corners, zero area, self-crossing."""
    issues: list[Issue] = []
    rings = [poly.exterior, *poly.interiors]
    for r, ring in enumerate(rings):
        name = field if r == 0 else f"{field}.holes[{r - 1}]"
        for k, (lon, lat) in enumerate(list(ring.coords)[:-1]):
            issues.extend(_coord_issues(f"{name}[{k}]", lat, lon))
        if len({tuple(c) for c in ring.coords}) < 3:
            issues.append(Issue(field=name, reason="needs at least 3 distinct corners"))
    if issues:
        return issues
    if poly.convex_hull.area < 1e-12:  # square degrees: about 0.01 m²
        issues.append(Issue(field=field, reason="has no area (its corners lie on one line)"))
    elif not poly.is_valid:
        why = explain_validity(poly)
        m = re.match(r"(.*?)\[([-\d.e]+) ([-\d.e]+)\]", why)
        if m:
            kind, lon, lat = m.group(1), float(m.group(2)), float(m.group(3))
            text = "crosses itself" if "Self-intersection" in kind else kind.lower()
            issues.append(Issue(field=field, reason=f"{text} at lat {lat:.6f}, lon {lon:.6f}"))
        else:
            issues.append(Issue(field=field, reason=why))
    return issues


def _legs_enu(plan: Plan, origin: Origin) -> list[tuple[int, LineString]]:
    """(index of the item flown to, leg) in ENU metres, from home or the first position."""
    idx = [(k, item_position(i)) for k, i in enumerate(plan.items)]
    pts = [(k, p) for k, p in idx if p is not None]
    if plan.home is not None:
        pts.insert(0, (-1, (plan.home.lat_deg, plan.home.lon_deg)))
    if len(pts) < 2:
        return []
    lat = np.array([p[0] for _, p in pts])
    lon = np.array([p[1] for _, p in pts])
    e, n = lonlat_arrays_to_en(lon, lat, origin)
    return [(pts[j][0], LineString([(e[j - 1], n[j - 1]), (e[j], n[j])]))
            for j in range(1, len(pts))]


def validate_plan(
    plan: Plan,
    limits: Limits | None = None,
    zones: Sequence[Polygon] = (),
    fence: Polygon | None = None,
    vehicle: VehicleProfile | None = None,
) -> list[Issue]:
    """Every problem of `plan`: coordinates, altitudes, legs through `zones` (lon, lat) or the
    plan's own exclusion fences, legs leaving `fence` or the inclusion fences, battery, size."""
    limits = limits or Limits()
    issues: list[Issue] = []
    max_items = min(limits.max_items, vehicle.max_items if vehicle else limits.max_items)
    if len(plan.items) > max_items:
        issues.append(Issue(field="items", reason=f"{len(plan.items)} items; the vehicle takes "
                                                  f"at most {max_items}"))
    if not plan.items:
        issues.append(Issue(field="items", reason="the plan has no items"))
    ceiling = min(limits.max_alt_m, vehicle.max_alt_m if vehicle else limits.max_alt_m)
    for k, item in enumerate(plan.items):
        pos = item_position(item)
        if pos is None:
            continue
        bad = _coord_issues(f"items[{k}]", *pos)
        issues.extend(bad)
        alt = getattr(item, "alt_m", None)
        if alt is not None and getattr(item, "alt_datum", "home") == "home" and item.kind != "land":
            if alt > ceiling:
                issues.append(Issue(field=f"items[{k}].alt_m",
                                    reason=f"{alt:g} m is above the {ceiling:g} m ceiling"))
            elif alt < limits.min_alt_m:
                issues.append(Issue(field=f"items[{k}].alt_m",
                                    reason=f"{alt:g} m is below the {limits.min_alt_m:g} m floor"))
    if any(i.field.endswith(("lat_deg", "lon_deg")) for i in issues):
        return issues  # legs between impossible coordinates mean nothing
    positions = plan.positions()
    if not positions:
        return issues
    origin = Origin(lat_deg=positions[0][0], lon_deg=positions[0][1])
    legs = _legs_enu(plan, origin)
    keep_out = [("zones", j, z) for j, z in enumerate(zones)]
    keep_in: list[tuple[str, Polygon]] = []
    for j, f in enumerate(plan.fence_polygons):
        poly = Polygon([(lon, lat) for lat, lon in f.vertices])
        (keep_in.append((f"fence_polygons[{j}]", poly)) if f.inclusion
         else keep_out.append(("fence_polygons", j, poly)))
    if fence is not None:
        keep_in.append(("fence", fence))
    circles_en = []
    for j, c in enumerate(plan.fence_circles):
        ce, cn = lonlat_arrays_to_en(np.array([c.lon_deg]), np.array([c.lat_deg]), origin)
        disc = shapely.Point(float(ce[0]), float(cn[0])).buffer(c.radius_m, quad_segs=64)
        circles_en.append((f"fence_circles[{j}]", c.inclusion, disc))
    for name, j, zone in keep_out:
        z = lonlat_geometry_to_enu(zone, origin)
        shapely.prepare(z)
        for k, leg in legs:
            if z.intersects(leg):
                inside = leg.intersection(z).length
                where = f"items[{k}]" if k >= 0 else "home"
                issues.append(Issue(field=where, reason=f"the leg to it passes {inside:.0f} m "
                                                       f"through exclusion zone {name}[{j}]"))
    for name, inclusion, disc in circles_en:
        if not inclusion:
            for k, leg in legs:
                if disc.intersects(leg):
                    where = f"items[{k}]" if k >= 0 else "home"
                    issues.append(Issue(field=where, reason=f"the leg to it passes "
                                        f"{leg.intersection(disc).length:.0f} m through "
                                        f"exclusion zone {name}"))
    inclusions = [lonlat_geometry_to_enu(p, origin) for _, p in keep_in]
    inclusions += [d for _, inc, d in circles_en if inc]
    if inclusions:
        allowed = shapely.union_all(inclusions)
        names = ", ".join([n for n, _ in keep_in] + [n for n, inc, _ in circles_en if inc])
        for k, leg in legs:
            if not allowed.buffer(0.01).contains(leg):
                out = leg.difference(allowed).length
                where = f"items[{k}]" if k >= 0 else "home"
                issues.append(Issue(field=where, reason=f"the leg to it leaves the geofence "
                                                       f"({names}) for {out:.0f} m"))
    if vehicle is not None:
        try:
            est = estimate_flight(plan, vehicle)
        except EnergyError as exc:
            issues.append(Issue(field="home", reason=str(exc)))
        else:
            if not est.fits:
                issues.append(Issue(
                    field="battery",
                    reason=f"needs {est.energy_wh:.0f} Wh ({est.flight_time_s / 60:.0f} min); "
                           f"{vehicle.name} has {vehicle.usable_wh:.0f} Wh above its "
                           f"{vehicle.reserve_pct:g} % reserve: split into sorties"))
    return issues


def point_issue(field: str, lat: float, lon: float) -> list[Issue]:
    """Coordinate range problems of a single point (for CLI and API inputs)."""
    return _coord_issues(field, lat, lon)

