"""What supervision decides, as plain functions over plain values (no clock, no socket).

A task's next state from its vehicle's link and telemetry (`observe_task`), how long a vehicle
on station can keep working (`work_left_s`) and how much work its plan still holds
(`remaining_work_s`), so that a relief is sent only when the work outlasts the battery; how the
dispatcher sees a vehicle (`dispatch_vehicle`); the rest of a share for the vehicle taking it
over (`rest_of_share`), an operator's own plan as a task (`own_plan`), and the JSON forms
stored with tasks and incidents. `fleet.supervisor` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from fleet.dispatch import DispatchRequest, DispatchVehicle, Explanation, VehicleProfile
from fleet.lifecycle import IncidentState, TaskState
from fleet.model import LandedState, LinkState, Telemetry, VehicleState
from fleet.templates import PlanVehicle, TaskPlan
from mission.geodesy import distance_m
from mission.items import Loiter, Takeoff, Waypoint, item_from_dict, item_to_dict
from mission.items import ReturnToLaunch as ReturnToLaunchItem
from mission.plan import Plan

#: A task whose vehicle is (about to be) working on its share; LIVE adds the way home.
WORKING = frozenset({TaskState.PLANNED, TaskState.QUEUED, TaskState.LAUNCHING,
                     TaskState.TRANSIT, TaskState.ON_STATION})
LIVE = WORKING | {TaskState.RETURNING}
OPEN_INCIDENTS = frozenset({IncidentState.NEW, IncidentState.DISPATCHED, IncidentState.ACTIVE})
TURNED_BACK_MODES = frozenset({"return_to_launch", "land"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Phases:
    """Where a task's plan turns from transit to work, and from work to the return."""

    work_from: int
    return_from: int
    n_items: int


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskStep:
    target: TaskState | None  #: None: stay
    reason: str = ""
    progress: float | None = None  #: 0..1 through the plan, when the vehicle flies this plan
    turned_back: bool = False  #: the vehicle returns on its own (failsafe); confirm before failing


def observe_task(state: TaskState, phases: Phases, link: LinkState, t: Telemetry | None,
                 link_silent_s: float, *, link_grace_s: float, plan_on_vehicle: bool) -> TaskStep:
    """The next state of a task from its vehicle's link and telemetry.

    `plan_on_vehicle`: the vehicle holds this task's plan (uploaded by us, or downloaded and
    compared after a restart), so its MISSION_CURRENT counts through this plan's items.
    """
    if state not in LIVE or state in (TaskState.PLANNED, TaskState.QUEUED):
        return TaskStep(target=None)
    if link is not LinkState.CONNECTED and link_silent_s >= link_grace_s:
        return TaskStep(target=TaskState.FAILED,
                        reason=f"link {link.value} for {link_silent_s:.0f} s")
    if t is None:
        return TaskStep(target=None)
    current = t.mission_current if plan_on_vehicle else None
    progress = None if current is None else min(current / phases.n_items, 1.0)
    turned_back = t.flight_mode in TURNED_BACK_MODES
    match state:
        case TaskState.LAUNCHING:
            if t.armed and t.landed_state is LandedState.IN_AIR:
                return TaskStep(target=TaskState.TRANSIT, progress=progress)
        case TaskState.TRANSIT:
            if current is not None and current >= phases.work_from:
                return TaskStep(target=TaskState.ON_STATION, progress=progress)
            if turned_back:
                return TaskStep(target=TaskState.FAILED, turned_back=True, progress=progress,
                                reason=_turned_back(t))
        case TaskState.ON_STATION:
            if current is not None and current >= phases.return_from:
                return TaskStep(target=TaskState.RETURNING, progress=progress,
                                reason="work finished")
            if turned_back:
                return TaskStep(target=TaskState.FAILED, turned_back=True, progress=progress,
                                reason=_turned_back(t))
        case TaskState.RETURNING:
            if not t.armed and t.landed_state is LandedState.ON_GROUND:
                return TaskStep(target=TaskState.DONE, progress=1.0)
    return TaskStep(target=None, progress=progress)


def _turned_back(t: Telemetry) -> str:
    battery = "" if t.battery_pct is None else f", battery {t.battery_pct:.0f} %"
    return f"vehicle turned back on its own ({t.flight_mode}{battery})"


def work_left_s(t: Telemetry, profile: VehicleProfile, dock_lat_deg: float,
                dock_lon_deg: float) -> float | None:
    """Seconds a vehicle can keep working before it must fly home to land at its reserve."""
    if t.battery_pct is None or t.lat_deg is None or t.lon_deg is None:
        return None
    usable_s = (t.battery_pct - profile.reserve_pct) / 100.0 * profile.endurance_s
    home_s = distance_m(t.lat_deg, t.lon_deg, dock_lat_deg, dock_lon_deg) / profile.cruise_speed_mps
    return usable_s - home_s


def remaining_work_s(plan: Mapping[str, Any], from_item: int, position: tuple[float, float],
                     speed_mps: float) -> float:
    """Seconds of work left in a plan from item `from_item` (flying from `position` through
    the remaining work items at `speed_mps`, plus their hold times) until its return item."""
    total_s, here = 0.0, position
    for d in plan["items"][from_item:plan["return_from"]]:
        if "lat_deg" in d and "lon_deg" in d and d["kind"] != "roi":
            total_s += distance_m(here[0], here[1], d["lat_deg"], d["lon_deg"]) / speed_mps
            here = (d["lat_deg"], d["lon_deg"])
        total_s += float(d.get("hold_s") or 0.0)
    return total_s


