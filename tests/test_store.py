"""The durable event log on SQLite and PostgreSQL: stored before broadcast, survives kill -9."""

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from fleet.events import SEQ_BLOCK, EventLog, EventNotStored
from fleet.store.database import open_database, sqlite_url
from fleet.store.journal import SqlJournal
from tests.postgres_harness import postgres_server


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def open_log(data_dir: Path) -> EventLog:
    return EventLog(journal=SqlJournal(open_database(sqlite_url(data_dir))))


def test_schema_comes_from_the_migrations_and_reopening_is_idempotent(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path))
    assert {"events", "counters", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine = open_database(sqlite_url(tmp_path))
    with engine.connect() as c:
        assert c.execute(text("select version_num from alembic_version")).scalar() == "0004"
        assert c.execute(text("pragma journal_mode")).scalar() == "wal"


def test_durable_events_survive_a_restart_and_seq_never_repeats(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.publish("vehicle", {"vehicle_id": "uav0", "link": "connected"})
    for i in range(5):
        log.publish("telemetry", {"vehicle_id": "uav0", "alt_rel_m": float(i)})
    log.publish("command_result", {"vehicle_id": "uav0", "command": "arm", "ok": True})
    before = log.since(0)
    highest_seen = log.last_seq

    restarted = open_log(tmp_path)
    replay = restarted.since(0)
    assert [(e.seq, e.type, dict(e.data)) for e in replay] == [
        (e.seq, e.type, dict(e.data)) for e in before if e.type != "telemetry"
    ]
    assert [e.t for e in replay] == [e.t for e in before if e.type != "telemetry"]
    # Clients saw telemetry seqs up to `highest_seen`: new numbers must lie above them.
    nxt = restarted.publish("vehicle", {"vehicle_id": "uav0", "link": "lost"})
    assert nxt.seq > highest_seen
    assert nxt.seq <= highest_seen + SEQ_BLOCK + 1
    assert [e.seq for e in restarted.since(highest_seen)] == [nxt.seq]


def test_replay_reads_from_the_store_what_memory_no_longer_holds(tmp_path: Path) -> None:
    log = EventLog(capacity=10, journal=SqlJournal(open_database(sqlite_url(tmp_path))))
    for i in range(50):
        log.publish("vehicle", {"n": i})
    assert [e.data["n"] for e in log.since(0, limit=100)] == list(range(50))
    assert [e.data["n"] for e in log.since(20, limit=5)] == [20, 21, 22, 23, 24]


def test_an_event_that_cannot_be_stored_is_not_broadcast(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.publish("vehicle", {"n": 1})
    seen: list[int] = []
    log.subscribe(lambda e: seen.append(e.seq))
    with pytest.raises(EventNotStored, match="not JSON serializable"):
        log.publish("vehicle", {"bad": object()})
    assert seen == [] and log.last_seq == 1
    assert [e.data for e in open_log(tmp_path).since(0)] == [{"n": 1}]


WRITER = """
import sys
from pathlib import Path
from fleet.events import EventLog
from fleet.store.database import open_database, sqlite_url
from fleet.store.journal import SqlJournal
log = EventLog(journal=SqlJournal(open_database(sqlite_url(Path(sys.argv[1])))))
while True:
    e = log.publish("vehicle", {"n": log.last_seq})
    print(e.seq, flush=True)
"""


@pytest.mark.e2e
def test_kill_9_loses_no_acknowledged_event(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 500:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = [e.seq for e in open_log(tmp_path).since(0, limit=1_000_000)]
    assert set(acknowledged) <= set(stored)
    assert stored == sorted(stored) and len(stored) == len(set(stored))
    assert json.dumps(stored[:3]) == "[1, 2, 3]"


def test_the_same_log_works_on_postgresql(postgres_url: str) -> None:
    log = EventLog(journal=SqlJournal(open_database(postgres_url)))
    published = [log.publish("vehicle", {"vehicle_id": "uav0", "n": i}) for i in range(3)]
    log.publish("telemetry", {"vehicle_id": "uav0"})
    restarted = EventLog(journal=SqlJournal(open_database(postgres_url)))
    assert [(e.seq, e.t, dict(e.data)) for e in restarted.since(0)] == [
        (e.seq, e.t, dict(e.data)) for e in published
    ]
    assert restarted.publish("vehicle", {"n": 3}).seq > log.last_seq
