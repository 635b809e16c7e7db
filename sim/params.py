"""The vehicle's parameter table, with PX4 names, defaults and PX4's bytewise integer encoding.

PX4 sends INT32 parameters with the integer's bytes reinterpreted as a float (MAVSDK and QGC
expect that for a PX4 autopilot), so the table stores the real value and converts at the edge.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Literal

ParamType = Literal["float", "int"]

MAV_PARAM_TYPE_INT32 = 6
MAV_PARAM_TYPE_REAL32 = 9
_INT_WIRE_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 8})  # UINT8 .. INT64


@dataclass(frozen=True, kw_only=True, slots=True)
class ParamSpec:
    name: str
    kind: ParamType
    default: float
    why: str


#: Defaults follow PX4 unless the simulator needs another (NAV_DLL_ACT: RTL, as Skywatch asks).
PARAM_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(name="MIS_TAKEOFF_ALT", kind="float", default=2.5, why="takeoff height, m"),
    ParamSpec(name="MPC_XY_CRUISE", kind="float", default=5.0, why="auto-mode speed, m/s"),
    ParamSpec(name="MPC_XY_VEL_MAX", kind="float", default=12.0, why="max horizontal m/s"),
    ParamSpec(name="MPC_Z_VEL_MAX_UP", kind="float", default=3.0, why="max climb, m/s"),
    ParamSpec(name="MPC_TKO_SPEED", kind="float", default=1.5, why="takeoff climb, m/s"),
    ParamSpec(name="MPC_Z_VEL_MAX_DN", kind="float", default=1.5, why="max sink, m/s"),
    ParamSpec(name="MPC_ACC_HOR", kind="float", default=3.0, why="horizontal accel, m/s^2"),
    ParamSpec(name="MPC_LAND_SPEED", kind="float", default=0.7, why="final landing sink, m/s"),
    ParamSpec(name="MPC_LAND_ALT1", kind="float", default=10.0, why="slow down below, m"),
    ParamSpec(name="NAV_ACC_RAD", kind="float", default=2.0, why="default acceptance, m"),
    ParamSpec(name="RTL_RETURN_ALT", kind="float", default=60.0, why="RTL cruise height, m"),
    ParamSpec(name="COM_DL_LOSS_T", kind="int", default=10, why="GCS link-loss timeout, s"),
    ParamSpec(name="NAV_DLL_ACT", kind="int", default=2,
              why="link loss: 0 none, 1 hold, 2 RTL, 3 land"),
    ParamSpec(name="COM_DISARM_LAND", kind="float", default=2.0, why="auto-disarm after, s"),
    ParamSpec(name="BAT_LOW_THR", kind="float", default=0.15, why="low battery, fraction"),
    ParamSpec(name="BAT_CRIT_THR", kind="float", default=0.07, why="critical, fraction"),
    ParamSpec(name="COM_LOW_BAT_ACT", kind="int", default=3,
              why="0 warn, 2 land at critical, 3 RTL at low and land at critical"),
    ParamSpec(name="GF_ACTION", kind="int", default=2,
              why="fence breach: 0 none, 1 warn, 2 hold, 3 RTL, 5 land"),
    ParamSpec(name="GF_MAX_HOR_DIST", kind="float", default=0.0, why="0 disables, m"),
    ParamSpec(name="GF_MAX_VER_DIST", kind="float", default=0.0, why="0 disables, m"),
    ParamSpec(name="GND_SPEED_TRIM", kind="float", default=3.0, why="rover cruise, m/s"),
    ParamSpec(name="SIM_BAT_DRAIN", kind="float", default=1.0,
              why="simulator: battery drain multiplier, to force a low battery in tests"),
    ParamSpec(name="SIM_PAYLOAD_CNT", kind="int", default=1,
              why="simulator: payloads DO_GRIPPER can still release"),
)


def encode_int_bytewise(value: int) -> float:
    """PX4 wire form of an INT32 parameter: the int's bytes read as a little-endian float."""
    return struct.unpack("<f", struct.pack("<i", int(value)))[0]


def decode_int_bytewise(wire: float) -> int:
    return struct.unpack("<i", struct.pack("<f", wire))[0]


class ParamTable:
    """Values by name, in a fixed order (the index PARAM_VALUE reports)."""

    def __init__(self) -> None:
        self._specs = {s.name: s for s in PARAM_SPECS}
        self._names = [s.name for s in PARAM_SPECS]
        self._values: dict[str, float] = {s.name: float(s.default) for s in PARAM_SPECS}

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def names(self) -> list[str]:
        return list(self._names)

    def index_of(self, name: str) -> int | None:
        return self._names.index(name) if name in self._specs else None

    def name_at(self, index: int) -> str | None:
        return self._names[index] if 0 <= index < len(self._names) else None

    def set(self, name: str, value: float) -> bool:
        """Store a value (ints rounded); False for unknown names and non-finite values."""
        spec = self._specs.get(name)
        if spec is None or not math.isfinite(value):
            return False
        self._values[name] = float(round(value)) if spec.kind == "int" else float(value)
        return True

    def wire(self, name: str) -> tuple[float, int]:
        """(param_value, param_type) as PARAM_VALUE carries them."""
        value = self._values[name]
        if self._specs[name].kind == "int":
            return encode_int_bytewise(int(value)), MAV_PARAM_TYPE_INT32
        return value, MAV_PARAM_TYPE_REAL32

    def set_from_wire(self, name: str, wire_value: float, wire_type: int) -> bool:
        """Accept both PX4 bytewise ints and plain floats for integer params (pymavlink
        scripts often send REAL32 3.0 for an INT32 parameter)."""
        spec = self._specs.get(name)
        if spec is None:
            return False
        if spec.kind == "int" and wire_type in _INT_WIRE_TYPES:
            return self.set(name, decode_int_bytewise(wire_value))
        return self.set(name, wire_value)
