"""`skywatch plan …`: plan surveys, searches, orbits, corridors, patrols and transits to files.

The shell around the pure planners: it reads the input files, calls `mission`, writes the
output by extension and prints one summary line. Bad input exits with status 2 and one line
per problem on stderr, naming the field and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from shapely.geometry import Polygon

from mission.area_survey import SurveyRequest, camera_waypoints, plan_survey
from mission.camera import CAMERAS, DEFAULT_CAMERA, camera_by_name, footprint
from mission.corridor import corridor
from mission.energy import VEHICLE_PROFILES, VehicleProfile, estimate_flight, split_sorties
from mission.formats.by_extension import read_plan, write_plan
from mission.formats.geojson import read_polygons
from mission.geodesy import Origin, en_to_latlon_list, latlon_to_en, lonlat_geometry_to_enu
from mission.items import ReturnToLaunch, Takeoff
from mission.orbit import Ring, orbit_rings
from mission.perimeter import perimeter
from mission.plan import Home, Plan
from mission.route import plan_transit
from mission.search import (
    SearchPlan,
    expanding_square,
    parallel_search,
    parallel_search_split,
    sector_search,
)
from mission.split import split_area
from mission.survey import SweepSettings
from mission.validation import Issue, Limits, validate_plan, validate_polygon

plan_app = typer.Typer(help="Plan flights and convert or check plan files.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")


class _Problems(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


@contextmanager
def _cli_errors() -> Iterator[None]:
    """Every planner error is a ValueError naming its field: print it, exit 2."""
    try:
        yield
    except _Problems as p:
        for line in p.lines:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _latlon(text: str, field: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise _Problems([f"{field}: {text!r} is not LAT,LON"]) from None
    issues = []
    if not -90 <= lat <= 90:
        issues.append(f"{field}: latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        issues.append(f"{field}: longitude {lon} is outside -180..180")
    if issues:
        raise _Problems(issues)
    return lat, lon


def _polygons(path: Path, field: str) -> list[Polygon]:
    polys = read_polygons(path.read_text(encoding="utf-8"))
    issues: list[Issue] = []
    for k, p in enumerate(polys):
        issues += validate_polygon(p, f"{field}[{k}]" if len(polys) > 1 else field)
    if issues:
        raise _Problems([str(i) for i in issues])
    return polys


def _write(out: Path, plan: Plan) -> None:
    out.write_bytes(write_plan(out.name, plan))


def _summary(out: Path, plan: Plan, extra: str = "", profile: VehicleProfile | None = None,
             verb: str = "wrote") -> None:
    """One line: items, length, flight time and sorties (and what the pattern adds)."""
    profile = profile or VehicleProfile()
    est = estimate_flight(plan, profile)
    sorties = 1 if est.fits else len(split_sorties(plan, profile))
    text = (f"{verb} {out}: {len(plan.items)} items, {est.length_m / 1000:.2f} km, "
            f"{est.flight_time_s / 60:.1f} min flight, {sorties} sortie"
            f"{'s' if sorties > 1 else ''} on {profile.name}")
    typer.echo(text + (f", {extra}" if extra else ""))


def _with_flight(plan: Plan, home: Home | None, alt_m: float) -> Plan:
    """Take off at home before the pattern and return after it."""
    if home is None:
        return plan
    return replace(plan, home=home, items=(
        Takeoff(lat_deg=home.lat_deg, lon_deg=home.lon_deg, alt_m=alt_m), *plan.items,
        ReturnToLaunch()))


def _home(text: str | None) -> Home | None:
    if text is None:
        return None
    lat, lon = _latlon(text, "--home")
    return Home(lat_deg=lat, lon_deg=lon)


def _profile(name: str) -> VehicleProfile:
    if name not in VEHICLE_PROFILES:
        raise _Problems([f"--vehicle: unknown profile {name!r}; known: "
                         f"{', '.join(sorted(VEHICLE_PROFILES))}"])
    return VEHICLE_PROFILES[name]


OutOpt = Annotated[Path, typer.Option("-o", "--out", help="output: .plan .waypoints .kml .kmz "
                                                           ".geojson .json")]
HomeOpt = Annotated[str | None, typer.Option("--home", help="LAT,LON: take off and return here")]


@plan_app.command("survey")
def survey_command(
    area: Annotated[Path, typer.Option("--area", help="area polygon, GeoJSON (holes allowed)")],
    out: OutOpt,
    exclude: Annotated[
        list[Path] | None, typer.Option("--exclude", help="no-fly zones, GeoJSON")
    ] = None,
    alt_m: Annotated[float | None, typer.Option("--alt-m", help="height above home")] = None,
    gsd_cm: Annotated[float | None, typer.Option("--gsd-cm", help="cm per pixel")] = None,
    camera: Annotated[
        str, typer.Option(help=f"one of: {', '.join(sorted(CAMERAS))}")
    ] = DEFAULT_CAMERA,
    overlap: Annotated[float, typer.Option(help="front overlap, %")] = 75.0,
    sidelap: Annotated[float, typer.Option(help="side overlap, %")] = 65.0,
    angle: Annotated[str, typer.Option(help="'auto' or line bearing in degrees")] = "auto",
    style: Annotated[str, typer.Option(help="grid, double or oblique")] = "grid",
    drones: Annotated[int, typer.Option(help="split between this many vehicles")] = 1,
    start: Annotated[
        list[str] | None, typer.Option("--start", help="LAT,LON of a vehicle (repeat)")
    ] = None,
    home: HomeOpt = None,
    speed_mps: Annotated[float, typer.Option("--speed-mps")] = 10.0,
    vehicle: Annotated[str, typer.Option(help="energy profile")] = "quad-77wh",
    sorties: Annotated[
        bool, typer.Option("--sorties", help="also write OUT-s1, OUT-s2, … one per battery")
    ] = False,
) -> None:
    """Lawn-mower survey of an area with camera-derived spacing; --drones splits it."""
    with _cli_errors():
        polys = _polygons(area, "--area")
        zones = [z for p in (exclude or []) for z in _polygons(p, "--exclude")]
        if style not in ("grid", "double", "oblique"):
            raise _Problems([f"--style: {style!r} is not grid, double or oblique"])
        if angle == "auto":
            angle_deg = None
        else:
            try:
                angle_deg = float(angle) % 180.0
            except ValueError:
                raise _Problems([f"--angle: {angle!r} is not 'auto' or a number"]) from None
        if drones < 1:
            raise _Problems([f"--drones: {drones} must be at least 1"])
        profile = _profile(vehicle)
        h = _home(home)
        starts = [_latlon(s, f"--start[{k}]") for k, s in enumerate(start or [])]
        req = SurveyRequest(area=polys[0], exclusions=tuple(zones), camera=camera_by_name(camera),
                            alt_m=alt_m, gsd_cm=gsd_cm, front_overlap_pct=overlap,
                            side_overlap_pct=sidelap, angle_deg=angle_deg, home=h,
                            start=starts[0] if starts else None, speed_mps=speed_mps,
                            style=style)  # type: ignore[arg-type]
        if drones == 1:
            result = plan_survey(req)
            _write(out, result.plan)
            s = result.stats
            _summary(out, result.plan, f"{s.lines} lines at {s.angle_deg:.0f}°, spacing "
                     f"{s.line_spacing_m:.1f} m, GSD {s.gsd_cm:.2f} cm, coverage "
                     f"{s.coverage_pct:.1f} %", profile)
            if sorties:
                _write_sorties(result.plan, out, profile)
            return
        _split_survey(req, drones, starts, out, profile)


def _write_sorties(plan: Plan, out: Path, profile: VehicleProfile) -> None:
    """One file per battery, each from home and back, resuming where the last one stopped."""
    if plan.home is None:
        raise _Problems(["--home: sorties start and end at home; give --home LAT,LON"])
    for k, sortie in enumerate(split_sorties(plan, profile), start=1):
        path = out.with_name(f"{out.stem}-s{k}{out.suffix}")
        _write(path, sortie)
        _summary(path, sortie, "", profile)


def _split_survey(req: SurveyRequest, k: int, starts: list[tuple[float, float]], out: Path,
                  profile: VehicleProfile) -> None:
    """One output file per vehicle: OUT-1.ext, OUT-2.ext, …"""
    if starts and len(starts) != k:
        raise _Problems([f"--start: {len(starts)} given for {k} drones"])
    # Without launch points the parts are balanced around a point inside the area, and each
    # file is the pattern alone (no take-off or return), as for a single drone without --home.
    launch_known = bool(starts) or req.home is not None
    if not starts:
        if req.home is not None:
            base = (req.home.lat_deg, req.home.lon_deg)
        else:
            inside = req.area.representative_point()
            base = (inside.y, inside.x)
        starts = [base] * k
    first = plan_survey(replace(req, home=None, start=None))  # the spacing and the angle
    c = req.area.centroid
    origin = Origin(lat_deg=c.y, lon_deg=c.x)
    area = lonlat_geometry_to_enu(req.area, origin)
    zones = [lonlat_geometry_to_enu(z, origin) for z in req.exclusions]
    settings = SweepSettings(line_spacing_m=first.stats.line_spacing_m, speed_mps=req.speed_mps,
                             turn_s=req.turn_s, turnaround_m=req.turnaround_m)
    local_starts = [latlon_to_en(la, lo, origin) for la, lo in starts]
    shares = split_area(area, local_starts, settings, zones, first.stats.angle_deg)
    alt = first.stats.alt_m
    for share in shares:
        pts = en_to_latlon_list(list(share.sweep.path), origin)
        body = tuple(camera_waypoints(pts, share.sweep.cell_spans, alt_m=alt,
                                      trigger_m=first.stats.trigger_distance_m))
        la, lo = starts[share.vehicle]
        home = Home(lat_deg=la, lon_deg=lo) if launch_known else None
        plan = _with_flight(Plan(items=body), home, alt)
        path = out.with_name(f"{out.stem}-{share.vehicle + 1}{out.suffix}")
        _write(path, plan)
        _summary(path, plan, f"{share.part.area / 1e4:.2f} ha", profile)


@plan_app.command("search")
def search_command(
    pattern: Annotated[str, typer.Option(help="expanding-square, sector, parallel or creeping")],
    out: OutOpt,
    at: Annotated[str | None, typer.Option("--at", help="LAT,LON of the datum")] = None,
    area: Annotated[Path | None, typer.Option(help="search area (parallel, creeping)")] = None,
    sweep_width_m: Annotated[float, typer.Option("--sweep-width-m")] = 40.0,
    alt_m: Annotated[float, typer.Option("--alt-m")] = 40.0,
    legs: Annotated[int, typer.Option(help="expanding square: number of legs")] = 12,
    radius_m: Annotated[float, typer.Option("--radius-m", help="sector search radius")] = 300.0,
    bearing_deg: Annotated[float, typer.Option("--bearing-deg", help="first leg")] = 0.0,
    start: Annotated[
        list[str] | None,
        typer.Option("--start", help="parallel/creeping: LAT,LON of each drone (repeat)"),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """IAMSAR search pattern around a datum or over an area, with its PoD; parallel and
    creeping searches are shared between drones given by --start (OUT-1, OUT-2, …)."""
    with _cli_errors():
        result: SearchPlan
        if pattern in ("expanding-square", "sector"):
            if at is None:
                raise _Problems([f"--at: {pattern} needs a datum LAT,LON"])
            lat, lon = _latlon(at, "--at")
            result = (expanding_square(lat, lon, sweep_width_m=sweep_width_m, alt_m=alt_m,
                                       legs=legs, first_bearing_deg=bearing_deg)
                      if pattern == "expanding-square" else
                      sector_search(lat, lon, radius_m=radius_m, alt_m=alt_m,
                                    sweep_width_m=sweep_width_m, first_bearing_deg=bearing_deg))
        elif pattern in ("parallel", "creeping"):
            if area is None:
                raise _Problems([f"--area: {pattern} needs a search area"])
            poly = _polygons(area, "--area")[0]
            if start:
                pts = [_latlon(s, f"--start[{k}]") for k, s in enumerate(start)]
                for k, part in enumerate(parallel_search_split(
                        poly, starts=pts, sweep_width_m=sweep_width_m, alt_m=alt_m,
                        creeping=pattern == "creeping")):
                    h = Home(lat_deg=pts[k][0], lon_deg=pts[k][1])
                    path = out.with_name(f"{out.stem}-{k + 1}{out.suffix}")
                    plan = _with_flight(part.plan, h, alt_m)
                    _write(path, plan)
                    _summary(path, plan, f"{part.searched_area_m2 / 1e4:.1f} ha, PoD "
                             f"{100 * part.pod:.0f} %")
                return
            result = parallel_search(poly, sweep_width_m=sweep_width_m, alt_m=alt_m,
                                     creeping=pattern == "creeping")
        else:
            raise _Problems([f"--pattern: {pattern!r} is not expanding-square, sector, "
                             "parallel or creeping"])
        plan = _with_flight(result.plan, _home(home), alt_m)
        _write(out, plan)
        _summary(out, plan, f"track spacing {result.track_spacing_m:.0f} m, coverage factor "
                 f"{result.coverage_factor:.2f}, PoD {100 * result.pod:.0f} %")


@plan_app.command("orbit")
def orbit_command(
    at: Annotated[str, typer.Option("--at", help="LAT,LON of the point to photograph")],
    out: OutOpt,
    ring: Annotated[list[str] | None, typer.Option(help="RADIUS_M:ALT_M (repeat)")] = None,
    bearings: Annotated[
        str, typer.Option(help="photo bearings, degrees")
    ] = "0,45,90,135,180,225,270,315",
    home: HomeOpt = None,
) -> None:
    """Evidence orbits: rings around a point, camera on it, photos at fixed bearings."""
    with _cli_errors():
        lat, lon = _latlon(at, "--at")
        rings = []
        for k, r in enumerate(ring or ["15:10", "30:25"]):
            try:
                radius, alt = (float(v) for v in r.split(":"))
            except ValueError:
                raise _Problems([f"--ring[{k}]: {r!r} is not RADIUS_M:ALT_M"]) from None
            rings.append(Ring(radius_m=radius, alt_m=alt))
        try:
            shots = [float(b) for b in bearings.split(",")]
        except ValueError:
            raise _Problems([f"--bearings: {bearings!r} is not a list of numbers"]) from None
        plan = _with_flight(orbit_rings(lat, lon, rings=rings, photo_bearings_deg=shots),
                            _home(home), max(r.alt_m for r in rings))
        _write(out, plan)
        _summary(out, plan, f"{len(rings) * len(set(shots))} photos")


@plan_app.command("corridor")
def corridor_command(
    point: Annotated[list[str], typer.Option("--point", help="LAT,LON along the line (repeat)")],
    out: OutOpt,
    width_m: Annotated[float, typer.Option("--width-m")] = 60.0,
    spacing_m: Annotated[float | None, typer.Option("--spacing-m")] = None,
    alt_m: Annotated[float, typer.Option("--alt-m")] = 60.0,
    camera: Annotated[str, typer.Option()] = DEFAULT_CAMERA,
    sidelap: Annotated[float, typer.Option()] = 65.0,
    home: HomeOpt = None,
) -> None:
    """Corridor scan along a road, river or power line."""
    with _cli_errors():
        pts = [_latlon(p, f"--point[{k}]") for k, p in enumerate(point)]
        spacing = spacing_m or footprint(camera_by_name(camera), alt_m).across_track_m * (
            1 - sidelap / 100)
        plan = _with_flight(corridor(pts, width_m=width_m, spacing_m=spacing, alt_m=alt_m),
                            _home(home), alt_m)
        _write(out, plan)
        _summary(out, plan, f"{math.ceil(width_m / spacing - 1e-9)} tracks {spacing:.1f} m apart")


@plan_app.command("perimeter")
def perimeter_command(
    area: Annotated[Path, typer.Option("--area", help="polygon, GeoJSON")],
    out: OutOpt,
    offset_m: Annotated[float, typer.Option("--offset-m", help="+ outside, - inside")] = 20.0,
    alt_m: Annotated[float, typer.Option("--alt-m")] = 40.0,
    laps: Annotated[int, typer.Option()] = 1,
    home: HomeOpt = None,
) -> None:
    """Perimeter or shoreline patrol at an offset from a polygon."""
    with _cli_errors():
        h = _home(home)
        plan = perimeter(_polygons(area, "--area")[0], offset_m=offset_m, alt_m=alt_m, laps=laps,
                         start=(h.lat_deg, h.lon_deg) if h else None)
        plan = _with_flight(plan, h, alt_m)
        _write(out, plan)
        _summary(out, plan)


@plan_app.command("transit")
def transit_command(
    from_: Annotated[str, typer.Option("--from", help="LAT,LON")],
    to: Annotated[str, typer.Option("--to", help="LAT,LON")],
    out: OutOpt,
    exclude: Annotated[list[Path] | None, typer.Option("--exclude")] = None,
    alt_m: Annotated[float, typer.Option("--alt-m")] = 60.0,
    max_alt_m: Annotated[float, typer.Option("--max-alt-m")] = 120.0,
    clearance_m: Annotated[float, typer.Option("--clearance-m")] = 10.0,
) -> None:
    """Shortest path from A to B around exclusion zones."""
    with _cli_errors():
        a, b = _latlon(from_, "--from"), _latlon(to, "--to")
        zones = [z for p in (exclude or []) for z in _polygons(p, "--exclude")]
        plan, length = plan_transit([a, b], alt_m=alt_m, zones=zones, clearance_m=clearance_m,
                                    limits=Limits(max_alt_m=max_alt_m))
        plan = replace(plan, home=Home(lat_deg=a[0], lon_deg=a[1]))
        _write(out, plan)
        _summary(out, plan, f"path {length:.0f} m")


@plan_app.command("convert")
def convert_command(
    src: Annotated[Path, typer.Argument(help="input plan file")], out: OutOpt
) -> None:
    """Convert between .plan, .waypoints, .kml, .kmz, .geojson and .json by extension."""
    with _cli_errors():
        plan = read_plan(src.name, src.read_bytes())
        _write(out, plan)
        typer.echo(f"wrote {out}: {len(plan.items)} items")


@plan_app.command("check")
def check_command(
    src: Annotated[Path, typer.Argument(help="plan file")],
    fence: Annotated[Path | None, typer.Option(help="geofence polygon, GeoJSON")] = None,
    exclude: Annotated[list[Path] | None, typer.Option("--exclude")] = None,
    vehicle: Annotated[str | None, typer.Option(help="energy profile")] = None,
    max_alt_m: Annotated[float, typer.Option("--max-alt-m")] = 120.0,
) -> None:
    """Print every problem of a plan; exit 2 if there is any."""
    with _cli_errors():
        plan = read_plan(src.name, src.read_bytes())
        fence_poly = _polygons(fence, "--fence")[0] if fence else None
        zones = [z for p in (exclude or []) for z in _polygons(p, "--exclude")]
        profile = _profile(vehicle) if vehicle else None
        issues = validate_plan(plan, Limits(max_alt_m=max_alt_m), zones, fence_poly, profile)
        if issues:
            raise _Problems([str(i) for i in issues])
        _summary(src, plan, "no problems", profile, verb="checked")
