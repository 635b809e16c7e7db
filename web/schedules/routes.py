"""`/api/schedules`: recurring patrols (a reservoir twice a day, a road corridor every hour).

Shapes (see /docs for the full schemas):

- `POST /api/schedules` `{"name": "reservoir morning round", "incident": {<an incident report,
  as for POST /api/incidents>}, "period_s": 43200, "first_run_at"?: "2026-11-26T06:00:00Z"}`
  → 201 `ScheduleOut`; the first run is `first_run_at` (default: now), then every `period_s`
  (60 s or more). A refused report is 422 with fields under `incident.`, nothing stored.
- `GET /api/schedules` → `[ScheduleOut]` `{"id", "name", "department", "incident",
  "period_s", "next_run_at", "last_run_at", "enabled", "created_at", "missed_runs",
  "last_missed_at"}`.
- `POST /api/schedules/{id}/disable`, `/enable` → `ScheduleOut`.

Each run reports its incident (dispatched as any other) and publishes a `schedule` event
`{"schedule_id", "what": "run", "slot", "incident_id"}`; slots that passed while the server was
down are published as `"what": "missed"` and counted in `missed_runs`, not skipped in silence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from fleet.scheduler import MIN_PERIOD_S
from fleet.store.operations import ScheduleRecord, utc_now
from fleet.supervisor import Supervisor
from web.auth.deps import PrincipalDep, require, visible_departments
from web.auth.roles import Action, Principal
from web.incidents.deps import SupervisorDep, refusals_as_http
from web.incidents.routes import checked_report
from web.incidents.schemas import REPORT_EXAMPLE, IncidentBody, Refused

router = APIRouter(prefix="/schedules", tags=["schedules"])

_FORBIDDEN = {403: {"description": "another department's schedule; `detail` says why"}}
_NOT_FOUND = {404: {"description": "unknown schedule"}}


class ScheduleBody(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "name": "reservoir twice a day", "period_s": 43200,
        "incident": {**REPORT_EXAMPLE, "type": "reservoir_patrol", "priority": 4}}]}}

    name: str = Field(min_length=1, max_length=200)
    incident: IncidentBody
    period_s: float = Field(ge=MIN_PERIOD_S, description="seconds between runs")
    first_run_at: datetime | None = Field(default=None, description="UTC; default: now")


class ScheduleOut(BaseModel):
    id: str
    name: str
    department: str
    incident: dict[str, Any]
    period_s: float
    next_run_at: datetime
    last_run_at: datetime | None
    enabled: bool
    created_at: datetime
    missed_runs: int = Field(description="slots that passed without a run (server down)")
    last_missed_at: datetime | None

    @classmethod
    def from_record(cls, s: ScheduleRecord) -> ScheduleOut:
        return cls(id=s.id, name=s.name, department=s.department, incident=s.incident,
                   period_s=s.period_s, next_run_at=s.next_run_at, last_run_at=s.last_run_at,
                   enabled=s.enabled, created_at=s.created_at, missed_runs=s.missed_runs,
                   last_missed_at=s.last_missed_at)


@router.get("")
async def list_schedules(supervisor: SupervisorDep,
                         principal: PrincipalDep) -> list[ScheduleOut]:
    visible = visible_departments(principal)
    return [ScheduleOut.from_record(s) for s in supervisor.schedules()
            if s.department in visible]


@router.post("", status_code=status.HTTP_201_CREATED,
             responses={422: {"model": Refused}, **_FORBIDDEN})
async def add_schedule(body: ScheduleBody, supervisor: SupervisorDep, principal: PrincipalDep,
                       request: Request) -> ScheduleOut:
    request.state.audit_action = "add_schedule"
    report = checked_report(body.incident, principal, supervisor,
                            field_prefix="incident.")
    first = body.first_run_at or utc_now()
    first = first.replace(tzinfo=UTC) if first.tzinfo is None else first.astimezone(UTC)
    return ScheduleOut.from_record(supervisor.add_schedule(body.name, report, body.period_s,
                                                           first))


@router.post("/{schedule_id}/disable", responses={**_NOT_FOUND, **_FORBIDDEN})
async def disable_schedule(schedule_id: str, supervisor: SupervisorDep,
                           principal: PrincipalDep) -> ScheduleOut:
    return _switch(supervisor, principal, schedule_id, enabled=False)


@router.post("/{schedule_id}/enable", responses={**_NOT_FOUND, **_FORBIDDEN})
async def enable_schedule(schedule_id: str, supervisor: SupervisorDep,
                          principal: PrincipalDep) -> ScheduleOut:
    return _switch(supervisor, principal, schedule_id, enabled=True)


def _switch(supervisor: Supervisor, principal: Principal, schedule_id: str,
            enabled: bool) -> ScheduleOut:
    with refusals_as_http():
        s = supervisor.schedule(schedule_id)
    require(principal, Action.MANAGE_INCIDENTS, s.department)
    return ScheduleOut.from_record(supervisor.enable_schedule(schedule_id, enabled))
