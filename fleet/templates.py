"""One mission template per incident type, built from `mission/` patterns: a plan per vehicle.

Every plan has the same three phases so that supervision can follow any of them from the
vehicle's MISSION_CURRENT alone: take-off and transit (items before `work_from`), the work on
scene (orbit, sweep, watch, drop...), and the return (the final RTL item at `return_from`),
which brings the vehicle back to where it armed: its dock. Pure: plain values in, plans out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shapely.geometry import Polygon

from fleet.incidents import IncidentReport, IncidentType, geometry_shape
from mission.area_survey import DEFAULT_ALT_M, SurveyRequest, plan_survey
from mission.camera import DEFAULT_CAMERA, camera_by_name, footprint, line_spacing_m
from mission.formats.mavlink import MissionItemInt, plan_to_mission_items
from mission.geodesy import Origin, en_to_latlon_list
from mission.items import (
    Gimbal,
    Loiter,
    MavCommand,
    MissionItem,
    RawItem,
    RegionOfInterest,
    ReturnToLaunch,
    RoiNone,
    Takeoff,
    TakePhoto,
    Waypoint,
)
from mission.orbit import Ring, orbit_rings
from mission.perimeter import perimeter
from mission.plan import Plan
from mission.search import parallel_search, parallel_search_split

CMD_DO_GRIPPER = 211
GRIPPER_RELEASE = 0
CMD_USER_1_LOUDSPEAKER = 31010  #: the simulator's (and Skywatch's) loudspeaker command
MAV_FRAME_MISSION = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class TemplateSettings:
    """Heights and times an operator may tune; defaults follow the issue's playbook."""

    transit_alt_m: float = 60.0
    watch_s: float = 300.0  #: fire on-station watch
    fire_sweep_half_m: float = 150.0  #: thermal sweep of a square this far around the point
    thermal_sweep_width_m: float = 60.0
    #: The person-search camera (`mission.camera.CAMERAS`): lanes are spaced by its footprint
    #: across the track at `search_alt_m`, less `search_sidelap_pct`, so no strip goes unseen.
    search_camera: str = "dji-mavic3-thermal"
    search_sidelap_pct: float = 10.0
    search_sweep_width_m: float | None = None  #: set: this lane spacing instead
    search_alt_m: float = 40.0
    #: The 3D survey camera and height; lanes are spaced by its footprint less the side overlap
    #: photogrammetry needs.
    survey_camera: str = DEFAULT_CAMERA
    survey_alt_m: float = DEFAULT_ALT_M
    survey_side_overlap_pct: float = 65.0
    broadcast_s: float = 180.0

    def search_footprint_m(self) -> float:
        """What the search camera sees across the track at the search altitude."""
        return footprint(camera_by_name(self.search_camera), self.search_alt_m).across_track_m

    def search_lane_m(self) -> float:
        """Distance between search lanes."""
        if self.search_sweep_width_m is not None:
            return self.search_sweep_width_m
        return self.search_footprint_m() * (1.0 - self.search_sidelap_pct / 100.0)

    def survey_lane_m(self) -> float:
        """Distance between survey lanes."""
        return line_spacing_m(camera_by_name(self.survey_camera), self.survey_alt_m,
                              self.survey_side_overlap_pct)


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanVehicle:
    """Where a vehicle starts from (its dock, or where it is when already flying)."""

    id: str
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskPlan:
    """One vehicle's part of a mission, with the phase boundaries supervision follows."""

    vehicle_id: str
    items: tuple[MissionItem, ...]
    work_from: int  #: first item of the work on scene (before it: take-off and transit)
    return_from: int  #: the RTL item; the vehicle heads home from here
    summary: str

    def mission_items(self) -> list[MissionItemInt]:
        """MAVLink MISSION_ITEM_INT items for upload (seq from 0)."""
        return plan_to_mission_items(Plan(items=self.items))


