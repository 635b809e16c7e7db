"""`/api/vehicles`: the fleet as the operator sees it, and commands to one vehicle.

Each user sees the vehicles of their departments; a command to another department's vehicle
is refused with 403 and the reason before anything reaches the vehicle.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from fleet.model import LinkState, VehicleState
from fleet.registry import UnknownVehicle
from web.auth.deps import PrincipalDep, require, visible_departments
from web.auth.roles import Action
from web.deps import Fleet, FleetDep
from web.vehicles.schemas import CommandBody, CommandOutcome, VehiclePublic

router = APIRouter(prefix="/vehicles", tags=["vehicles"])

_NOT_FOUND = {404: {"description": "unknown vehicle"}}
_FORBIDDEN = {403: {"description": "another department's vehicle; `detail` says why"}}


@router.get("")
async def list_vehicles(fleet: FleetDep, principal: PrincipalDep) -> list[VehiclePublic]:
    """The vehicles of the departments the signed-in user works for."""
    visible = visible_departments(principal)
    return [VehiclePublic.from_domain(s) for s in fleet.states() if s.spec.department in visible]


@router.get("/{vehicle_id}", responses={**_NOT_FOUND, **_FORBIDDEN})
async def get_vehicle(vehicle_id: str, fleet: FleetDep, principal: PrincipalDep) -> VehiclePublic:
    state = _state(fleet, vehicle_id)
    require(principal, Action.READ, state.spec.department)
    return VehiclePublic.from_domain(state)


@router.post(
    "/{vehicle_id}/commands",
    responses={
        **_NOT_FOUND,
        **_FORBIDDEN,
        409: {"description": "the vehicle refused; `detail` is its reason"},
        503: {"description": "no link to the vehicle"},
    },
)
async def send_command(
    vehicle_id: str, body: CommandBody, fleet: FleetDep, principal: PrincipalDep, request: Request
) -> CommandOutcome:
    """Send one command and wait for the vehicle's answer (MAVLink gives up after about 2 s)."""
    request.state.audit_action = body.command  # the audit trail's "what"
    state = _state(fleet, vehicle_id)
    require(principal, Action.COMMAND, state.spec.department)
    _require_link(state)
    try:
        result = await fleet.command(vehicle_id, body.to_domain())
    except UnknownVehicle as e:
        raise _unknown(vehicle_id) from e
    if not result.ok:
        _require_link(_state(fleet, vehicle_id))
        raise HTTPException(status.HTTP_409_CONFLICT, detail=result.reason or "refused")
    return CommandOutcome(
        vehicle_id=vehicle_id, command=body.command, ok=True, reason=result.reason
    )


def _state(fleet: Fleet, vehicle_id: str) -> VehicleState:
    try:
        return fleet.state(vehicle_id)
    except UnknownVehicle as e:
        raise _unknown(vehicle_id) from e


def _unknown(vehicle_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown vehicle {vehicle_id!r}")


def _require_link(state: VehicleState) -> None:
    if state.link is not LinkState.CONNECTED:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"vehicle {state.spec.id!r} link is {state.link.value}",
        )
