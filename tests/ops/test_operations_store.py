"""Incidents, missions, tasks and schedules on a real SQLite file: round trip, ids across a
reopen, and a store written before migration 0004 upgraded without losing its schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, insert, inspect

from fleet.lifecycle import IncidentState, MissionState, TaskState
from fleet.store.database import MIGRATIONS, open_database, sqlite_url
from fleet.store.operations import (
    IncidentRecord,
    MissionRecord,
    OperationsStore,
    TaskRecord,
    utc_now,
)
from fleet.store.operations_schema import schedules
from tests.postgres_harness import postgres_server


def incident(store: OperationsStore) -> IncidentRecord:
    now = utc_now()
    return IncidentRecord(id=store.next_id("inc"), type="fire", department="fire", priority=1,
                          state=IncidentState.NEW,
                          geometry={"type": "Point", "coordinates": [114.05, 22.54]},
                          note="smoke over the ridge", reporter="ops1", vehicles=1,
                          explanation=None, created_at=now, updated_at=now)


def test_the_tables_come_from_migration_0003(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path))
    assert {"incidents", "missions", "tasks", "schedules"} <= set(
        inspect(engine).get_table_names())


def test_a_store_from_before_0004_keeps_its_schedules_with_no_missed_runs(tmp_path: Path) -> None:
    url, t0 = sqlite_url(tmp_path), datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        old_columns = [c.name for c in schedules.columns][:-2]  # what 0003 created
        assert [c["name"] for c in inspect(connection).get_columns("schedules")] == old_columns
        connection.execute(insert(schedules).values(  # only the columns 0003 has
            id="sch-1", name="reservoir twice a day", department="water", incident={},
            period_s=43200.0, next_run_at=t0, last_run_at=None, enabled=True, created_at=t0))

    kept = OperationsStore(open_database(url)).schedules()
    assert [(s.id, s.next_run_at, s.missed_runs, s.last_missed_at) for s in kept] == [
        ("sch-1", t0, 0, None)]


def test_records_round_trip_and_ids_continue_after_a_reopen(tmp_path: Path) -> None:
    round_trip_and_reopen(sqlite_url(tmp_path))


def test_the_same_records_round_trip_on_postgresql() -> None:
    with postgres_server() as url:
        round_trip_and_reopen(url)


def round_trip_and_reopen(url: str) -> None:
    store = OperationsStore(open_database(url))
    inc = incident(store)
    store.add_incident(inc)
    now = utc_now()
    m = MissionRecord(id=store.next_id("m"), incident_id=inc.id, department="fire",
                      state=MissionState.PLANNED, reason="", created_at=now, updated_at=now)
    t = TaskRecord(id=store.next_id("t"), mission_id=m.id, vehicle_id="uav0", department="fire",
                   state=TaskState.PLANNED, progress=0.0,
                   plan={"items": [{"kind": "rtl"}], "work_from": 0, "return_from": 0,
                         "summary": "", "share": 0, "work_done": False},
                   reason="", created_at=now, updated_at=now)
    store.add_mission(m, [t])
    store.save_incident(IncidentRecord(**{**_fields(inc), "state": IncidentState.DISPATCHED,
                                          "explanation": {"summary": "uav0 (ETA 230 s)"}}))

    again = OperationsStore(open_database(url))
    got = again.incident(inc.id)
    assert got is not None and got.state is IncidentState.DISPATCHED
    assert got.explanation == {"summary": "uav0 (ETA 230 s)"}
    assert got.note == "smoke over the ridge" and got.created_at.tzinfo is not None
    assert [x.id for x in again.missions(inc.id)] == [m.id]
    assert again.tasks(m.id)[0].plan["items"] == [{"kind": "rtl"}]
    assert again.tasks(states=frozenset({TaskState.PLANNED}))[0].vehicle_id == "uav0"
    assert (inc.id, again.next_id("inc")) == ("inc-1", "inc-2")


def _fields(r: IncidentRecord) -> dict[str, object]:
    return {name: getattr(r, name) for name in r.__dataclass_fields__}
