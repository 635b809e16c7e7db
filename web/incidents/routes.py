"""`/api/incidents`: report an incident (dispatched at once), preview a dispatch, list, cancel.

Shapes (see /docs for the full schemas):

- `POST /api/incidents` body `{"type": "fire", "geometry": {"type": "Point", "coordinates":
  [lon, lat]}, "priority": 1, "note": "...", "department"?: "fire", "vehicles"?: 1}` → 201
  `IncidentOut` `{"id", "state", "mission_ids", "explanation", ...}`; the dispatch has happened
  when the answer arrives (state `dispatched` and a mission id when a vehicle fits, `new` with
  the explanation of why none fits otherwise; supervision retries every few seconds).
- `POST /api/incidents/preview` same body → 200 `PreviewOut` `{"incident", "tasks": [{
  "vehicle_id", "eta_s", "battery_margin_pct", "preempts_priority", "summary", "items"...}],
  "explanation"}`: what the POST would dispatch now; stores nothing, publishes nothing.
- `GET /api/incidents[?state=active]`, `GET /api/incidents/{id}` → `IncidentOut`.
- `POST /api/incidents/{id}/cancel` → 200 `IncidentOut` (missions aborted, vehicles recalled);
  409 when it has already ended.

A refused report is 422 `{"detail": [{"field", "reason"}, ...]}` listing every problem, and
nothing is stored. Users see and act on their departments' incidents only (403 with the
reason otherwise); an incident's department comes from the report or its type.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from fleet.incidents import IncidentRejected, IncidentReport, check_incident
from fleet.lifecycle import IncidentState
from fleet.store.operations import IncidentRecord
from fleet.supervisor import Supervisor
from web.auth.deps import PrincipalDep, require, visible_departments
from web.auth.roles import Action, Principal
from web.incidents.deps import SupervisorDep, refusals_as_http
from web.incidents.schemas import IncidentBody, IncidentOut, PreviewOut, Refused

router = APIRouter(prefix="/incidents", tags=["incidents"])

_REFUSED = {422: {"model": Refused, "description": "every problem with the report"}}
_FORBIDDEN = {403: {"description": "another department's incident; `detail` says why"}}
_NOT_FOUND = {404: {"description": "unknown incident"}}


@router.post("", status_code=status.HTTP_201_CREATED, responses={**_REFUSED, **_FORBIDDEN})
async def report_incident(body: IncidentBody, supervisor: SupervisorDep,
                          principal: PrincipalDep, request: Request) -> IncidentOut:
    """Store the incident and dispatch it before answering."""
    request.state.audit_action = "report_incident"
    report = checked_report(body, principal, supervisor)
    incident = await supervisor.report(report)
    return _out(supervisor, incident)


@router.post("/preview", responses={**_REFUSED, **_FORBIDDEN})
async def preview_incident(body: IncidentBody, supervisor: SupervisorDep,
                           principal: PrincipalDep) -> PreviewOut:
    """The assignment the same POST to `/api/incidents` would make now, with plans and the
    dispatcher's explanation; nothing is stored and no event is published."""
    return PreviewOut.from_preview(supervisor.preview(checked_report(body, principal, supervisor)))


@router.get("")
async def list_incidents(supervisor: SupervisorDep, principal: PrincipalDep,
                         state: IncidentState | None = None) -> list[IncidentOut]:
    """The incidents of the user's departments, oldest first."""
    visible = visible_departments(principal)
    return [_out(supervisor, i) for i in supervisor.incidents()
            if i.department in visible and (state is None or i.state is state)]


@router.get("/{incident_id}", responses={**_NOT_FOUND, **_FORBIDDEN})
async def get_incident(incident_id: str, supervisor: SupervisorDep,
                       principal: PrincipalDep) -> IncidentOut:
    with refusals_as_http():
        incident = supervisor.incident(incident_id)
    require(principal, Action.READ, incident.department)
    return _out(supervisor, incident)


@router.post("/{incident_id}/cancel",
             responses={**_NOT_FOUND, **_FORBIDDEN,
                        409: {"description": "the incident has already ended"}})
async def cancel_incident(incident_id: str, supervisor: SupervisorDep, principal: PrincipalDep,
                          request: Request) -> IncidentOut:
    """Call the incident off: its missions are aborted and their vehicles sent home."""
    request.state.audit_action = "cancel_incident"
    with refusals_as_http():
        incident = supervisor.incident(incident_id)
        require(principal, Action.MANAGE_INCIDENTS, incident.department)
        incident = await supervisor.cancel_incident(incident_id)
    return _out(supervisor, incident)


def checked_report(body: IncidentBody, principal: Principal, supervisor: Supervisor,
                   field_prefix: str = "") -> IncidentReport:
    """The validated report (422 with every problem, fields after `field_prefix`; an area
    larger than the fleet's drones can cover is one), which the user may file (403
    otherwise)."""
    home = sorted(d.value for d in principal.departments)
    try:
        report = check_incident(type=body.type, geometry=body.geometry, priority=body.priority,
                                note=body.note, department=body.department,
                                reporter=principal.username,
                                reporter_department=home[0] if home else None,
                                vehicles=body.vehicles, coverage=supervisor.coverage())
    except IncidentRejected as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=[{"field": f"{field_prefix}{i.field}", "reason": i.reason}
                                    for i in e.issues]) from e
    require(principal, Action.MANAGE_INCIDENTS, report.department)
    return report


def _out(supervisor: Supervisor, incident: IncidentRecord) -> IncidentOut:
    return IncidentOut.from_record(incident, [m.id for m in supervisor.missions(incident.id)])
