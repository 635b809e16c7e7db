"""`/api/vehicles/{vehicle_id}/camera`: the live camera preview relay.

- `POST /api/vehicles/{vehicle_id}/camera` (that vehicle's onboard-bridge credentials only)
  body `PreviewIn` (a downscaled JPEG, about 2 a second per camera, with the detector's boxes)
  → 202 `{"frame": n}`; a frame older than the one held is answered `{"frame": null}`.
  Accepted frames are not written to the audit trail (a stream, like telemetry; refusals are).
- `GET /api/vehicles/{vehicle_id}/camera/{thermal|rgb}?after=<frame>` → the latest preview,
  204 when it is not newer than `after` (a console polling the picture costs nothing while the
  camera is silent), 404 when that camera has sent nothing since the server started; 403 for
  another department's vehicle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.requests import HTTPConnection

from fleet.registry import UnknownVehicle
from web.auth.deps import (
    PrincipalDep,
    VehiclePrincipalDep,
    authenticate,
    require,
    require_own_vehicle,
)
from web.auth.roles import Action
from web.camera.relay import CameraRelay
from web.camera.schemas import Modality, PreviewAccepted, PreviewIn, PreviewOut
from web.deps import FleetDep

router = APIRouter(prefix="/api/vehicles/{vehicle_id}/camera", tags=["camera"],
                   dependencies=[Depends(authenticate)])


def get_camera_relay(conn: HTTPConnection) -> CameraRelay:
    relay: CameraRelay = conn.app.state.camera
    return relay


CameraRelayDep = Annotated[CameraRelay, Depends(get_camera_relay)]


@router.post("", status_code=status.HTTP_202_ACCEPTED,
             responses={403: {"description": "not this vehicle's credentials"}})
async def post_preview(vehicle_id: str, body: PreviewIn, principal: VehiclePrincipalDep,
                       relay: CameraRelayDep, request: Request) -> PreviewAccepted:
    require_own_vehicle(principal, vehicle_id)
    kept = relay.put(vehicle_id=vehicle_id, modality=body.modality,
                     captured_at=body.captured_at.astimezone(UTC), received_at=datetime.now(UTC),
                     width=body.width, height=body.height, boxes=body.frame_boxes(),
                     jpeg=body.jpeg)
    request.state.audited = True  # a preview stream is not a command: no row per frame
    return PreviewAccepted(frame=kept.frame if kept else None)


@router.get("/{modality}", response_model=PreviewOut,
            responses={204: {"description": "no frame newer than `after`"},
                       403: {"description": "another department's vehicle"},
                       404: {"description": "unknown vehicle, or no picture from it yet"}})
async def get_preview(
    vehicle_id: str, modality: Modality, relay: CameraRelayDep, fleet: FleetDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, description="the last frame number shown")] = 0,
) -> PreviewOut | Response:
    try:
        department = fleet.state(vehicle_id).spec.department
    except UnknownVehicle as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            detail=f"unknown vehicle {vehicle_id!r}") from e
    require(principal, Action.READ, department)
    preview = relay.latest(vehicle_id, modality)
    if preview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            detail=f"no picture from {vehicle_id}'s {modality} camera yet")
    if preview.frame <= after:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return PreviewOut.from_domain(preview)
