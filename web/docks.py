"""`GET /api/docks`: each vehicle's dock, whether its vehicle is home, and its battery.

`[{"id", "vehicle_id", "department", "lat_deg", "lon_deg", "vehicle_home", "battery_pct",
"task_id"}]` for the user's departments. A vehicle is home when it is on the ground, disarmed,
within `HOME_RADIUS_M` of its dock; `task_id` is the live task it is out on, if any.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from fleet.model import VehicleState
from mission.geodesy import distance_m
from web.auth.deps import PrincipalDep, visible_departments
from web.deps import FleetDep
from web.incidents.deps import SupervisorDep

router = APIRouter(prefix="/docks", tags=["docks"])

HOME_RADIUS_M = 15.0  #: GNSS error plus the landing spread of an RTL


class DockOut(BaseModel):
    id: str
    vehicle_id: str
    department: str
    lat_deg: float
    lon_deg: float
    vehicle_home: bool = Field(description="its vehicle is on the ground, disarmed, on the dock")
    battery_pct: float | None
    task_id: str | None = Field(description="the live task its vehicle is out on")


@router.get("")
async def list_docks(fleet: FleetDep, supervisor: SupervisorDep,
                     principal: PrincipalDep) -> list[DockOut]:
    visible = visible_departments(principal)
    out_on = {t.vehicle_id: t.id for t in supervisor.live_tasks()}
    return [_dock(s, out_on.get(s.spec.id)) for s in fleet.states()
            if s.spec.department in visible]


def _dock(s: VehicleState, task_id: str | None) -> DockOut:
    dock, t = s.spec.dock, s.telemetry
    home = (t is not None and not t.armed and t.lat_deg is not None and t.lon_deg is not None
            and distance_m(t.lat_deg, t.lon_deg, dock.lat_deg, dock.lon_deg) <= HOME_RADIUS_M)
    return DockOut(id=dock.id, vehicle_id=s.spec.id, department=s.spec.department,
                   lat_deg=dock.lat_deg, lon_deg=dock.lon_deg, vehicle_home=home,
                   battery_pct=None if t is None else t.battery_pct, task_id=task_id)

