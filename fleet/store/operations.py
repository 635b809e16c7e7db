"""Incidents, missions, tasks and schedules as stored records, and the repository that keeps them.

Records are frozen values; a change is a new record written with `save_*` in one transaction.
State moves are decided elsewhere (`fleet.lifecycle.advance`, called by the supervisor); this
module only makes them durable, so that after a `kill -9` the server finds every incident and
mission exactly as last committed. Ids are short and readable (`inc-12`, `m-7`, `t-9`) and come
from the `counters` table, so they never repeat across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from fleet.lifecycle import IncidentState, MissionState, TaskState
from fleet.store.operations_schema import incidents, missions, schedules, tasks
from fleet.store.schema import counters


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentRecord:
    id: str
    type: str
    department: str
    priority: int
    state: IncidentState
    geometry: dict[str, Any]
    note: str
    reporter: str
    vehicles: int
    explanation: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionRecord:
    id: str
    incident_id: str | None
    department: str
    state: MissionState
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskRecord:
    id: str
    mission_id: str
    vehicle_id: str
    department: str
    state: TaskState
    progress: float  #: 0..1 through the plan's items
    #: {"items": [item dicts], "work_from": int, "return_from": int, "summary": str}
    plan: dict[str, Any]
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleRecord:
    id: str
    name: str
    department: str
    incident: dict[str, Any]  #: the incident report to raise at each run
    period_s: float
    next_run_at: datetime
    last_run_at: datetime | None
    enabled: bool
    created_at: datetime
    missed_runs: int = 0  #: slots that passed without a run (server down, or stopped)
    last_missed_at: datetime | None = None  #: the newest of them


def utc_now() -> datetime:
    return datetime.now(UTC)


class OperationsStore:
    """Synchronous repository over SQLAlchemy Core (each call is one short transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def next_id(self, prefix: str) -> str:
        """`prefix-N` with N from a counter that survives restarts."""
        name = f"id:{prefix}"
        with self._engine.begin() as c:
            value = c.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
            if value is None:
                c.execute(insert(counters).values(name=name, value=1))
                return f"{prefix}-1"
            c.execute(update(counters).where(counters.c.name == name).values(value=value + 1))
            return f"{prefix}-{value + 1}"

    # -- incidents ----------------------------------------------------------------------------

    def add_incident(self, r: IncidentRecord) -> None:
        with self._engine.begin() as c:
            c.execute(insert(incidents).values(**_incident_row(r)))

    def save_incident(self, r: IncidentRecord) -> IncidentRecord:
        r = replace(r, updated_at=utc_now())
        with self._engine.begin() as c:
            c.execute(update(incidents).where(incidents.c.id == r.id).values(**_incident_row(r)))
        return r

    def incident(self, incident_id: str) -> IncidentRecord | None:
        with self._engine.connect() as c:
            row = c.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return None if row is None else _incident(row)

    def incidents(self, states: frozenset[IncidentState] | None = None) -> list[IncidentRecord]:
        query = select(incidents).order_by(incidents.c.created_at)
        if states is not None:
            query = query.where(incidents.c.state.in_([s.value for s in states]))
        with self._engine.connect() as c:
            return [_incident(row) for row in c.execute(query)]

    # -- missions and tasks -------------------------------------------------------------------

    def add_mission(self, m: MissionRecord, new_tasks: list[TaskRecord]) -> None:
        """A mission and its tasks in one transaction: never a mission without its tasks."""
        with self._engine.begin() as c:
            c.execute(insert(missions).values(**_mission_row(m)))
            for t in new_tasks:
                c.execute(insert(tasks).values(**_task_row(t)))

    def add_task(self, t: TaskRecord) -> None:
        with self._engine.begin() as c:
            c.execute(insert(tasks).values(**_task_row(t)))

    def save_mission(self, m: MissionRecord) -> MissionRecord:
        m = replace(m, updated_at=utc_now())
        with self._engine.begin() as c:
            c.execute(update(missions).where(missions.c.id == m.id).values(**_mission_row(m)))
        return m

    def save_task(self, t: TaskRecord) -> TaskRecord:
        t = replace(t, updated_at=utc_now())
        with self._engine.begin() as c:
            c.execute(update(tasks).where(tasks.c.id == t.id).values(**_task_row(t)))
        return t

    def mission(self, mission_id: str) -> MissionRecord | None:
        with self._engine.connect() as c:
            row = c.execute(select(missions).where(missions.c.id == mission_id)).first()
        return None if row is None else _mission(row)

    def missions(self, incident_id: str | None = None,
                 states: frozenset[MissionState] | None = None) -> list[MissionRecord]:
        query = select(missions).order_by(missions.c.created_at)
        if incident_id is not None:
            query = query.where(missions.c.incident_id == incident_id)
        if states is not None:
            query = query.where(missions.c.state.in_([s.value for s in states]))
        with self._engine.connect() as c:
            return [_mission(row) for row in c.execute(query)]

    def tasks(self, mission_id: str | None = None,
              states: frozenset[TaskState] | None = None) -> list[TaskRecord]:
        query = select(tasks).order_by(tasks.c.created_at, tasks.c.id)
        if mission_id is not None:
            query = query.where(tasks.c.mission_id == mission_id)
        if states is not None:
            query = query.where(tasks.c.state.in_([s.value for s in states]))
        with self._engine.connect() as c:
            return [_task(row) for row in c.execute(query)]

    def task(self, task_id: str) -> TaskRecord | None:
        with self._engine.connect() as c:
            row = c.execute(select(tasks).where(tasks.c.id == task_id)).first()
        return None if row is None else _task(row)

    # -- schedules ----------------------------------------------------------------------------

    def add_schedule(self, s: ScheduleRecord) -> None:
        with self._engine.begin() as c:
            c.execute(insert(schedules).values(**_schedule_row(s)))

    def save_schedule(self, s: ScheduleRecord) -> None:
        with self._engine.begin() as c:
            c.execute(update(schedules).where(schedules.c.id == s.id).values(**_schedule_row(s)))

    def schedules(self) -> list[ScheduleRecord]:
        with self._engine.connect() as c:
            return [_schedule(row) for row in
                    c.execute(select(schedules).order_by(schedules.c.created_at))]


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _incident_row(r: IncidentRecord) -> dict[str, Any]:
    return {"id": r.id, "type": r.type, "department": r.department, "priority": r.priority,
            "state": r.state.value, "geometry": r.geometry, "note": r.note,
            "reporter": r.reporter, "vehicles": r.vehicles, "explanation": r.explanation,
            "created_at": r.created_at, "updated_at": r.updated_at}


def _incident(row: Row[Any]) -> IncidentRecord:
    m = row._mapping
    return IncidentRecord(id=m["id"], type=m["type"], department=m["department"],
                          priority=m["priority"], state=IncidentState(m["state"]),
                          geometry=m["geometry"], note=m["note"], reporter=m["reporter"],
                          vehicles=m["vehicles"], explanation=m["explanation"],
                          created_at=_utc(m["created_at"]), updated_at=_utc(m["updated_at"]))


def _mission_row(r: MissionRecord) -> dict[str, Any]:
    return {"id": r.id, "incident_id": r.incident_id, "department": r.department,
            "state": r.state.value, "reason": r.reason, "created_at": r.created_at,
            "updated_at": r.updated_at}


def _mission(row: Row[Any]) -> MissionRecord:
    m = row._mapping
    return MissionRecord(id=m["id"], incident_id=m["incident_id"], department=m["department"],
                         state=MissionState(m["state"]), reason=m["reason"],
                         created_at=_utc(m["created_at"]), updated_at=_utc(m["updated_at"]))


def _task_row(r: TaskRecord) -> dict[str, Any]:
    return {"id": r.id, "mission_id": r.mission_id, "vehicle_id": r.vehicle_id,
            "department": r.department, "state": r.state.value, "progress": r.progress,
            "plan": r.plan, "reason": r.reason, "created_at": r.created_at,
            "updated_at": r.updated_at}


def _task(row: Row[Any]) -> TaskRecord:
    m = row._mapping
    return TaskRecord(id=m["id"], mission_id=m["mission_id"], vehicle_id=m["vehicle_id"],
                      department=m["department"], state=TaskState(m["state"]),
                      progress=m["progress"], plan=m["plan"], reason=m["reason"],
                      created_at=_utc(m["created_at"]), updated_at=_utc(m["updated_at"]))


def _schedule_row(s: ScheduleRecord) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "department": s.department, "incident": s.incident,
            "period_s": s.period_s, "next_run_at": s.next_run_at, "last_run_at": s.last_run_at,
            "enabled": s.enabled, "created_at": s.created_at, "missed_runs": s.missed_runs,
            "last_missed_at": s.last_missed_at}


def _schedule(row: Row[Any]) -> ScheduleRecord:
    m = row._mapping
    last, missed = m["last_run_at"], m["last_missed_at"]
    return ScheduleRecord(id=m["id"], name=m["name"], department=m["department"],
                          incident=m["incident"], period_s=m["period_s"],
                          next_run_at=_utc(m["next_run_at"]),
                          last_run_at=None if last is None else _utc(last),
                          enabled=m["enabled"], created_at=_utc(m["created_at"]),
                          missed_runs=m["missed_runs"],
                          last_missed_at=None if missed is None else _utc(missed))
