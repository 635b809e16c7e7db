"""The event log: strictly increasing seq, replay with `since`, live subscription."""

from fleet.events import Event, EventLog


def test_seq_strictly_increases_and_since_replays_the_rest() -> None:
    log = EventLog()
    seqs = [log.publish("vehicle", {"vehicle_id": f"uav{i}"}).seq for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    assert [e.data["vehicle_id"] for e in log.since(3)] == ["uav3", "uav4"]
    assert log.since(5) == []


def test_capacity_keeps_the_newest_events() -> None:
    log = EventLog(capacity=3)
    for i in range(10):
        log.publish("telemetry", {"i": i})
    assert [e.seq for e in log.since(0)] == [8, 9, 10]


def test_subscribers_see_new_events_until_they_unsubscribe() -> None:
    log = EventLog()
    seen: list[Event] = []
    log.publish("vehicle", {"before": True})
    unsubscribe = log.subscribe(seen.append)
    log.publish("vehicle", {"n": 1})
    unsubscribe()
    log.publish("vehicle", {"n": 2})
    assert [e.data for e in seen] == [{"n": 1}]
    assert seen[0].to_json_dict()["seq"] == 2
