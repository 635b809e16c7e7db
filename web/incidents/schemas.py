"""Shapes of `/api/incidents`: the report as posted, the incident as stored, the preview.

The report's fields are loosely typed on purpose: `fleet.incidents.check_incident` checks them
all and answers with every problem at once (field and reason), which pydantic's per-type
coercion would cut short at the first wrong type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from fleet.lifecycle import IncidentState
from fleet.store.operations import IncidentRecord
from fleet.supervision_rules import explanation_doc
from fleet.supervisor import Preview
from mission.items import item_to_dict

REPORT_EXAMPLE = {
    "type": "fire",
    "geometry": {"type": "Point", "coordinates": [114.0579, 22.5431]},
    "priority": 1,
    "note": "smoke over the ridge behind the school",
}


class IncidentBody(BaseModel):
    """An incident report (`POST /api/incidents` and `/api/incidents/preview`)."""

    model_config = {"json_schema_extra": {"examples": [REPORT_EXAMPLE]}}

    type: str = Field(description="fire | traffic_accident | person_search | reservoir_patrol "
                                  "| survey_3d | delivery | broadcast")
    geometry: Any = Field(description="GeoJSON Point or Polygon, [lon, lat] order; which kinds "
                                      "a type accepts: fire Point|Polygon, traffic_accident "
                                      "Point, person_search/reservoir_patrol/survey_3d Polygon, "
                                      "delivery/broadcast Point")
    priority: Any = Field(default=3, description="1 (most urgent) .. 5")
    note: str = Field(default="", max_length=10_000)
    department: str | None = Field(default=None, description="fire | traffic | water; default "
                                   "from the type (fire and person_search: fire, "
                                   "traffic_accident: traffic, reservoir_patrol: water, others: "
                                   "the reporter's department)")
    vehicles: Any = Field(default=None, description="vehicles to send, 1..10 (a person search "
                                                    "splits its area between them); default 1")


class Problem(BaseModel):
    field: str = Field(description='e.g. "geometry.coordinates[0][2][1]"')
    reason: str


class Refused(BaseModel):
    """The 422 body of a refused report: every problem, nothing stored."""

    detail: list[Problem]


class IncidentOut(BaseModel):
    id: str
    type: str
    department: str
    priority: int
    state: IncidentState
    geometry: dict[str, Any]
    note: str
    reporter: str
    vehicles: int
    mission_ids: list[str]
    #: The dispatcher's explanation: `summary`, `shortfall` and `candidates` (each with
    #: `vehicle_id`, `verdict` chosen|feasible|rejected, `eta_s`, `battery_margin_pct`,
    #: `reasons`, `preempts_priority`); None until a dispatch was tried.
    explanation: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, r: IncidentRecord, mission_ids: list[str]) -> IncidentOut:
        return cls(id=r.id, type=r.type, department=r.department, priority=r.priority,
                   state=r.state, geometry=r.geometry, note=r.note, reporter=r.reporter,
                   vehicles=r.vehicles, mission_ids=mission_ids, explanation=r.explanation,
                   created_at=r.created_at, updated_at=r.updated_at)


class ProposedTask(BaseModel):
    """One vehicle's part as it would be dispatched."""

    vehicle_id: str
    eta_s: float = Field(description="launch delay plus flight to the scene")
    battery_margin_pct: float = Field(description="battery left above the reserve after the "
                                                  "whole task (out, on station, back)")
    preempts_priority: int | None = Field(description="priority of the task it would cancel")
    summary: str
    work_from: int = Field(description="first item of the work on scene")
    return_from: int = Field(description="the return-to-launch item")
    items: list[dict[str, Any]] = Field(description="the plan's items (mission.items dicts)")


class ProposedIncident(BaseModel):
    """The report as it would be stored (validated, department resolved)."""

    type: str
    department: str
    priority: int
    geometry: dict[str, Any]
    note: str
    reporter: str
    vehicles: int


class PreviewOut(BaseModel):
    incident: ProposedIncident
    tasks: list[ProposedTask]
    explanation: dict[str, Any] = Field(description="as in IncidentOut.explanation; its "
                                                    "`incident_id` is \"preview\"")

    @classmethod
    def from_preview(cls, p: Preview) -> PreviewOut:
        r = p.report
        tasks = [ProposedTask(vehicle_id=a.vehicle_id, eta_s=a.eta_s,
                              battery_margin_pct=a.battery_margin_pct,
                              preempts_priority=a.preempts_priority, summary=plan.summary,
                              work_from=plan.work_from, return_from=plan.return_from,
                              items=[item_to_dict(i) for i in plan.items])
                 for a, plan in zip(p.assignments, p.plans, strict=True)]
        return cls(incident=ProposedIncident(type=r.type.value, department=r.department,
                                             priority=r.priority, geometry=r.geometry,
                                             note=r.note, reporter=r.reporter,
                                             vehicles=r.vehicles),
                   tasks=tasks, explanation=explanation_doc(p.explanation))
