"""PX4 flight modes as the HEARTBEAT's custom_mode carries them: main << 16 | sub << 24."""

from __future__ import annotations

from enum import Enum

MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1
MAV_MODE_FLAG_SAFETY_ARMED = 128

PX4_MAIN_MANUAL = 1
PX4_MAIN_ALTCTL = 2
PX4_MAIN_POSCTL = 3
PX4_MAIN_AUTO = 4
PX4_MAIN_OFFBOARD = 6


class FlightMode(Enum):
    """The PX4 auto modes the simulator flies; value = (main, sub)."""

    TAKEOFF = (PX4_MAIN_AUTO, 2)
    HOLD = (PX4_MAIN_AUTO, 3)  #: AUTO.LOITER, what PX4 calls Hold
    MISSION = (PX4_MAIN_AUTO, 4)
    RTL = (PX4_MAIN_AUTO, 5)
    LAND = (PX4_MAIN_AUTO, 6)

    @property
    def custom_mode(self) -> int:
        main, sub = self.value
        return (main << 16) | (sub << 24)

    @property
    def label(self) -> str:
        return self.name.capitalize() if self is not FlightMode.RTL else "Return"


def mode_from_px4(main: int, sub: int) -> FlightMode | None:
    """The auto mode a DO_SET_MODE asks for, None for modes the simulator cannot fly."""
    for mode in FlightMode:
        if mode.value == (main, sub):
            return mode
    return None


def base_mode(armed: bool) -> int:
    return MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | (MAV_MODE_FLAG_SAFETY_ARMED if armed else 0)
