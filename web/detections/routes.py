"""`/api/detections`: the onboard bridges' uplink, and the detections for everyone else.

- `POST /api/detections` (vehicle credentials only, each item for the credential's own vehicle)
  body `{"detections": [DetectionIn...], "objects": [ObjectIn...]}` → 200
  `{"stored": [ids], "duplicates": [ids]}`. Idempotent by item id: a resent batch is answered
  with its ids as duplicates and stores nothing. Each stored detection publishes a `detection`
  event and each object update an `object` event on the durable event log (so `/ws` carries
  them); evidence crops go to `<data_dir>/evidence`. An object's `object_id` is the ground
  object its track belongs to: the one another drone already reports there (`fusion`), else
  `<vehicle>/<track>`. 422 names the field and the reason and stores nothing; 503 when the
  event journal refused a write (retry later).
- `GET /api/detections?since=<seq>&label=&incident_id=&vehicle_id=&limit=` → the stored
  detections of the user's departments' vehicles with `seq > since`, oldest first. `since` is
  the event sequence number, so a detection that arrives late (after a link cut) still shows
  up for a client that polls from its last seq.
- `GET /api/detections/objects?limit=` → the latest state of each tracked object (the body of
  its last `object` event, with `seq`), most recently updated last: what a console draws when
  it opens, before the `object` events that follow.
- `GET /api/detections/{id}` and `GET /api/detections/{id}/crop` (the JPEG).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.requests import HTTPConnection
from fastapi.responses import FileResponse

from fleet.events import EventNotStored
from web.auth.deps import (
    PrincipalDep,
    VehiclePrincipalDep,
    authenticate,
    require_own_vehicle,
    visible_departments,
)
from web.auth.roles import ALL_DEPARTMENT_ROLES, Principal
from web.deps import EventsDep, FleetDep
from web.detections.incidents import incidents_by_vehicle
from web.detections.schemas import (
    LABEL,
    DetectionIn,
    DetectionOut,
    ObjectIn,
    ObjectOut,
    UplinkBatch,
    UplinkResult,
)
from web.detections.store import DetectionStore, NewRow, track_fix

router = APIRouter(prefix="/api/detections", tags=["detections"],
                   dependencies=[Depends(authenticate)])


def get_detection_store(conn: HTTPConnection) -> DetectionStore:
    store: DetectionStore = conn.app.state.detections
    return store


DetectionStoreDep = Annotated[DetectionStore, Depends(get_detection_store)]


@router.post("", responses={403: {"description": "not this vehicle's credentials"},
                            503: {"description": "not stored; send the batch again later"}})
async def post_detections(batch: UplinkBatch, principal: VehiclePrincipalDep,
                          store: DetectionStoreDep, events: EventsDep,
                          request: Request) -> UplinkResult:
    """Store a batch from an onboard bridge; every id comes back as stored or duplicate."""
    items: list[DetectionIn | ObjectIn] = [*batch.detections, *batch.objects]
    for item in items:
        require_own_vehicle(principal, item.vehicle_id)
    incidents = incidents_by_vehicle(request.app) if items else {}
    rows = [_row(item, item.incident_id or incidents.get(item.vehicle_id), store)
            for item in items]
    try:
        stored, duplicates = store.add(rows, events.publish)
    except EventNotStored as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(e),
                            headers={"Retry-After": "5"}) from e
    return UplinkResult(stored=stored, duplicates=duplicates)


@router.get("")
async def list_detections(
    store: DetectionStoreDep, fleet: FleetDep, principal: PrincipalDep,
    since: Annotated[int, Query(ge=0, description="event seq of the last one seen")] = 0,
    label: Annotated[str | None, Query(pattern=LABEL)] = None,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    vehicle_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[DetectionOut]:
    """Detections after `since`, of the vehicles the user's departments see, oldest first."""
    visible = _visible_vehicles(principal, fleet)
    if vehicle_id is not None:
        visible = [vehicle_id] if visible is None or vehicle_id in visible else []
    rows = store.detections(since_seq=since, label=label, incident_id=incident_id,
                            vehicle_ids=visible, limit=limit)
    return [DetectionOut(seq=seq, **data) for seq, data in rows]


@router.get("/objects")
async def list_objects(
    store: DetectionStoreDep, fleet: FleetDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ObjectOut]:
    """Each tracked object's latest state, of the vehicles the user's departments see."""
    rows = store.objects(vehicle_ids=_visible_vehicles(principal, fleet), limit=limit)
    return [ObjectOut(seq=seq, **data) for seq, data in rows]


@router.get("/{detection_id}", responses={404: {"description": "no such detection"}})
async def get_detection(detection_id: str, store: DetectionStoreDep, fleet: FleetDep,
                        principal: PrincipalDep) -> DetectionOut:
    seq, data = _visible_detection(detection_id, store, fleet, principal)
    return DetectionOut(seq=seq, **data)


@router.get("/{detection_id}/crop", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}},
                       404: {"description": "no such detection, or it came without a crop"}})
async def get_crop(detection_id: str, store: DetectionStoreDep, fleet: FleetDep,
                   principal: PrincipalDep) -> FileResponse:
    """The evidence the vehicle sent with the detection: the box and a margin, as JPEG."""
    _, data = _visible_detection(detection_id, store, fleet, principal)
    path = store.crop_path(detection_id)
    if data.get("crop_url") is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            detail=f"detection {detection_id} came without a crop")
    return FileResponse(path, media_type="image/jpeg")


def _row(item: DetectionIn | ObjectIn, incident_id: str | None,
         store: DetectionStore) -> NewRow:
    if isinstance(item, DetectionIn):
        return NewRow(id=item.id, event_type="detection", crop_jpeg=item.crop_jpeg,
                      data=item.event_data(incident_id=incident_id,
                                           has_crop=item.crop_jpeg is not None),
                      columns={"vehicle_id": item.vehicle_id, "incident_id": incident_id,
                               "label": item.label, "t": item.captured_at})
    data = item.event_data(incident_id=incident_id)
    data["object_id"] = store.fusion.object_id(track_fix(data))  # one for what two drones see
    return NewRow(id=item.id, event_type="object", data=data,
                  columns={"vehicle_id": item.vehicle_id, "track_id": item.track_id,
                           "label": item.label, "lat_deg": item.lat_deg,
                           "lon_deg": item.lon_deg})


def _visible_vehicles(principal: Principal, fleet: FleetDep) -> list[str] | None:
    """Vehicle ids whose detections `principal` may read; None: all, unknown vehicles too."""
    if principal.role in ALL_DEPARTMENT_ROLES:
        return None
    departments = {d.value for d in visible_departments(principal)}
    return [spec.id for spec in fleet.specs() if spec.department in departments]


def _visible_detection(detection_id: str, store: DetectionStore, fleet: FleetDep,
                       principal: Principal) -> tuple[int, dict[str, Any]]:
    """(seq, body) of the detection; 404 alike for unknown and for another department's."""
    found = store.detection(detection_id)
    visible = _visible_vehicles(principal, fleet)
    if found is None or (visible is not None and found[1]["vehicle_id"] not in visible):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no detection {detection_id}")
    return found
