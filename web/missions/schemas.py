"""Shapes of `/api/missions`: a mission with its tasks (one per vehicle) and their plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from fleet.lifecycle import MissionState, TaskState
from fleet.store.operations import MissionRecord, TaskRecord


class TaskOut(BaseModel):
    id: str
    vehicle_id: str
    state: TaskState
    progress: float = Field(description="0..1 through the plan's items")
    reason: str = Field(description="why it last changed state")
    summary: str
    share: int = Field(description="which part of the mission's work (a search split three "
                                   "ways has shares 0, 1, 2; a relief carries on its share)")
    relieves: str | None = Field(description="task id this one took over from, when a relief")
    replaces: str | None = Field(description="task id of a failed task this one replaces")
    plan: dict[str, Any] = Field(description='{"items": [...], "work_from", "return_from"}')
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, t: TaskRecord) -> TaskOut:
        p = t.plan
        return cls(id=t.id, vehicle_id=t.vehicle_id, state=t.state, progress=t.progress,
                   reason=t.reason, summary=p["summary"], share=p["share"],
                   relieves=p.get("relieves"), replaces=p.get("replaces"),
                   plan={"items": p["items"], "work_from": p["work_from"],
                         "return_from": p["return_from"]},
                   created_at=t.created_at, updated_at=t.updated_at)


class MissionOut(BaseModel):
    id: str
    incident_id: str | None
    department: str
    state: MissionState
    reason: str
    tasks: list[TaskOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, m: MissionRecord, tasks: list[TaskRecord]) -> MissionOut:
        return cls(id=m.id, incident_id=m.incident_id, department=m.department, state=m.state,
                   reason=m.reason, tasks=[TaskOut.from_record(t) for t in tasks],
                   created_at=m.created_at, updated_at=m.updated_at)
