"""Which incident a vehicle's detections belong to: that of the task it is flying now."""

from __future__ import annotations

from fastapi import FastAPI

from fleet.lifecycle import TaskState
from fleet.supervisor import Supervisor

#: A vehicle doing one of these is out for its task's incident.
WORKING = frozenset({TaskState.LAUNCHING, TaskState.TRANSIT, TaskState.ON_STATION,
                     TaskState.RETURNING})


def incidents_by_vehicle(app: FastAPI) -> dict[str, str]:
    """vehicle id -> incident id of its live task, for vehicles out on an incident's mission.

    Empty when the server runs without supervision (no incidents to attach to).
    """
    supervisor: Supervisor | None = getattr(app.state, "supervisor", None)
    if supervisor is None:
        return {}
    out: dict[str, str] = {}
    for mission in supervisor.missions():
        if mission.incident_id is None:
            continue
        for task in supervisor.tasks(mission.id):
            if task.state in WORKING:
                out[task.vehicle_id] = mission.incident_id
    return out
