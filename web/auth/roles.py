"""Who may do what, and to which department's assets: one table, one function per question.

Every refusal carries a reason an operator can read ("traffic_police may not command fire
vehicles"), because a bare 403 under stress sends people to the phone instead of the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  #: everything, including users and the audit log
    COMMANDER = "commander"  #: commands and incidents in all departments; reads the audit log
    FIRE_OPERATOR = "fire_operator"
    TRAFFIC_POLICE = "traffic_police"
    WATER_INSPECTOR = "water_inspector"
    ANALYST = "analyst"  #: read-only, in their departments
    DEVELOPER = "developer"  #: simulator and test tools; reads in their departments
    VEHICLE = "vehicle"  #: a vehicle's onboard bridge: posts that one vehicle's data, nothing else


class Department(StrEnum):
    FIRE = "fire"
    TRAFFIC = "traffic"
    WATER = "water"


class Action(StrEnum):
    READ = "read"  #: vehicles, incidents, missions, events
    COMMAND = "command"  #: direct vehicle commands
    MANAGE_INCIDENTS = "manage_incidents"  #: create, cancel, confirm dispatch
    MANAGE_MISSIONS = "manage_missions"  #: upload, pause, resume, abort
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    SIMULATOR = "simulator"  #: fault injection, scenario tools
    REPORT = "report"  #: post data (detections, frames) as one vehicle's onboard bridge


_OPERATE = frozenset({Action.READ, Action.COMMAND, Action.MANAGE_INCIDENTS, Action.MANAGE_MISSIONS})

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action) - {Action.REPORT},
    Role.COMMANDER: _OPERATE | {Action.READ_AUDIT},
    Role.FIRE_OPERATOR: _OPERATE,
    Role.TRAFFIC_POLICE: _OPERATE,
    Role.WATER_INSPECTOR: _OPERATE,
    Role.ANALYST: frozenset({Action.READ}),
    Role.DEVELOPER: frozenset({Action.READ, Action.SIMULATOR}),
    Role.VEHICLE: frozenset({Action.REPORT}),
}

#: Roles that act in every department whatever their user record lists.
ALL_DEPARTMENT_ROLES = frozenset({Role.ADMIN, Role.COMMANDER})

#: The department a department-bound role belongs to by default (a new user's scope).
HOME_DEPARTMENT: dict[Role, Department] = {
    Role.FIRE_OPERATOR: Department.FIRE,
    Role.TRAFFIC_POLICE: Department.TRAFFIC,
    Role.WATER_INSPECTOR: Department.WATER,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """The signed-in user (or onboard bridge) a request acts for."""

    username: str
    role: Role
    departments: frozenset[Department]
    vehicle_id: str | None = None  #: set for a vehicle's onboard bridge credentials


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


def scope(principal: Principal) -> frozenset[Department]:
    """The departments whose assets the principal may see."""
    return (
        frozenset(Department) if principal.role in ALL_DEPARTMENT_ROLES else principal.departments
    )


def decide(principal: Principal, action: Action, department: str | None = None) -> Decision:
    """May `principal` do `action` (on an asset of `department`, when it has one)?"""
    if action not in PERMISSIONS[principal.role]:
        return Decision(allowed=False, reason=f"role {principal.role} may not {action}")
    if department is not None and department not in scope(principal):
        return Decision(
            allowed=False,
            reason=f"{principal.username} ({principal.role}) may not {action} "
            f"{department} department assets",
        )
    return Decision(allowed=True)