def build_plans(report: IncidentReport, vehicles: Sequence[PlanVehicle],
                settings: TemplateSettings | None = None) -> list[TaskPlan]:
    """A plan per vehicle for this incident; work split between them where the type allows."""
    s = settings or TemplateSettings()
    if not vehicles:
        return []
    work = _WORK[report.type](report, vehicles, s)
    return [_wrap(v, items, summary, s) for v, (items, summary) in zip(vehicles, work, strict=True)]


Work = list[tuple[list[MissionItem], str]]


def _wrap(v: PlanVehicle, work: list[MissionItem], summary: str, s: TemplateSettings) -> TaskPlan:
    first = next((i for i in work if isinstance(i, Waypoint | Loiter)), None)
    items: list[MissionItem] = [Takeoff(lat_deg=v.lat_deg, lon_deg=v.lon_deg,
                                        alt_m=s.transit_alt_m)]
    if first is not None:
        items.append(Waypoint(lat_deg=first.lat_deg, lon_deg=first.lon_deg,
                              alt_m=s.transit_alt_m))
    work_from = len(items)
    items.extend(work)
    return_from = len(items)
    items.append(ReturnToLaunch())
    return TaskPlan(vehicle_id=v.id, items=tuple(items), work_from=work_from,
                    return_from=return_from, summary=summary)


def _area(report: IncidentReport, half_m: float) -> Polygon:
    """The incident's polygon, or a square `half_m` around its point."""
    shape = geometry_shape(report.geometry)
    if isinstance(shape, Polygon):
        return shape
    origin = Origin(lat_deg=shape.y, lon_deg=shape.x)
    corners = en_to_latlon_list([(-half_m, -half_m), (half_m, -half_m), (half_m, half_m),
                                 (-half_m, half_m)], origin)
    return Polygon([(lo, la) for la, lo in corners])


def _fire(report: IncidentReport, vehicles: Sequence[PlanVehicle], s: TemplateSettings) -> Work:
    lat, lon = report.anchor()
    overview = orbit_rings(lat, lon, rings=[Ring(radius_m=120.0, alt_m=s.transit_alt_m)],
                           photo_bearings_deg=(0, 90, 180, 270))
    sweep = parallel_search(_area(report, s.fire_sweep_half_m),
                            sweep_width_m=s.thermal_sweep_width_m, alt_m=s.transit_alt_m)
    watch: list[MissionItem] = [
        RegionOfInterest(lat_deg=lat, lon_deg=lon, alt_m=0.0),
        Gimbal(pitch_deg=-45.0),
        Loiter(lat_deg=lat, lon_deg=lon, alt_m=s.transit_alt_m, hold_s=s.watch_s),
        RoiNone(),
    ]
    items = [*overview.items, Gimbal(pitch_deg=-90.0), *sweep.plan.items, *watch]
    return [(items, f"overview orbit 120 m, thermal sweep {sweep.track_length_m:.0f} m, "
                    f"watch {s.watch_s:.0f} s")] * len(vehicles)


def _traffic(report: IncidentReport, vehicles: Sequence[PlanVehicle],
             s: TemplateSettings) -> Work:
    lat, lon = report.anchor()
    evidence = orbit_rings(lat, lon, rings=[Ring(radius_m=40.0, alt_m=30.0),
                                            Ring(radius_m=15.0, alt_m=10.0)])
    overview: list[MissionItem] = [Waypoint(lat_deg=lat, lon_deg=lon, alt_m=50.0),
                                   Gimbal(pitch_deg=-90.0), TakePhoto()]
    shots = sum(isinstance(i, TakePhoto) for i in evidence.items) + 1
    return [([*overview, *evidence.items], f"overview and {shots} evidence shots on 2 orbits")
            ] * len(vehicles)


