"""Recurring patrols: a schedule raises its incident every `period_s`, and says when it did not.

A schedule stores the incident report to raise and the next slot it is due. `due_runs` (pure)
decides, for a moment `now`, which slots have come: the newest is run, every older one is
*missed* (the server was down, or stopped) and reported as a `schedule` event and counted on
the schedule (`missed_runs`, `last_missed_at`), never skipped in silence, so the water authority
sees "patrol 06:00 missed" and can send someone.

The `Scheduler` shell checks the stored schedules every few seconds: it reports the incident
through the supervisor (which dispatches it as any other), then moves the schedule's
`next_run_at` on. In that order: a crash between the two runs a patrol twice, never zero times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleet.events import EventLog
from fleet.incidents import Coverage, IncidentRejected, IncidentReport, check_incident
from fleet.store.operations import IncidentRecord, OperationsStore, ScheduleRecord, utc_now

log = logging.getLogger(__name__)

MIN_PERIOD_S = 60.0


@dataclass(frozen=True, kw_only=True, slots=True)
class DueRuns:
    run_at: datetime | None  #: the slot to run now; None: nothing due
    missed: tuple[datetime, ...]  #: older slots that passed without a run
    next_run_at: datetime  #: the first slot after `now`


def due_runs(next_run_at: datetime, period_s: float, now: datetime) -> DueRuns:
    """Which slots of a schedule due at `next_run_at` (then every `period_s`) have come by
    `now`: the newest runs, the others are missed."""
    if now < next_run_at:
        return DueRuns(run_at=None, missed=(), next_run_at=next_run_at)
    period = timedelta(seconds=period_s)
    late = int((now - next_run_at) / period)  # whole periods since the first due slot
    slots = tuple(next_run_at + k * period for k in range(late + 1))
    return DueRuns(run_at=slots[-1], missed=slots[:-1], next_run_at=slots[-1] + period)


def schedule_report(s: ScheduleRecord, coverage: Coverage) -> IncidentReport:
    """The stored report of a schedule, checked again (it was checked when stored) against
    what the fleet can fly now."""
    r = s.incident
    return check_incident(type=r["type"], geometry=r["geometry"],
                          priority=r.get("priority", 3), note=r.get("note", ""),
                          department=s.department, reporter=f"schedule {s.id}",
                          vehicles=r.get("vehicles"), coverage=coverage)


class Scheduler:
    def __init__(self, store: OperationsStore, events: EventLog,
                 report: Callable[[IncidentReport], Awaitable[IncidentRecord]],
                 coverage: Callable[[], Coverage], every_s: float = 5.0) -> None:
        self._store = store
        self._events = events
        self._report = report
        self._coverage = coverage
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.step(utc_now())
            except Exception:  # one bad schedule must not stop the others
                log.exception("scheduling step failed")
            await asyncio.sleep(self._every_s)

    async def step(self, now: datetime) -> None:
        """Run every schedule due at `now`, reporting the slots missed before it."""
        for s in self._store.schedules():
            if not s.enabled:
                continue
            due = due_runs(s.next_run_at, s.period_s, now)
            if due.run_at is None:
                continue
            for slot in due.missed:
                self._publish(s, "missed", slot)
            incident_id = None
            try:
                incident_id = (await self._report(schedule_report(s, self._coverage()))).id
            except IncidentRejected as e:  # e.g. the fleet's limits changed since it was stored
                self._publish(s, "refused", due.run_at, reason=str(e))
            self._store.save_schedule(replace(
                s, next_run_at=due.next_run_at, last_run_at=due.run_at,
                missed_runs=s.missed_runs + len(due.missed),
                last_missed_at=due.missed[-1] if due.missed else s.last_missed_at))
            if incident_id is not None:
                self._publish(s, "run", due.run_at, incident_id=incident_id)

    def _publish(self, s: ScheduleRecord, what: str, slot: datetime, **extra: str) -> None:
        self._events.publish("schedule", {"schedule_id": s.id, "name": s.name, "what": what,
                                          "slot": slot.isoformat(), "department": s.department,
                                          **extra})