def dispatch_vehicle(state: VehicleState, profile: VehicleProfile, busy_priority: int | None,
                     blocked: str | None) -> DispatchVehicle:
    """How the dispatcher sees a vehicle. One that has not reported where it is or how full
    its battery is (just linked, or never) is placed on its dock and not available, so that
    the explanation still names it and says why it was passed over."""
    t, spec = state.telemetry, state.spec
    reason = blocked or ""
    if not reason and state.link is not LinkState.CONNECTED:
        reason = f"link {state.link.value}"
    elif not reason and (t is None or t.lat_deg is None or t.lon_deg is None):
        reason = "no position reported yet"
    elif not reason and t is not None and not t.gps_fix:
        reason = "no GPS fix"
    elif not reason and t is not None and t.battery_pct is None:
        reason = "no battery level reported yet"
    elif not reason and busy_priority is None and t is not None and t.armed:
        reason = "flying without a task (returning to its dock)"
    lat_deg, lon_deg = spec.dock.lat_deg, spec.dock.lon_deg
    if t is not None and t.lat_deg is not None and t.lon_deg is not None:
        lat_deg, lon_deg = t.lat_deg, t.lon_deg
    return DispatchVehicle(
        id=spec.id, kind=spec.kind.value, department=spec.department,
        capabilities=spec.capabilities, lat_deg=lat_deg, lon_deg=lon_deg,
        dock_lat_deg=spec.dock.lat_deg, dock_lon_deg=spec.dock.lon_deg,
        battery_pct=t.battery_pct if t is not None and t.battery_pct is not None else 0.0,
        profile=profile, available=not reason, unavailable_reason=reason,
        busy_priority=busy_priority,
        airborne=t is not None and t.armed and t.landed_state is LandedState.IN_AIR)


def rest_of_share(plan: dict[str, Any], from_item: int, start: PlanVehicle,
                  transit_alt_m: float) -> TaskPlan:
    """The work of a share not yet flown (from item `from_item`), as a plan from `start`."""
    items = [item_from_dict(d) for d in plan["items"]]
    work = items[max(from_item, plan["work_from"]):plan["return_from"]]
    first = next((i for i in work if hasattr(i, "lat_deg")), None)
    head: list[Any] = [Takeoff(lat_deg=start.lat_deg, lon_deg=start.lon_deg, alt_m=transit_alt_m)]
    if first is not None:
        head.append(Waypoint(lat_deg=first.lat_deg, lon_deg=first.lon_deg, alt_m=transit_alt_m))
    return TaskPlan(vehicle_id=start.id, items=tuple([*head, *work, items[-1]]),
                    work_from=len(head), return_from=len(head) + len(work),
                    summary=f"rest of: {plan['summary']}")


def with_watch(plan: TaskPlan, watch_s: float) -> TaskPlan | None:
    """The plan with its watch (the last timed loiter of the work) lasting `watch_s`; None
    when the plan has no watch left to change."""
    items = list(plan.items)
    k = next((k for k in range(plan.return_from - 1, plan.work_from - 1, -1)
              if isinstance(items[k], Loiter) and items[k].hold_s > 0), None)
    if k is None:
        return None
    items[k] = replace(items[k], hold_s=watch_s)
    return replace(plan, items=tuple(items))


def own_plan(vehicle_id: str, plan: Plan, name: str) -> TaskPlan:
    """An operator's plan as a task plan: on station once past its first waypoint, returning
    from its final RTL (appended when the plan has none, so the vehicle ends on its dock)."""
    items = list(plan.items)
    if not items or not isinstance(items[-1], ReturnToLaunchItem):
        items.append(ReturnToLaunchItem())
    first = next((k for k, i in enumerate(items)
                  if hasattr(i, "lat_deg") and not isinstance(i, Takeoff)), 0)
    return TaskPlan(vehicle_id=vehicle_id, items=tuple(items),
                    work_from=min(first + 1, len(items) - 1), return_from=len(items) - 1,
                    summary=f"{name}: {len(plan.items)} items")


def plan_doc(p: TaskPlan, share: int, **extra: Any) -> dict[str, Any]:
    return {"items": [item_to_dict(i) for i in p.items], "work_from": p.work_from,
            "return_from": p.return_from, "summary": p.summary, "share": share,
            "work_done": False, **extra}


def no_fleet_explanation(r: DispatchRequest) -> Explanation:
    """The explanation when no vehicle can even be considered (none has reported a position)."""
    return Explanation(incident_id=r.incident_id, candidates=(), shortfall=r.vehicles_needed,
                       summary=f"{r.incident_id}: no vehicle assigned; no vehicle has reported "
                               "a position yet")


def explanation_doc(e: Any) -> dict[str, Any]:
    """A dispatcher explanation as JSON-ready data (verdicts as their names)."""
    doc = asdict(e)
    for c in doc["candidates"]:
        c["verdict"] = str(c["verdict"])
        c["reasons"] = list(c["reasons"])
    return doc
