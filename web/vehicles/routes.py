"""`/api/vehicles`: the fleet as the operator sees it, and commands to one vehicle."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from fleet.model import LinkState, VehicleState
from fleet.registry import UnknownVehicle
from web.deps import Fleet, FleetDep
from web.vehicles.schemas import CommandBody, CommandOutcome, VehiclePublic

router = APIRouter(prefix="/vehicles", tags=["vehicles"])

_NOT_FOUND = {404: {"description": "unknown vehicle"}}


@router.get("")
async def list_vehicles(fleet: FleetDep) -> list[VehiclePublic]:
    return [VehiclePublic.from_domain(s) for s in fleet.states()]


@router.get("/{vehicle_id}", responses=_NOT_FOUND)
async def get_vehicle(vehicle_id: str, fleet: FleetDep) -> VehiclePublic:
    return VehiclePublic.from_domain(_state(fleet, vehicle_id))


@router.post(
    "/{vehicle_id}/commands",
    responses={
        **_NOT_FOUND,
        409: {"description": "the vehicle refused; `detail` is its reason"},
        503: {"description": "no link to the vehicle"},
    },
)
async def send_command(vehicle_id: str, body: CommandBody, fleet: FleetDep) -> CommandOutcome:
    """Send one command and wait for the vehicle's answer (MAVLink gives up after about 2 s)."""
    _require_link(_state(fleet, vehicle_id))
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
