"""Supervision: incidents become missions on the best vehicles, followed to their end.

A thin asyncio shell around pure decisions (`fleet.supervision_rules`): `observe_task` reads
one task's progress from its vehicle's telemetry (launching -> transit -> on_station ->
returning -> done, or failed when the link is lost or the vehicle turns back on its own);
`work_left_s` says how long a vehicle on station can stay before it must head home, so a relief
is sent in time; `dispatch` (in `fleet.dispatch`) chooses the vehicles. The `Supervisor`
applies the decisions: every state change goes through `fleet.lifecycle.advance`, is written
to the store, then published on the event log, in that order, so a `kill -9` loses nothing and
a restart reconciles each stored task with what its vehicle reports.

Work on scene is divided into *shares* (one per vehicle at the first dispatch: a search split
three ways has three). A share is done when a task of it finishes its work items; a task that
fails or is relieved hands the rest of its share to a new task on another vehicle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from fleet.dispatch import (
    Assignment,
    DispatchRequest,
    DispatchVehicle,
    Explanation,
    VehicleProfile,
    dispatch,
)
from fleet.events import EventLog
from fleet.incidents import Coverage, DockSite, IncidentReport, IncidentType
from fleet.lifecycle import (
    INCIDENT_MOVES,
    MISSION_MOVES,
    TASK_MOVES,
    IncidentState,
    MissionState,
    TaskState,
    advance,
    is_final,
)
from fleet.link import VehicleLink
from fleet.model import (
    Arm,
    Command,
    CommandResult,
    LandedState,
    LinkState,
    PauseMission,
    ReturnToLaunch,
    StartMission,
    Telemetry,
    VehicleKind,
    VehicleSpec,
    VehicleState,
)
from fleet.scheduler import Scheduler
from fleet.store.operations import (
    IncidentRecord,
    MissionRecord,
    OperationsStore,
    ScheduleRecord,
    TaskRecord,
    utc_now,
)
from fleet.supervision_rules import (
    LIVE,
    OPEN_INCIDENTS,
    WORKING,
    Phases,
    TaskStep,
    dispatch_vehicle,
    explanation_doc,
    no_fleet_explanation,
    observe_task,
    own_plan,
    plan_doc,
    remaining_work_s,
    rest_of_share,
    with_watch,
    work_left_s,
)
from fleet.templates import PlanVehicle, TaskPlan, TemplateSettings, build_plans
from mission.formats.mavlink import plan_to_mission_items
from mission.items import item_from_dict
from mission.plan import Plan

log = logging.getLogger(__name__)

# -- the shell ---------------------------------------------------------------------------------


class Fleet(Protocol):
    """The part of `fleet.registry.FleetRegistry` supervision uses."""

    def specs(self) -> list[VehicleSpec]: ...

    def state(self, vehicle_id: str) -> VehicleState: ...

    def states(self) -> list[VehicleState]: ...

    def link(self, vehicle_id: str) -> VehicleLink: ...

    async def command(self, vehicle_id: str, command: Command) -> CommandResult: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class SupervisorSettings:
    tick_s: float = 0.2  #: how often tasks are compared with telemetry (wall clock)
    link_grace_s: float = 5.0  #: link silence before a task is given up (wall clock)
    turned_back_confirm_s: float = 1.0  #: a failsafe return must last this long (wall clock)
    redispatch_every_s: float = 2.0  #: retry incidents that still lack vehicles
    relief_lead_s: float = 240.0  #: send a relief when this much work time is left (vehicle s)
    reconcile_wait_s: float = 10.0  #: after a restart, wait this long for vehicles to report
    failed_vehicle_rest_s: float = 60.0  #: a vehicle whose task failed is not re-used this long
    schedule_every_s: float = 5.0  #: how often patrol schedules are checked
    #: Time on scene one vehicle is dispatched for at most; reliefs take over after it.
    max_sortie_on_station_s: float = 900.0
    templates: TemplateSettings = TemplateSettings()
    multirotor: VehicleProfile = VehicleProfile(cruise_speed_mps=5.0, endurance_s=1500.0)
    rover: VehicleProfile = VehicleProfile(cruise_speed_mps=2.0, endurance_s=7200.0,
                                           launch_delay_s=10.0)


PREVIEW_ID = "preview"  #: the incident id a preview's explanation speaks of


@dataclass(frozen=True, kw_only=True, slots=True)
class Preview:
    """A dispatch that would happen: who goes (ETA, battery margin), their plans, and why."""

    report: IncidentReport
    explanation: Explanation
    assignments: tuple[Assignment, ...]
    plans: tuple[TaskPlan, ...]  #: one per assignment, in the same order


class NotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Supervisor:
    def __init__(self, fleet: Fleet, events: EventLog, store: OperationsStore,
                 settings: SupervisorSettings | None = None) -> None:
        self._fleet = fleet
        self._events = events
        self._store = store
        self._s = settings or SupervisorSettings()
        self._lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._verified: set[str] = set()  #: tasks whose plan was found on the vehicle
        self._blocked: dict[str, tuple[str, float]] = {}  #: vehicle -> (reason, until)
        self._silent_since: dict[str, float] = {}
        self._turned_back_since: dict[str, float] = {}
        self._launching: set[str] = set()  #: task ids whose upload/start is under way
        self._last_redispatch = 0.0
        self.scheduler = Scheduler(store, events, self.report, self.coverage,
                                   every_s=self._s.schedule_every_s)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile stored work with the vehicles, then supervise in the background."""
        self._loop_task = asyncio.create_task(self._run(), name="supervisor")
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        for task in [self._loop_task, *self._background]:
            if task is not None:
                task.cancel()
        for task in [self._loop_task, *self._background]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop_task = None

    async def _run(self) -> None:
        await self._reconcile()
        while True:
            try:
                async with self._lock:
                    self._tick()
            except Exception:  # one bad record must not stop supervision of the others
                log.exception("supervision step failed")
            await asyncio.sleep(self._s.tick_s)

    async def _reconcile(self) -> None:
        """After a restart: wait (bounded) for the vehicles of live tasks, relaunch tasks that
        never left the ground, and let `_tick` catch the rest up with what vehicles report."""
        known = {spec.id for spec in self._fleet.specs()}
        live = self._store.tasks(states=LIVE)
        async with self._lock:
            for task in live:
                if task.vehicle_id not in known:  # taken out of the fleet file meanwhile
                    self._move_task(task, TaskState.FAILED,
                                    f"vehicle {task.vehicle_id} is no longer in the fleet")
        live = [t for t in live if t.vehicle_id in known]
        if not live:
            return
        deadline = time.monotonic() + self._s.reconcile_wait_s
        vids = {t.vehicle_id for t in live}
        while time.monotonic() < deadline:
            states = {s.spec.id: s for s in self._fleet.states() if s.spec.id in vids}
            if len(states) == len(vids) and all(
                    s.link is LinkState.CONNECTED and s.telemetry is not None
                    and s.telemetry.mission_current is not None
                    and s.telemetry.landed_state is not LandedState.UNKNOWN
                    for s in states.values()):
                break
            await asyncio.sleep(0.1)
        found = await asyncio.gather(*(self._plan_on_vehicle(t) for t in live))
        self._verified.update(t.id for t, ok in zip(live, found, strict=True) if ok)
        async with self._lock:
            for task in live:
                state = self._fleet.state(task.vehicle_id)
                t = state.telemetry
                grounded = (t is not None and not t.armed
                            and t.landed_state is LandedState.ON_GROUND)
                if task.state in (TaskState.PLANNED, TaskState.LAUNCHING) and grounded:
                    self._publish("task", _task_event(task, "relaunched after a restart"))
                    self._launch(task)
                elif (task.state in (TaskState.TRANSIT, TaskState.ON_STATION) and grounded
                      and not (task.id in self._verified and t is not None
                               and (t.mission_current or 0) >= task.plan["return_from"])):
                    # Landed while nobody watched, work unfinished: its share goes elsewhere.
                    self._fail(task, "found on the ground after a restart, work unfinished")
            self._tick()

    async def _plan_on_vehicle(self, task: TaskRecord) -> bool:
        """Whether the vehicle still holds this task's plan (same commands and positions)."""
        if self._fleet.state(task.vehicle_id).link is not LinkState.CONNECTED:
            return False
        try:
            async with asyncio.timeout(5.0):
                held = await self._fleet.link(task.vehicle_id).download_mission()
        except Exception:  # no answer: treat the plan as unknown, telemetry still decides
            log.warning("could not download the mission of %s", task.vehicle_id)
            return False
        ours = plan_to_mission_items(Plan(items=tuple(item_from_dict(d)
                                                      for d in task.plan["items"])))
        return [(i.command, i.x, i.y) for i in held] == [(i.command, i.x, i.y) for i in ours]

    # -- queries --------------------------------------------------------------------------------

    def incidents(self) -> list[IncidentRecord]:
        return self._store.incidents()

    def incident(self, incident_id: str) -> IncidentRecord:
        found = self._store.incident(incident_id)
        if found is None:
            raise NotFound(f"unknown incident {incident_id!r}")
        return found

    def missions(self, incident_id: str | None = None) -> list[MissionRecord]:
        return self._store.missions(incident_id)

    def mission(self, mission_id: str) -> MissionRecord:
        found = self._store.mission(mission_id)
        if found is None:
            raise NotFound(f"unknown mission {mission_id!r}")
        return found

    def tasks(self, mission_id: str) -> list[TaskRecord]:
        return self._store.tasks(mission_id)

    def live_tasks(self) -> list[TaskRecord]:
        """Tasks whose vehicle is out (or about to leave) for them."""
        return self._store.tasks(states=LIVE)

    def preview(self, r: IncidentReport) -> Preview:
        """What reporting `r` now would dispatch, with the plans and the explanation; nothing
        is stored or published (the console shows it before the operator confirms)."""
        vehicles = self._fleet_view(self._blocked_now())
        request = self._request(PREVIEW_ID, r, r.vehicles)
        if not vehicles:
            return Preview(report=r, explanation=no_fleet_explanation(request), assignments=(),
                           plans=())
        result = dispatch(vehicles, [request])
        by_id = {v.id: v for v in vehicles}
        assignments = tuple(a for a in result.assignments if a.incident_id == PREVIEW_ID)
        starts = [PlanVehicle(id=a.vehicle_id, lat_deg=by_id[a.vehicle_id].lat_deg,
                              lon_deg=by_id[a.vehicle_id].lon_deg) for a in assignments]
        return Preview(report=r, explanation=result.explain(PREVIEW_ID),
                       assignments=assignments,
                       plans=tuple(build_plans(r, starts, self._s.templates)))

    def coverage(self) -> Coverage:
        """What the fleet's drones can sweep in one flight (bounds search and survey areas):
        the multirotor profile, the templates' lane spacing and where the drones' docks are."""
        p, t = self._s.multirotor, self._s.templates
        docks = tuple(DockSite(lat_deg=v.dock.lat_deg, lon_deg=v.dock.lon_deg,
                               capabilities=v.capabilities)
                      for v in self._fleet.specs() if v.kind is VehicleKind.MULTIROTOR)
        return Coverage(cruise_speed_mps=p.cruise_speed_mps, endurance_s=p.endurance_s,
                        reserve_pct=p.reserve_pct, search_lane_m=t.search_lane_m(),
                        survey_lane_m=t.survey_lane_m(), docks=docks)

    def schedules(self) -> list[ScheduleRecord]:
        return self._store.schedules()

    def schedule(self, schedule_id: str) -> ScheduleRecord:
        found = next((s for s in self._store.schedules() if s.id == schedule_id), None)
        if found is None:
            raise NotFound(f"unknown schedule {schedule_id!r}")
        return found

    # -- operator actions -----------------------------------------------------------------------

    def add_schedule(self, name: str, r: IncidentReport, period_s: float,
                     first_run_at: datetime) -> ScheduleRecord:
        """Raise `r` at `first_run_at`, then every `period_s` (run by `self.scheduler`)."""
        s = ScheduleRecord(id=self._store.next_id("sch"), name=name, department=r.department,
                           incident={"type": r.type.value, "geometry": r.geometry,
                                     "priority": r.priority, "note": r.note,
                                     "vehicles": r.vehicles},
                           period_s=period_s, next_run_at=first_run_at, last_run_at=None,
                           enabled=True, created_at=utc_now())
        self._store.add_schedule(s)
        self._publish("schedule", {"schedule_id": s.id, "name": name, "what": "created",
                                   "slot": first_run_at.isoformat(),
                                   "department": s.department})
        return s

    async def fly_plan(self, vehicle_id: str, plan: Plan, name: str) -> MissionRecord:
        """A mission of one task: `plan` flown by `vehicle_id` (an operator's own plan file),
        supervised like any other; it ends back on the dock (an RTL is added if missing)."""
        async with self._lock:
            spec = next((x for x in self._fleet.specs() if x.id == vehicle_id), None)
            if spec is None:
                raise NotFound(f"unknown vehicle {vehicle_id!r}")
            busy = [t.id for t in self._store.tasks(states=LIVE) if t.vehicle_id == vehicle_id]
            if busy:
                raise CommandRefused(f"{vehicle_id} is busy with task {busy[0]}")
            task_plan = own_plan(vehicle_id, plan, name)
            now = utc_now()
            mission = MissionRecord(id=self._store.next_id("m"), incident_id=None,
                                    department=spec.department, state=MissionState.PLANNED,
                                    reason="", created_at=now, updated_at=now)
            task = self._new_task(mission.id, spec.department, task_plan,
                                  plan_doc(task_plan, 0))
            self._store.add_mission(mission, [task])
            self._publish("mission", _mission_event(mission, f"planned from {name}"))
            self._publish("task", _task_event(task, task_plan.summary))
            self._launch(task)
            return self.mission(mission.id)

    def enable_schedule(self, schedule_id: str, enabled: bool) -> ScheduleRecord:
        s = replace(self.schedule(schedule_id), enabled=enabled)
        if enabled and s.next_run_at < utc_now():  # slots while it was off are not "missed"
            s = replace(s, next_run_at=utc_now())
        self._store.save_schedule(s)
        self._publish("schedule", {"schedule_id": s.id, "name": s.name,
                                   "what": "enabled" if enabled else "disabled",
                                   "slot": s.next_run_at.isoformat(),
                                   "department": s.department})
        return s

    async def report(self, r: IncidentReport) -> IncidentRecord:
        """Store a validated incident and dispatch it at once; returns it as dispatched."""
        async with self._lock:
            now = utc_now()
            incident = IncidentRecord(
                id=self._store.next_id("inc"), type=r.type.value, department=r.department,
                priority=r.priority, state=IncidentState.NEW, geometry=r.geometry, note=r.note,
                reporter=r.reporter, vehicles=r.vehicles, explanation=None, created_at=now,
                updated_at=now)
            self._store.add_incident(incident)
            self._publish("incident", _incident_event(incident))
            self._dispatch_open()
            return self.incident(incident.id)

    async def cancel_incident(self, incident_id: str) -> IncidentRecord:
        async with self._lock:
            incident = self.incident(incident_id)
            advance(INCIDENT_MOVES, incident.state, IncidentState.CANCELLED,
                    what=f"incident {incident_id}")
            for m in self._store.missions(incident_id):
                if not is_final(MISSION_MOVES, m.state):
                    self._end_mission(m, MissionState.ABORTED, "incident cancelled")
            self._move_incident(incident, IncidentState.CANCELLED)
            return self.incident(incident_id)

    async def pause_mission(self, mission_id: str) -> MissionRecord:
        return await self._hold_or_go(mission_id, MissionState.PAUSED, PauseMission())

    async def resume_mission(self, mission_id: str) -> MissionRecord:
        return await self._hold_or_go(mission_id, MissionState.ACTIVE, StartMission())

    async def abort_mission(self, mission_id: str) -> MissionRecord:
        async with self._lock:
            m = self.mission(mission_id)
            advance(MISSION_MOVES, m.state, MissionState.ABORTED, what=f"mission {mission_id}")
            self._end_mission(m, MissionState.ABORTED, "aborted by an operator")
            if m.incident_id is not None:
                incident = self.incident(m.incident_id)
                others = [x for x in self._store.missions(m.incident_id)
                          if not is_final(MISSION_MOVES, x.state)]
                if not others and incident.state in OPEN_INCIDENTS:
                    self._move_incident(incident, IncidentState.CANCELLED)
            return self.mission(mission_id)

    async def set_watch(self, mission_id: str, watch_s: float) -> MissionRecord:
        """Watch the scene for `watch_s` from now (from arrival, for a vehicle still on its
        way): the rest of each working task's share goes to its vehicle again with that watch.
        """
        async with self._lock:
            m = self.mission(mission_id)
            if m.state is not MissionState.ACTIVE:
                raise CommandRefused(f"mission {mission_id} is {m.state}: only an active "
                                     "mission's watch can change")
            changes: list[tuple[TaskRecord, TaskPlan]] = []
            for task in self._store.tasks(mission_id, states=frozenset(
                    {TaskState.TRANSIT, TaskState.ON_STATION})):
                t = self._fleet.state(task.vehicle_id).telemetry
                if task.id in self._launching or t is None or t.lat_deg is None \
                        or t.lon_deg is None:
                    continue
                rest = rest_of_share(task.plan, task.plan.get("reached", task.plan["work_from"]),
                                     PlanVehicle(id=task.vehicle_id, lat_deg=t.lat_deg,
                                                 lon_deg=t.lon_deg),
                                     self._s.templates.transit_alt_m)
                watched = with_watch(rest, watch_s)
                if watched is not None:
                    changes.append((task, watched))
                    self._launching.add(task.id)  # not followed while its plan changes
            if not changes:
                raise CommandRefused(f"no vehicle of mission {mission_id} has a watch ahead")
        try:
            reasons = await asyncio.gather(*(self._fly(t.vehicle_id, p) for t, p in changes))
        finally:
            self._launching.difference_update(t.id for t, _ in changes)
        async with self._lock:
            for (task, plan), reason in zip(changes, reasons, strict=True):
                fresh = self._store.task(task.id)
                if reason or fresh is None:
                    continue
                kept = {k: task.plan[k] for k in ("relieves", "replaces") if k in task.plan}
                fresh = self._store.save_task(replace(
                    fresh, plan=plan_doc(plan, task.plan["share"], **kept), progress=0.0))
                self._publish("task", _task_event(
                    fresh, f"watch set to {watch_s:.0f} s by an operator"))
            refused = [f"{t.vehicle_id}: {r}" for (t, _), r in zip(changes, reasons, strict=True)
                       if r]
            if refused:
                raise CommandRefused("; ".join(refused))
            return self.mission(mission_id)

    async def _fly(self, vehicle_id: str, plan: TaskPlan) -> str:
        """Upload `plan` to a flying vehicle and start it; the refusal's reason, or ""."""
        try:
            result = await self._fleet.link(vehicle_id).upload_mission(plan.mission_items())
            if not result.ok:
                return f"upload refused: {result.reason}"
            result = await self._fleet.command(vehicle_id, StartMission())
            return "" if result.ok else f"mission start refused: {result.reason}"
        except Exception as e:  # a link that breaks mid-upload is a refusal, not a crash
            return f"upload failed: {e}"

    async def _hold_or_go(self, mission_id: str, target: MissionState,
                          command: Command) -> MissionRecord:
        async with self._lock:
            m = self.mission(mission_id)
            advance(MISSION_MOVES, m.state, target, what=f"mission {mission_id}")
            vehicles = [t.vehicle_id for t in self._store.tasks(mission_id)
                        if t.state in (TaskState.TRANSIT, TaskState.ON_STATION)]
        results = await asyncio.gather(*(self._fleet.command(v, command) for v in vehicles))
        async with self._lock:
            m = self.mission(mission_id)
            refused = [f"{v}: {r.reason}" for v, r in zip(vehicles, results, strict=True)
                       if not r.ok]
            if refused:
                raise CommandRefused("; ".join(refused))
            m = self._store.save_mission(replace(m, state=advance(
                MISSION_MOVES, m.state, target, what=f"mission {mission_id}")))
            self._publish("mission", _mission_event(m, f"{command.kind} by an operator"))
            return m

    # -- dispatch -------------------------------------------------------------------------------

    def _profile(self, spec: VehicleSpec) -> VehicleProfile:
        return self._s.rover if spec.kind is VehicleKind.ROVER else self._s.multirotor

    def _fleet_view(self, exclude: Mapping[str, str]) -> list[DispatchVehicle]:
        busy: dict[str, int] = {}
        for task in self._store.tasks(states=LIVE):
            m = self._store.mission(task.mission_id)
            inc = self._store.incident(m.incident_id) if m and m.incident_id else None
            # A returning vehicle has finished or handed over its work: not available.
            busy[task.vehicle_id] = (inc.priority if inc and task.state in WORKING else 0)
        out = []
        for state in self._fleet.states():
            vid = state.spec.id
            priority = busy.get(vid)
            blocked = exclude.get(vid)
            if priority == 0:
                blocked, priority = blocked or "returning from a task", None
            out.append(dispatch_vehicle(state, self._profile(state.spec), priority, blocked))
        return out

    def _dispatch_open(self) -> None:
        """Dispatch every open incident that lacks vehicles, most urgent first."""
        self._last_redispatch = time.monotonic()
        wanting = [(inc, need) for inc in self._store.incidents(OPEN_INCIDENTS)
                   if (need := self._shares_wanting(inc))]
        if not wanting:
            return
        vehicles = self._fleet_view(self._blocked_now())
        requests = [self._request(inc.id, _report_of(inc),
                                  inc.vehicles if need == [-1] else len(need))
                    for inc, need in wanting]
        result = dispatch(vehicles, requests) if vehicles else None
        by_id = {v.id: v for v in vehicles}
        for (inc, need), request in zip(wanting, requests, strict=True):
            explanation = (result.explain(inc.id) if result is not None
                           else no_fleet_explanation(request))
            chosen = result.vehicles_for(inc.id) if result is not None else []
            doc = explanation_doc(explanation)
            if inc.explanation != doc:
                said = (inc.explanation or {}).get("summary")
                inc = self._store.save_incident(replace(inc, explanation=doc))
                if said != explanation.summary:  # not every few seconds while a fire waits
                    self._publish("dispatch", {"incident_id": inc.id, "vehicles": chosen,
                                               "summary": explanation.summary,
                                               "department": inc.department})
            if chosen:
                self._assign(inc, need, [by_id[v] for v in chosen])

    def _request(self, incident_id: str, report: IncidentReport, needed: int) -> DispatchRequest:
        lat, lon = report.anchor()
        return DispatchRequest(
            incident_id=incident_id, lat_deg=lat, lon_deg=lon, priority=report.priority,
            department=report.department, capabilities=report.needs.capabilities,
            vehicles_needed=needed,
            # Work longer than one sortie is covered by reliefs, not refused for battery.
            on_station_s=min(self._on_station_s(report.type, report.needs.on_station_s),
                             self._s.max_sortie_on_station_s))

    def _on_station_s(self, kind: IncidentType, default_s: float) -> float:
        """Planned time on scene: a fire's watch is configurable, plus orbit and sweep."""
        return self._s.templates.watch_s + 300.0 if kind is IncidentType.FIRE else default_s

    def _blocked_now(self) -> dict[str, str]:
        now = time.monotonic()
        return {v: why for v, (why, until) in self._blocked.items() if until > now}

    def _shares_wanting(self, inc: IncidentRecord) -> list[int]:
        """Shares of the incident's work with no task working on them and not done;
        [-1] when no mission exists yet (every share is wanted)."""
        tasks = [t for m in self._store.missions(inc.id) for t in self._store.tasks(m.id)]
        if not tasks:
            return [-1]
        shares = {t.plan["share"] for t in tasks}
        covered = {t.plan["share"] for t in tasks if t.state in WORKING or t.plan["work_done"]}
        return sorted(shares - covered)

    def _assign(self, inc: IncidentRecord, need: list[int],
                chosen: Sequence[DispatchVehicle]) -> None:
        for v in chosen:  # preemption: the vehicle's current task is called off
            for task in self._store.tasks(states=WORKING):
                if task.vehicle_id == v.id:
                    self._move_task(task, TaskState.CANCELLED, f"preempted by {inc.id}")
        starts = [PlanVehicle(id=v.id, lat_deg=v.lat_deg, lon_deg=v.lon_deg) for v in chosen]
        now = utc_now()
        if need == [-1]:
            plans = build_plans(_report_of(inc), starts, self._s.templates)
            mission = MissionRecord(id=self._store.next_id("m"), incident_id=inc.id,
                                    department=inc.department, state=MissionState.PLANNED,
                                    reason="", created_at=now, updated_at=now)
            tasks = [self._new_task(mission.id, inc.department, p, plan_doc(p, k))
                     for k, p in enumerate(plans)]
            self._store.add_mission(mission, tasks)
            self._publish("mission", _mission_event(mission, "planned"))
            for t in tasks:
                self._publish("task", _task_event(t, t.plan["summary"]))
        else:
            tasks = []
            for share, start in zip(need, starts, strict=False):
                tasks.append(self._replacement(inc, share, start))
        if inc.state is IncidentState.NEW:
            self._move_incident(inc, IncidentState.DISPATCHED)
        for t in tasks:
            self._launch(t)

    def _replacement(self, inc: IncidentRecord, share: int, start: PlanVehicle) -> TaskRecord:
        """A task that takes over the rest of `share` from its last task."""
        tasks = [t for m in self._store.missions(inc.id) for t in self._store.tasks(m.id)
                 if t.plan["share"] == share]
        last = tasks[-1]
        reached = last.plan.get("reached", last.plan["work_from"])
        plan = rest_of_share(last.plan, reached, start, self._s.templates.transit_alt_m)
        task = self._new_task(last.mission_id, inc.department, plan,
                              plan_doc(plan, share, replaces=last.id))
        self._store.add_task(task)
        self._publish("task", _task_event(task, f"replaces {last.id}: {plan.summary}"))
        return task

    def _new_task(self, mission_id: str, department: str, plan: TaskPlan,
                  doc: dict[str, Any]) -> TaskRecord:
        now = utc_now()
        return TaskRecord(id=self._store.next_id("t"), mission_id=mission_id,
                          vehicle_id=plan.vehicle_id, department=department,
                          state=TaskState.PLANNED, progress=0.0, plan=doc, reason="",
                          created_at=now, updated_at=now)

    # -- launching ------------------------------------------------------------------------------

    def _launch(self, task: TaskRecord) -> None:
        """Hand a planned task to its vehicle: LAUNCHING now, upload and start in background."""
        if task.state is TaskState.PLANNED:
            task = self._move_task(task, TaskState.LAUNCHING, "uploading the plan")
            m = self._store.mission(task.mission_id)
            if m is not None and m.state is MissionState.PLANNED:
                m = self._store.save_mission(replace(m, state=advance(
                    MISSION_MOVES, m.state, MissionState.ACTIVE, what=f"mission {m.id}")))
                self._publish("mission", _mission_event(m, "first task launching"))
        self._launching.add(task.id)
        job = asyncio.create_task(self._upload_and_start(task), name=f"launch-{task.id}")
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def _upload_and_start(self, task: TaskRecord) -> None:
        items = [item_from_dict(d) for d in task.plan["items"]]
        reason = ""
        try:
            link = self._fleet.link(task.vehicle_id)
            result = await link.upload_mission(plan_to_mission_items(Plan(items=tuple(items))))
            if not result.ok:
                reason = f"upload refused: {result.reason}"
            state = self._fleet.state(task.vehicle_id)
            if not reason and not (state.telemetry and state.telemetry.armed):
                result = await self._fleet.command(task.vehicle_id, Arm())
                reason = "" if result.ok else f"arming refused: {result.reason}"
            if not reason:
                result = await self._fleet.command(task.vehicle_id, StartMission())
                reason = "" if result.ok else f"mission start refused: {result.reason}"
            if not reason:  # its MISSION_CURRENT now counts through this task's items
                self._verified.add(task.id)
        except Exception as e:  # a link that breaks mid-upload is a refusal, not a crash
            reason = f"launch failed: {e}"
        finally:
            self._launching.discard(task.id)
        if reason:
            async with self._lock:
                fresh = self._store.task(task.id)
                if fresh is not None and fresh.state in WORKING:
                    self._fail(fresh, reason)

    # -- supervision step -----------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        states = {s.spec.id: s for s in self._fleet.states()}
        for vid, s in states.items():
            if s.link is LinkState.CONNECTED:
                self._silent_since.pop(vid, None)
            else:
                self._silent_since.setdefault(vid, now)
        for task in self._store.tasks(states=LIVE):
            if task.id in self._launching or task.vehicle_id not in states:
                continue
            self._follow(task, states[task.vehicle_id], now)
        self._close_finished()
        if now - self._last_redispatch >= self._s.redispatch_every_s:
            self._dispatch_open()

    def _follow(self, task: TaskRecord, vs: VehicleState, now: float) -> None:
        phases = Phases(work_from=task.plan["work_from"], return_from=task.plan["return_from"],
                        n_items=len(task.plan["items"]))
        silent = now - self._silent_since.get(task.vehicle_id, now)
        for _ in range(4):  # a restart may find a vehicle several phases further on
            t = vs.telemetry
            on_vehicle = task.id in self._verified or (
                t is not None and t.mission_total == phases.n_items)
            step = observe_task(task.state, phases, vs.link, t, silent,
                                link_grace_s=self._s.link_grace_s, plan_on_vehicle=on_vehicle)
            task = self._note_progress(task, vs.telemetry, step)
            if step.target is None:
                self._turned_back_since.pop(task.id, None)
                self._maybe_relieve(task, vs)
                return
            if step.turned_back:
                first = self._turned_back_since.setdefault(task.id, now)
                if now - first < self._s.turned_back_confirm_s:
                    return
            if step.target is TaskState.FAILED:
                self._fail(task, step.reason)
                return
            if step.target is TaskState.RETURNING and step.reason == "work finished":
                task = self._store.save_task(replace(task, plan={**task.plan,
                                                                 "work_done": True}))
                self._relieved_by(task)
            task = self._move_task(task, step.target, step.reason)
            if step.target is TaskState.ON_STATION:
                self._on_scene(task)

    def _note_progress(self, task: TaskRecord, t: Telemetry | None, step: TaskStep) -> TaskRecord:
        if step.progress is None or t is None or t.mission_current is None:
            return task
        reached = max(task.plan.get("reached", 0), t.mission_current)
        if abs(step.progress - task.progress) < 0.01 and reached == task.plan.get("reached"):
            return task
        return self._store.save_task(replace(task, progress=round(step.progress, 3),
                                             plan={**task.plan, "reached": reached}))

    def _on_scene(self, task: TaskRecord) -> None:
        """First vehicle on scene makes the incident active; a relief on scene sends the
        vehicle it relieves home (only now, so that coverage has no gap)."""
        inc = self._incident_of(task)
        if inc is not None and inc.state is IncidentState.DISPATCHED:
            self._move_incident(inc, IncidentState.ACTIVE)
        relieves = task.plan.get("relieves")
        if relieves:
            old = self._store.task(relieves)
            if old is not None and old.state is TaskState.ON_STATION:
                self._recall(old, f"relieved by {task.id} on station")

    def _relieved_by(self, task: TaskRecord) -> None:
        """A share finished by this task needs no relief any more: cancel a pending one."""
        for other in self._store.tasks(task.mission_id, states=WORKING):
            if other.plan.get("relieves") == task.id and other.state in (
                    TaskState.PLANNED, TaskState.LAUNCHING, TaskState.TRANSIT):
                self._recall(other, f"{task.id} finished the work first")

    def _maybe_relieve(self, task: TaskRecord, vs: VehicleState) -> None:
        if task.state is not TaskState.ON_STATION or vs.telemetry is None:
            return
        left = work_left_s(vs.telemetry, self._profile(vs.spec), vs.spec.dock.lat_deg,
                           vs.spec.dock.lon_deg)
        if left is None:
            return
        if left <= 0:
            self._publish("relief", {"task_id": task.id, "vehicle_id": task.vehicle_id,
                                     "what": "reserve reached before relief arrived"})
            self._recall(task, "battery at its reserve")
            return
        if left > self._s.relief_lead_s or task.plan.get("relief_requested"):
            return
        position = (vs.telemetry.lat_deg, vs.telemetry.lon_deg)
        reached = task.plan.get("reached", task.plan["work_from"])
        if position[0] is not None and position[1] is not None and remaining_work_s(
                task.plan, reached, position,  # type: ignore[arg-type]
                self._profile(vs.spec).cruise_speed_mps) < left:
            return  # the work ends before the battery does: no relief needed
        task = self._store.save_task(replace(task, plan={**task.plan, "relief_requested": True}))
        inc = self._incident_of(task)
        if inc is None:
            return
        vehicles = self._fleet_view({**self._blocked_now(),
                                     task.vehicle_id: "is the one to relieve"})
        report = _report_of(inc)
        lat, lon = report.anchor()
        result = dispatch(vehicles, [DispatchRequest(
            incident_id=inc.id, lat_deg=lat, lon_deg=lon, priority=inc.priority,
            department=inc.department, capabilities=report.needs.capabilities,
            on_station_s=left)])
        chosen = result.vehicles_for(inc.id)
        summary = result.explain(inc.id).summary
        self._publish("relief", {"task_id": task.id, "vehicle_id": task.vehicle_id,
                                 "work_left_s": round(left), "relief": chosen,
                                 "summary": summary})
        if not chosen:
            return
        v = next(x for x in vehicles if x.id == chosen[0])
        start = PlanVehicle(id=v.id, lat_deg=v.lat_deg, lon_deg=v.lon_deg)
        reached = task.plan.get("reached", task.plan["work_from"])
        plan = rest_of_share(task.plan, reached, start, self._s.templates.transit_alt_m)
        relief = self._new_task(task.mission_id, task.department, plan,
                                plan_doc(plan, task.plan["share"], relieves=task.id))
        self._store.add_task(relief)
        self._publish("task", _task_event(relief, f"relieves {task.id}: {plan.summary}"))
        self._launch(relief)

    def _recall(self, task: TaskRecord, reason: str) -> None:
        """Send a vehicle home: its task returns (or is cancelled before it left)."""
        if task.state in (TaskState.TRANSIT, TaskState.ON_STATION):
            self._move_task(task, TaskState.RETURNING, reason)
        elif task.state in WORKING:
            self._move_task(task, TaskState.CANCELLED, reason)
        self._send(task.vehicle_id, ReturnToLaunch())

    def _fail(self, task: TaskRecord, reason: str) -> None:
        """The vehicle cannot carry on: its share goes to another vehicle at the next dispatch,
        and the vehicle is kept out of dispatch for a while (it would refuse again)."""
        self._move_task(task, TaskState.FAILED, reason)
        self._blocked[task.vehicle_id] = (f"failed {task.id}: {reason}",
                                          time.monotonic() + self._s.failed_vehicle_rest_s)
        self._turned_back_since.pop(task.id, None)
        state = self._fleet.state(task.vehicle_id)
        if state.link is LinkState.CONNECTED and state.telemetry and state.telemetry.armed:
            self._send(task.vehicle_id, ReturnToLaunch())
        self._dispatch_open()

    def _send(self, vehicle_id: str, command: Command) -> None:
        job = asyncio.create_task(self._fleet.command(vehicle_id, command))
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def _close_finished(self) -> None:
        """Missions whose tasks all ended, and incidents whose work is all done, close."""
        for m in self._store.missions(states=frozenset({MissionState.ACTIVE,
                                                        MissionState.PAUSED})):
            if m.incident_id is not None:
                continue  # closed with its incident below
            tasks = self._store.tasks(m.id)
            if tasks and not any(t.state in LIVE for t in tasks):
                ok = all(t.state is TaskState.DONE for t in tasks)
                target = MissionState.COMPLETED if ok else MissionState.FAILED
                why = "every task done" if ok else f"task {tasks[-1].id}: {tasks[-1].reason}"
                m = self._store.save_mission(replace(m, state=advance(
                    MISSION_MOVES, m.state, target, what=f"mission {m.id}"), reason=why))
                self._publish("mission", _mission_event(m, why))
        for inc in self._store.incidents(frozenset({IncidentState.DISPATCHED,
                                                    IncidentState.ACTIVE})):
            missions = self._store.missions(inc.id)
            tasks = [t for m in missions for t in self._store.tasks(m.id)]
            if not tasks or any(t.state in LIVE for t in tasks):
                continue
            shares = {t.plan["share"] for t in tasks}
            done = {t.plan["share"] for t in tasks if t.plan["work_done"]}
            if shares != done:
                continue
            for m in missions:
                if m.state in (MissionState.ACTIVE, MissionState.PAUSED):
                    m = self._store.save_mission(replace(m, state=advance(
                        MISSION_MOVES, m.state, MissionState.COMPLETED, what=f"mission {m.id}")))
                    self._publish("mission", _mission_event(m, "every task done"))
            if inc.state is IncidentState.DISPATCHED:
                inc = self._move_incident(inc, IncidentState.ACTIVE)
            self._move_incident(inc, IncidentState.RESOLVED)

    # -- state moves: advance, store, then publish ----------------------------------------------

    def _move_task(self, task: TaskRecord, target: TaskState, reason: str) -> TaskRecord:
        state = advance(TASK_MOVES, task.state, target, what=f"task {task.id}")
        task = self._store.save_task(replace(task, state=state, reason=reason or task.reason))
        self._publish("task", _task_event(task, reason))
        return task

    def _move_incident(self, inc: IncidentRecord, target: IncidentState) -> IncidentRecord:
        state = advance(INCIDENT_MOVES, inc.state, target, what=f"incident {inc.id}")
        inc = self._store.save_incident(replace(inc, state=state))
        self._publish("incident", _incident_event(inc))
        return inc

    def _end_mission(self, m: MissionRecord, target: MissionState, reason: str) -> None:
        for task in self._store.tasks(m.id, states=WORKING):
            self._recall(task, reason)
        m = self._store.save_mission(replace(m, state=advance(
            MISSION_MOVES, m.state, target, what=f"mission {m.id}"), reason=reason))
        self._publish("mission", _mission_event(m, reason))

    def _incident_of(self, task: TaskRecord) -> IncidentRecord | None:
        m = self._store.mission(task.mission_id)
        return None if m is None or m.incident_id is None else self._store.incident(m.incident_id)

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        self._events.publish(kind, data)


class CommandRefused(RuntimeError):
    """A vehicle refused an operator's pause or resume; the message says which and why."""


def _report_of(inc: IncidentRecord) -> IncidentReport:
    return IncidentReport(type=IncidentType(inc.type), geometry=inc.geometry,
                          priority=inc.priority, department=inc.department, note=inc.note,
                          reporter=inc.reporter, vehicles=inc.vehicles)


def _incident_event(i: IncidentRecord) -> dict[str, Any]:
    return {"incident_id": i.id, "incident_type": i.type, "state": i.state.value,
            "priority": i.priority, "department": i.department}


def _mission_event(m: MissionRecord, reason: str) -> dict[str, Any]:
    return {"mission_id": m.id, "incident_id": m.incident_id, "state": m.state.value,
            "department": m.department, "reason": reason}


def _task_event(t: TaskRecord, reason: str) -> dict[str, Any]:
    return {"task_id": t.id, "mission_id": t.mission_id, "vehicle_id": t.vehicle_id,
            "state": t.state.value, "progress": t.progress, "department": t.department,
            "reason": reason}
