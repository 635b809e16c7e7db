"""Recurring patrols: which slots run and which are reported missed, on a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleet.events import EventLog
from fleet.incidents import check_incident
from fleet.registry import FleetRegistry
from fleet.scheduler import due_runs
from fleet.store.database import open_database, sqlite_url
from fleet.store.operations import OperationsStore
from fleet.supervisor import Supervisor

T0 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
HOUR = 3600.0
RESERVOIR = {"type": "Polygon", "coordinates": [[[114.05, 22.54], [114.06, 22.54],
                                                  [114.06, 22.55], [114.05, 22.54]]]}


def test_nothing_is_due_before_the_slot_and_one_run_at_it() -> None:
    early = due_runs(T0, HOUR, T0 - timedelta(seconds=1))
    assert early.run_at is None and early.next_run_at == T0
    on_time = due_runs(T0, HOUR, T0 + timedelta(minutes=5))
    assert (on_time.run_at, on_time.missed) == (T0, ())
    assert on_time.next_run_at == T0 + timedelta(hours=1)


def test_slots_passed_while_down_are_missed_and_only_the_newest_runs() -> None:
    back = due_runs(T0, 12 * HOUR, T0 + timedelta(hours=37))  # down a day and a half
    assert back.missed == (T0, T0 + timedelta(hours=12), T0 + timedelta(hours=24))
    assert back.run_at == T0 + timedelta(hours=36)
    assert back.next_run_at == T0 + timedelta(hours=48)


async def test_a_scheduler_step_raises_the_incident_and_reports_missed_runs(
        tmp_path: Path) -> None:
    events = EventLog()
    store = OperationsStore(open_database(sqlite_url(tmp_path)))
    supervisor = Supervisor(FleetRegistry([], events), events, store)
    report = check_incident(type="reservoir_patrol", geometry=RESERVOIR, priority=4)
    schedule = supervisor.add_schedule("reservoir twice a day", report, 12 * HOUR, T0)
    assert schedule.department == "water"

    await supervisor.scheduler.step(T0 + timedelta(hours=25))
    what = [(e.data["what"], e.data["slot"]) for e in events.since(0) if e.type == "schedule"]
    assert what == [("created", T0.isoformat()), ("missed", T0.isoformat()),
                    ("missed", (T0 + timedelta(hours=12)).isoformat()),
                    ("run", (T0 + timedelta(hours=24)).isoformat())]
    incidents = supervisor.incidents()
    assert [(i.type, i.department, i.reporter) for i in incidents] == [
        ("reservoir_patrol", "water", f"schedule {schedule.id}")]
    stored = supervisor.schedule(schedule.id)
    assert stored.next_run_at == T0 + timedelta(hours=36)
    assert stored.last_run_at == T0 + timedelta(hours=24)
    assert (stored.missed_runs, stored.last_missed_at) == (2, T0 + timedelta(hours=12))

    await supervisor.scheduler.step(T0 + timedelta(hours=26))  # not due again yet
    assert len(supervisor.incidents()) == 1
    await supervisor.scheduler.step(T0 + timedelta(hours=61))  # down again: 36 h, 48 h missed
    again = supervisor.schedule(schedule.id)
    assert (again.missed_runs, again.last_missed_at) == (4, T0 + timedelta(hours=48))
    assert len(supervisor.incidents()) == 2
    supervisor.enable_schedule(schedule.id, enabled=False)
    await supervisor.scheduler.step(T0 + timedelta(hours=90))
    assert len(supervisor.incidents()) == 2
