"""Which events a principal may see: those of its departments' vehicles and assets.

An event belongs to a department when its data names one (`department`) or names a vehicle
(`vehicle_id`) of the fleet; an event naming neither is fleet-wide and everyone signed in sees
it. An event about a vehicle the fleet does not know is shown only to roles that see every
department, since nobody can say whose it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from web.auth.deps import visible_departments
from web.auth.roles import ALL_DEPARTMENT_ROLES, Principal

UNKNOWN = ""  #: the department of a vehicle the fleet does not list


@dataclass(frozen=True, kw_only=True, slots=True)
class Audience:
    """Departments whose events a client sees; None: every event, unknown vehicles included."""

    departments: frozenset[str] | None

    @classmethod
    def of(cls, principal: Principal) -> Audience:
        if principal.role in ALL_DEPARTMENT_ROLES:
            return cls(departments=None)
        return cls(departments=frozenset(d.value for d in visible_departments(principal)))

    def sees(self, department: str | None) -> bool:
        return department is None or self.departments is None or department in self.departments


class DepartmentOf:
    """An event's department from its data; the vehicle → department table is re-read from
    the fleet when an unknown vehicle shows up, so vehicles added later are placed."""

    def __init__(self, vehicle_departments: Callable[[], Mapping[str, str]]) -> None:
        self._read = vehicle_departments
        self._table: Mapping[str, str] = {}

    def __call__(self, data: Mapping[str, Any]) -> str | None:
        department = data.get("department")
        if isinstance(department, str):
            return department
        vehicle_id = data.get("vehicle_id")
        if not isinstance(vehicle_id, str):
            return None
        found = self._table.get(vehicle_id)
        if found is None:
            self._table = self._read()
            found = self._table.get(vehicle_id, UNKNOWN)
        return found
