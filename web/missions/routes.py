"""`/api/missions`: the missions supervision runs, and an operator's pause, resume and abort.

Shapes (see /docs for the full schemas):

- `GET /api/missions[?incident_id=inc-3&state=active]` → `[MissionOut]`, oldest first.
- `GET /api/missions/{id}` → `MissionOut` `{"id", "state", "incident_id", "department",
  "reason", "tasks": [{"id", "vehicle_id", "state", "progress", "reason", "summary", "share",
  "relieves", "replaces", "plan": {"items", "work_from", "return_from"}}]}`.
- `POST /api/missions` multipart form `vehicle_id=uav0`, `file=<a plan file: .plan (QGC),
  .waypoints, .geojson, .kml, .kmz, .json (Skywatch)>` → 201 `MissionOut`: the vehicle flies
  the plan at once, supervised like a dispatched mission (an RTL is added when the plan does
  not end with one). 422 `{"detail": [{"field": "file" | "file.items[3].alt_m", "reason"}]}`
  for a file that cannot be read or a plan that fails validation; 409 when the vehicle is busy.
- `POST /api/missions/{id}/pause` (vehicles in transit or on station hold position),
  `/resume` (they carry on with their plan), `/abort` (every vehicle returns to its dock; the
  incident is cancelled when no other mission serves it) → 200 `MissionOut`; 409 with the
  reason when the state table forbids the move or a vehicle refuses.
- `POST /api/missions/{id}/watch` `{"watch_s": 600}` → 200 `MissionOut`: the vehicles keep
  watching the scene for `watch_s` from now (from arrival when still on the way); the rest of
  their plan is uploaded again with that watch. 409 when no vehicle has a watch ahead.

Users see and act on their departments' missions only (403 with the reason otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile, status
from pydantic import BaseModel, Field

from fleet.lifecycle import MissionState
from fleet.store.operations import MissionRecord
from fleet.supervisor import Supervisor
from mission.formats.by_extension import read_plan
from mission.validation import validate_plan
from web.auth.deps import PrincipalDep, require, visible_departments
from web.auth.roles import Action, Principal
from web.deps import FleetDep
from web.incidents.deps import SupervisorDep, refusals_as_http
from web.missions.schemas import MissionOut

router = APIRouter(prefix="/missions", tags=["missions"])

_FORBIDDEN = {403: {"description": "another department's mission; `detail` says why"}}
_NOT_FOUND = {404: {"description": "unknown mission"}}
_CONFLICT = {409: {"description": "not allowed in the mission's state, or a vehicle refused"}}


@router.get("")
async def list_missions(supervisor: SupervisorDep, principal: PrincipalDep,
                        incident_id: str | None = None,
                        state: MissionState | None = None) -> list[MissionOut]:
    visible = visible_departments(principal)
    return [_out(supervisor, m) for m in supervisor.missions(incident_id)
            if m.department in visible and (state is None or m.state is state)]


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={**_FORBIDDEN, 404: {"description": "unknown vehicle"},
                        409: {"description": "the vehicle is busy with another task"},
                        422: {"description": "every problem with the file or its plan"}})
async def fly_plan_file(supervisor: SupervisorDep, fleet: FleetDep, principal: PrincipalDep,
                        request: Request, vehicle_id: Annotated[str, Form()],
                        file: UploadFile) -> MissionOut:
    """A mission from an operator's plan file, for a chosen vehicle."""
    request.state.audit_action = "fly_plan_file"
    spec = next((x for x in fleet.specs() if x.id == vehicle_id), None)
    if spec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown vehicle {vehicle_id!r}")
    require(principal, Action.MANAGE_MISSIONS, spec.department)
    name = file.filename or "plan"
    try:
        plan = read_plan(name, await file.read())
    except ValueError as e:  # every reader names what it could not read
        raise _unprocessable([("file", str(e))]) from e
    issues = validate_plan(plan)
    if issues:
        raise _unprocessable([(f"file.{i.field}", i.reason) for i in issues])
    with refusals_as_http():
        m = await supervisor.fly_plan(vehicle_id, plan, name)
    return _out(supervisor, m)


def _unprocessable(problems: list[tuple[str, str]]) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         detail=[{"field": f, "reason": r} for f, r in problems])


@router.get("/{mission_id}", responses={**_NOT_FOUND, **_FORBIDDEN})
async def get_mission(mission_id: str, supervisor: SupervisorDep,
                      principal: PrincipalDep) -> MissionOut:
    with refusals_as_http():
        m = supervisor.mission(mission_id)
    require(principal, Action.READ, m.department)
    return _out(supervisor, m)


@router.post("/{mission_id}/pause", responses={**_NOT_FOUND, **_FORBIDDEN, **_CONFLICT})
async def pause_mission(mission_id: str, supervisor: SupervisorDep, principal: PrincipalDep,
                        request: Request) -> MissionOut:
    return await _act(supervisor, principal, request, mission_id, supervisor.pause_mission)


@router.post("/{mission_id}/resume", responses={**_NOT_FOUND, **_FORBIDDEN, **_CONFLICT})
async def resume_mission(mission_id: str, supervisor: SupervisorDep, principal: PrincipalDep,
                         request: Request) -> MissionOut:
    return await _act(supervisor, principal, request, mission_id, supervisor.resume_mission)


@router.post("/{mission_id}/abort", responses={**_NOT_FOUND, **_FORBIDDEN, **_CONFLICT})
async def abort_mission(mission_id: str, supervisor: SupervisorDep, principal: PrincipalDep,
                        request: Request) -> MissionOut:
    return await _act(supervisor, principal, request, mission_id, supervisor.abort_mission)


class WatchBody(BaseModel):
    watch_s: float = Field(ge=10.0, le=4 * 3600.0, description="seconds on station from now")


@router.post("/{mission_id}/watch", responses={**_NOT_FOUND, **_FORBIDDEN, **_CONFLICT})
async def set_watch(mission_id: str, body: WatchBody, supervisor: SupervisorDep,
                    principal: PrincipalDep, request: Request) -> MissionOut:
    """Extend (or shorten) the watch on scene; reliefs follow if it outlasts a battery."""
    request.state.audit_action = "set_watch"
    with refusals_as_http():
        m = supervisor.mission(mission_id)
        require(principal, Action.MANAGE_MISSIONS, m.department)
        m = await supervisor.set_watch(mission_id, body.watch_s)
    return _out(supervisor, m)


async def _act(supervisor: Supervisor, principal: Principal, request: Request, mission_id: str,
               action: Callable[[str], Awaitable[MissionRecord]]) -> MissionOut:
    request.state.audit_action = f"{action.__name__}"
    with refusals_as_http():
        m = supervisor.mission(mission_id)
        require(principal, Action.MANAGE_MISSIONS, m.department)
        m = await action(mission_id)
    return _out(supervisor, m)


def _out(supervisor: Supervisor, m: MissionRecord) -> MissionOut:
    return MissionOut.from_record(m, supervisor.tasks(m.id))
