"""Incident, mission and task state tables: legal paths pass, illegal moves say what is allowed."""

import pytest

from fleet.lifecycle import (
    INCIDENT_MOVES,
    MISSION_MOVES,
    TASK_MOVES,
    IllegalTransition,
    IncidentState,
    MissionState,
    TaskState,
    advance,
    is_final,
)


def walk(moves, path, what):  # type: ignore[no-untyped-def]
    state = path[0]
    for nxt in path[1:]:
        state = advance(moves, state, nxt, what=what)
    return state


def test_a_normal_task_runs_from_planned_to_done() -> None:
    path = [TaskState.PLANNED, TaskState.QUEUED, TaskState.LAUNCHING, TaskState.TRANSIT,
            TaskState.ON_STATION, TaskState.RETURNING, TaskState.DONE]
    assert walk(TASK_MOVES, path, "task t1") is TaskState.DONE
    assert is_final(TASK_MOVES, TaskState.DONE)


def test_finished_things_cannot_move_and_the_error_says_so() -> None:
    with pytest.raises(IllegalTransition, match=r"mission m1 cannot go from completed to active; "
                       r"allowed: nothing \(it has ended\)"):
        advance(MISSION_MOVES, MissionState.COMPLETED, MissionState.ACTIVE, what="mission m1")


def test_skipping_a_step_is_refused_with_the_alternatives() -> None:
    with pytest.raises(IllegalTransition) as err:
        advance(TASK_MOVES, TaskState.PLANNED, TaskState.ON_STATION, what="task t1")
    assert "allowed: cancelled, failed, launching, queued" in str(err.value)


def test_every_non_final_state_can_be_called_off() -> None:
    for state, nxt in INCIDENT_MOVES.items():
        assert is_final(INCIDENT_MOVES, state) or IncidentState.CANCELLED in nxt
    for state, nxt in MISSION_MOVES.items():
        assert is_final(MISSION_MOVES, state) or MissionState.ABORTED in nxt
    for state, nxt in TASK_MOVES.items():
        # A returning vehicle is already coming home: it ends done or failed, not cancelled.
        if not is_final(TASK_MOVES, state) and state is not TaskState.RETURNING:
            assert TaskState.CANCELLED in nxt


def test_every_state_is_reachable_from_the_start() -> None:
    for moves, start in ((INCIDENT_MOVES, IncidentState.NEW), (MISSION_MOVES, MissionState.PLANNED),
                         (TASK_MOVES, TaskState.PLANNED)):
        seen, todo = {start}, [start]
        while todo:
            for nxt in moves[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen == set(moves)
