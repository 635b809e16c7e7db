"""Planning speed: prints and saves figures to bench/results/planning.json.

- a 10 km² concave survey area with three holes, planned end to end on WGS84 with the default
  camera at 60 m (target < 1 s),
- a 100-point transit around 50 exclusion zones (target < 0.5 s),
- the same 10 km² area split between 8 drones, each share planned (target < 2 s).
Each figure is the median of several runs after one warm-up.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon, box

from mission.area_survey import SurveyRequest, plan_survey
from mission.geodesy import Origin, en_arrays_to_lonlat, lonlat_geometry_to_enu
from mission.route import plan_transit
from mission.split import split_area
from mission.survey import SweepSettings

RESULTS = Path(__file__).with_name("results") / "planning.json"
ORIGIN = Origin(lat_deg=22.5431, lon_deg=114.0579)


def _lonlat(poly: Polygon) -> Polygon:
    def ring(coords):
        lon, lat = en_arrays_to_lonlat(*np.asarray(coords, dtype=float).T, ORIGIN)
        return list(zip(lon, lat, strict=True))
    return Polygon(ring(poly.exterior.coords), [ring(h.coords) for h in poly.interiors])


def concave_area_enu() -> Polygon:
    """An L (5 km x 1.3 km plus 2.5 km x 1.7 km) with three holes: 10.08 km² to survey."""
    ell = Polygon([(0, 0), (5000, 0), (5000, 1300), (2500, 1300), (2500, 3000), (0, 3000)])
    holes = [box(500, 500, 900, 800), box(2800, 300, 3300, 700), box(800, 1800, 1300, 2500)]
    return Polygon(ell.exterior.coords, [h.exterior.coords for h in holes])


def timed(fn: Callable[[], object], runs: int = 5) -> tuple[float, object]:
    fn()
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    area_enu = concave_area_enu()
    area = _lonlat(area_enu)
    survey_s, result = timed(lambda: plan_survey(SurveyRequest(area=area, alt_m=60)))
    stats = result.stats  # type: ignore[attr-defined]

    rng = random.Random(4)
    zones = []
    while len(zones) < 50:
        c = (rng.uniform(-9000, 9000), rng.uniform(-9000, 9000))
        z = box(c[0] - 250, c[1] - 250, c[0] + 250, c[1] + 250)
        if all(z.distance(o) > 100 for o in zones):
            zones.append(z)
    free = []
    while len(free) < 100:
        p = (rng.uniform(-10000, 10000), rng.uniform(-10000, 10000))
        if all(z.exterior.distance(box(*p, *p)) > 60 and not z.contains(box(*p, *p))
               for z in zones):
            free.append(p)
    lon, lat = en_arrays_to_lonlat(*np.array(free).T, ORIGIN)
    points = list(zip(lat, lon, strict=True))
    zones_ll = [_lonlat(z) for z in zones]
    transit_s, (tplan, tlen) = timed(  # type: ignore[misc]
        lambda: plan_transit(points, alt_m=80, zones=zones_ll))

    local = lonlat_geometry_to_enu(area, ORIGIN)
    starts = [(5000 * math.cos(a), 5000 * math.sin(a))
              for a in np.linspace(0, 2 * math.pi, 9)[:-1]]
    settings = SweepSettings(line_spacing_m=stats.line_spacing_m, turnaround_m=10)
    split_s, shares = timed(lambda: split_area(local, starts, settings), runs=3)
    times = [s.sweep.flight_time_s for s in shares]  # type: ignore[attr-defined]
    areas = [s.part.area for s in shares]  # type: ignore[attr-defined]

    figures = {
        "survey_10km2_concave_holes": {
            "area_km2": round(area_enu.area / 1e6, 3), "seconds": round(survey_s, 4),
            "target_s": 1.0, "lines": stats.lines,
            "items": len(result.plan.items),  # type: ignore[attr-defined]
            "length_km": round(stats.length_m / 1000, 2),
            "flight_time_min": round(stats.flight_time_s / 60, 1),
            "line_spacing_m": round(stats.line_spacing_m, 2), "angle_deg": stats.angle_deg,
            "coverage_pct": round(stats.coverage_pct, 3),
        },
        "transit_100_points_50_zones": {
            "seconds": round(transit_s, 4), "target_s": 0.5,
            "waypoints": len(tplan.items), "length_km": round(tlen / 1000, 2),
        },
        "split_8_drones": {
            "seconds": round(split_s, 4), "target_s": 2.0,
            "area_spread_pct": round(100 * (max(areas) - min(areas)) / min(areas), 3),
            "flight_time_spread_pct": round(100 * (max(times) - min(times)) / min(times), 1),
            "flight_time_min": [round(t / 60, 1) for t in times],
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
