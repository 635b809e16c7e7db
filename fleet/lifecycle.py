"""The documented vocabulary of incidents, missions and tasks, and the moves between states.

Each state says what it asks of the people watching (as rmf_task documents its statuses), and
the transition tables are the single place that decides what may follow what: supervision,
the API and the console all go through `advance`, which refuses an illegal move with the
allowed alternatives, so an operator's mistaken "resume" on a finished mission is a clear 409,
not a corrupted record. Every accepted move is published as an event by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar


class IncidentState(StrEnum):
    NEW = "new"  #: reported; no vehicle assigned yet (none fit, or awaiting confirmation)
    DISPATCHED = "dispatched"  #: vehicles assigned, none on scene yet
    ACTIVE = "active"  #: at least one vehicle is working on scene
    RESOLVED = "resolved"  #: every task ended; the incident is closed
    CANCELLED = "cancelled"  #: called off by an operator; vehicles were recalled


class MissionState(StrEnum):
    PLANNED = "planned"  #: built and validated, not started
    ACTIVE = "active"  #: vehicles are executing it
    PAUSED = "paused"  #: vehicles hold position; an operator decides what next
    COMPLETED = "completed"  #: every task done
    FAILED = "failed"  #: cannot finish even with intervention; see the failed task's reason
    ABORTED = "aborted"  #: stopped by an operator; vehicles returned


class TaskState(StrEnum):
    PLANNED = "planned"  #: one vehicle's part, not yet handed to it
    QUEUED = "queued"  #: waiting for its vehicle (charging, finishing another task)
    LAUNCHING = "launching"  #: dock opening, arming, climbing out
    TRANSIT = "transit"  #: flying to the work area
    ON_STATION = "on_station"  #: working: orbit, sweep, watch
    RETURNING = "returning"  #: flying back to its dock
    DONE = "done"  #: back on the dock, work finished
    FAILED = "failed"  #: the vehicle could not carry on (link lost, refused, battery)
    CANCELLED = "cancelled"  #: called off before it finished


INCIDENT_MOVES: Mapping[IncidentState, frozenset[IncidentState]] = {
    IncidentState.NEW: frozenset({IncidentState.DISPATCHED, IncidentState.CANCELLED}),
    IncidentState.DISPATCHED: frozenset(
        {IncidentState.ACTIVE, IncidentState.NEW, IncidentState.CANCELLED}
    ),
    IncidentState.ACTIVE: frozenset({IncidentState.RESOLVED, IncidentState.CANCELLED}),
    IncidentState.RESOLVED: frozenset(),
    IncidentState.CANCELLED: frozenset(),
}

MISSION_MOVES: Mapping[MissionState, frozenset[MissionState]] = {
    MissionState.PLANNED: frozenset({MissionState.ACTIVE, MissionState.ABORTED}),
    MissionState.ACTIVE: frozenset(
        {MissionState.PAUSED, MissionState.COMPLETED, MissionState.FAILED, MissionState.ABORTED}
    ),
    MissionState.PAUSED: frozenset(
        {MissionState.ACTIVE, MissionState.FAILED, MissionState.ABORTED}
    ),
    MissionState.COMPLETED: frozenset(),
    MissionState.FAILED: frozenset(),
    MissionState.ABORTED: frozenset(),
}

_ENDS = frozenset({TaskState.FAILED, TaskState.CANCELLED})
TASK_MOVES: Mapping[TaskState, frozenset[TaskState]] = {
    TaskState.PLANNED: frozenset({TaskState.QUEUED, TaskState.LAUNCHING}) | _ENDS,
    TaskState.QUEUED: frozenset({TaskState.LAUNCHING}) | _ENDS,
    TaskState.LAUNCHING: frozenset({TaskState.TRANSIT}) | _ENDS,
    # Recalled on the way out (relief arrived, incident cancelled): straight to returning.
    TaskState.TRANSIT: frozenset({TaskState.ON_STATION, TaskState.RETURNING}) | _ENDS,
    TaskState.ON_STATION: frozenset({TaskState.RETURNING}) | _ENDS,
    TaskState.RETURNING: frozenset({TaskState.DONE, TaskState.FAILED}),
    TaskState.DONE: frozenset(),
    TaskState.FAILED: frozenset(),
    TaskState.CANCELLED: frozenset(),
}

S = TypeVar("S", IncidentState, MissionState, TaskState)


class IllegalTransition(ValueError):
    """A move the state table forbids; the message names what is allowed instead."""


def advance(moves: Mapping[S, frozenset[S]], current: S, target: S, *, what: str) -> S:
    """Return `target` if `current -> target` is allowed, else raise `IllegalTransition`."""
    if target in moves[current]:
        return target
    allowed = ", ".join(sorted(moves[current])) or "nothing (it has ended)"
    raise IllegalTransition(f"{what} cannot go from {current} to {target}; allowed: {allowed}")


def is_final(moves: Mapping[S, frozenset[S]], state: S) -> bool:
    return not moves[state]
