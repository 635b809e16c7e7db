"""`/api/missions`: the missions supervision runs, and an operator's pause, resume and abort.

Shapes (see /docs for the full schemas):

- `GET /api/missions[?incident_id=inc-3&state=active]` → `[MissionOut]`, oldest first.
- `GET /api/missions/{id}` → `MissionOut` `{"id", "state", "incident_id", "department",
  "reason", "tasks": [{"id", "vehicle_id", "state", "progress", "reason", "summary", "share",
  "relieves", "replaces", "plan": {"items", "work_from", "return_from"}}]}`.
- `POST /api/missions/{id}/pause` (vehicles in transit or on station hold position),
  `/resume` (they carry on with their plan), `/abort` (every vehicle returns to its dock; the
  incident is cancelled when no other mission serves it) → 200 `MissionOut`; 409 with the
  reason when the state table forbids the move or a vehicle refuses.

Users see and act on their departments' missions only (403 with the reason otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request

from fleet.lifecycle import MissionState
from fleet.store.operations import MissionRecord
from fleet.supervisor import Supervisor
from web.auth.deps import PrincipalDep, require, visible_departments
from web.auth.roles import Action, Principal
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