def _person_search(report: IncidentReport, vehicles: Sequence[PlanVehicle],
                   s: TemplateSettings) -> Work:
    area = _area(report, 200.0)
    starts = [(v.lat_deg, v.lon_deg) for v in vehicles]
    if len(vehicles) == 1:
        parts = [parallel_search(area, sweep_width_m=s.search_lane_m(),
                                 alt_m=s.search_alt_m, start=starts[0])]
    else:
        parts = parallel_search_split(area, starts=starts, sweep_width_m=s.search_lane_m(),
                                      alt_m=s.search_alt_m)
    return [([Gimbal(pitch_deg=-90.0), *p.plan.items],
             f"search share {k + 1}/{len(parts)}: {p.track_length_m:.0f} m of track, "
             f"POD {p.pod:.2f}") for k, p in enumerate(parts)]


def _reservoir(report: IncidentReport, vehicles: Sequence[PlanVehicle],
               s: TemplateSettings) -> Work:
    area = _area(report, 300.0)
    shore = perimeter(area, offset_m=20.0, alt_m=s.transit_alt_m)
    water = parallel_search(area, sweep_width_m=150.0, alt_m=s.transit_alt_m)
    return [([Gimbal(pitch_deg=-60.0), *shore.items, Gimbal(pitch_deg=-90.0),
              *water.plan.items], "shoreline loop and water sweep")] * len(vehicles)


def _survey(report: IncidentReport, vehicles: Sequence[PlanVehicle], s: TemplateSettings) -> Work:
    area = _area(report, 200.0)
    out: Work = []
    for k in range(len(vehicles)):
        # One vehicle flies a double grid; with more, the grid and its crossing are shared.
        style = "double" if len(vehicles) == 1 else "grid"
        angle = None if len(vehicles) == 1 else (90.0 * (k % 2))
        survey = plan_survey(SurveyRequest(
            area=area, style=style, angle_deg=angle, camera=camera_by_name(s.survey_camera),
            alt_m=s.survey_alt_m, side_overlap_pct=s.survey_side_overlap_pct))
        out.append((list(survey.plan.items),
                    f"{style} survey at {survey.stats.alt_m:.0f} m, "
                    f"{survey.stats.photos} photos"))
    return out


def _delivery(report: IncidentReport, vehicles: Sequence[PlanVehicle],
              s: TemplateSettings) -> Work:
    lat, lon = report.anchor()
    drop = RawItem(mav=MavCommand(command=CMD_DO_GRIPPER, frame=MAV_FRAME_MISSION,
                                  params=(1.0, float(GRIPPER_RELEASE), 0.0, 0.0, 0.0, 0.0, 0.0)))
    return [([Waypoint(lat_deg=lat, lon_deg=lon, alt_m=15.0, hold_s=3.0), drop],
             "fly to the point, release the payload at 15 m")] * len(vehicles)


def _broadcast(report: IncidentReport, vehicles: Sequence[PlanVehicle],
               s: TemplateSettings) -> Work:
    lat, lon = report.anchor()

    def speaker(on: bool) -> RawItem:
        return RawItem(mav=MavCommand(command=CMD_USER_1_LOUDSPEAKER, frame=MAV_FRAME_MISSION,
                                      params=(1.0 if on else 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)))

    return [([Waypoint(lat_deg=lat, lon_deg=lon, alt_m=40.0), speaker(True),
              Loiter(lat_deg=lat, lon_deg=lon, alt_m=40.0, hold_s=s.broadcast_s,
                     radius_m=60.0), speaker(False)],
             f"loudspeaker over the point for {s.broadcast_s:.0f} s")] * len(vehicles)


_WORK: dict[IncidentType, Callable[[IncidentReport, Sequence[PlanVehicle], TemplateSettings],
                                   Work]] = {
    IncidentType.FIRE: _fire,
    IncidentType.TRAFFIC_ACCIDENT: _traffic,
    IncidentType.PERSON_SEARCH: _person_search,
    IncidentType.RESERVOIR_PATROL: _reservoir,
    IncidentType.SURVEY_3D: _survey,
    IncidentType.DELIVERY: _delivery,
    IncidentType.BROADCAST: _broadcast,
}
