"""A small pymavlink ground station for the simulator tests: wait on conditions, not sleeps."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

# mavutil picks MAVLink 1 or 2 once, at its first import; another test module may have
# imported it first without MAVLINK20, so choose the (default) dialect again, now as v2.
if not mavutil.mavlink.WIRE_PROTOCOL_VERSION.startswith("2"):
    mavutil.set_dialect("ardupilotmega")
mavlink = mavutil.mavlink
NAN = math.nan
GCS_SYSID = 245
GCS_COMPID = 190


class Client:
    """One UDP link to one simulated vehicle, as a ground station (sysid 245, compid 190)."""

    def __init__(self, url: str, *, source_system: int = GCS_SYSID) -> None:
        self.link = mavutil.mavlink_connection(url, source_system=source_system,
                                               source_component=GCS_COMPID)
        self.sysid = 0
        self.statustexts: list[str] = []

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def mav(self) -> Any:
        return self.link.mav

    def recv(self, timeout_s: float = 1.0) -> Any:
        msg = self.link.recv_match(blocking=True, timeout=timeout_s)
        if msg is not None and msg.get_type() == "STATUSTEXT":
            self.statustexts.append(msg.text)
        return msg

    def wait(self, msg_type: str | tuple[str, ...], pred: Callable[[Any], bool] = lambda m: True,
             timeout_s: float = 10.0) -> Any:
        """The first message of this type (from the vehicle) for which `pred` holds."""
        types = (msg_type,) if isinstance(msg_type, str) else msg_type
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            msg = self.recv(min(left, 0.5))
            if msg is None or msg.get_type() not in types:
                continue
            if self.sysid and msg.get_srcSystem() != self.sysid:
                continue
            if pred(msg):
                return msg
        raise TimeoutError(f"no {msg_type} matching the condition within {timeout_s} s")

    def connect(self, timeout_s: float = 10.0) -> Any:
        hb = self.wait("HEARTBEAT", timeout_s=timeout_s)
        self.sysid = hb.get_srcSystem()
        return hb

    def wait_gps_fix(self, timeout_s: float = 30.0) -> Any:
        return self.wait("GPS_RAW_INT", lambda m: m.fix_type >= 3, timeout_s)

    def command(self, cmd: int, *params: float, timeout_s: float = 5.0) -> int:
        p = list(params) + [0.0] * (7 - len(params))
        self.mav.command_long_send(self.sysid, 1, cmd, 0, *p)
        return self.wait("COMMAND_ACK", lambda m: m.command == cmd, timeout_s).result

    def command_int(self, cmd: int, frame: int, params: tuple[float, float, float, float],
                    x: int, y: int, z: float, timeout_s: float = 5.0) -> int:
        self.mav.command_int_send(self.sysid, 1, frame, cmd, 0, 0, *params, x, y, z)
        return self.wait("COMMAND_ACK", lambda m: m.command == cmd, timeout_s).result

    def position(self, timeout_s: float = 5.0) -> Any:
        return self.wait("GLOBAL_POSITION_INT", timeout_s=timeout_s)

    def heartbeat_from_gcs(self) -> None:
        self.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)

    def arm_and_takeoff(self, alt_m: float | None = None, timeout_s: float = 60.0) -> Any:
        """Arm, take off (to MIS_TAKEOFF_ALT when alt_m is None) and wait until there."""
        self.wait_gps_fix()
        assert self.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        home = self.wait("HOME_POSITION")
        alt_amsl = NAN if alt_m is None else home.altitude / 1000 + alt_m
        assert self.command(mavlink.MAV_CMD_NAV_TAKEOFF, NAN, 0, 0, NAN, NAN, NAN, alt_amsl) == 0
        target_mm = (alt_m if alt_m is not None else 2.5) * 1000 - 400
        return self.wait("GLOBAL_POSITION_INT", lambda m: m.relative_alt >= target_mm, timeout_s)

    def get_param(self, name: str, timeout_s: float = 5.0) -> Any:
        self.mav.param_request_read_send(self.sysid, 1, name.encode(), -1)
        return self.wait("PARAM_VALUE", lambda m: m.param_id == name, timeout_s)

    def set_param(self, name: str, value: float, ptype: int = mavlink.MAV_PARAM_TYPE_REAL32,
                  timeout_s: float = 5.0) -> Any:
        self.mav.param_set_send(self.sysid, 1, name.encode(), value, ptype)
        return self.wait("PARAM_VALUE", lambda m: m.param_id == name, timeout_s)

    def upload(self, items: list[Any], mission_type: int = 0, timeout_s: float = 10.0) -> int:
        """Upload MISSION_ITEM_INTs; returns the MISSION_ACK type (0 = accepted)."""
        self.mav.mission_count_send(self.sysid, 1, len(items), mission_type)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.wait(("MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"),
                            timeout_s=deadline - time.monotonic())
            if msg.get_type() == "MISSION_ACK":
                return msg.type
            it = items[msg.seq]
            self.mav.mission_item_int_send(self.sysid, 1, msg.seq, it.frame, it.command,
                                           it.current, it.autocontinue, it.param1, it.param2,
                                           it.param3, it.param4, it.x, it.y, it.z, mission_type)
        raise TimeoutError("mission upload did not finish")

    def download(self, mission_type: int = 0, timeout_s: float = 10.0) -> list[Any]:
        self.mav.mission_request_list_send(self.sysid, 1, mission_type)
        count = self.wait("MISSION_COUNT", timeout_s=timeout_s).count
        items = []
        for seq in range(count):
            self.mav.mission_request_int_send(self.sysid, 1, seq, mission_type)
            items.append(self.wait("MISSION_ITEM_INT", lambda m, s=seq: m.seq == s,
                                   timeout_s=timeout_s))
        self.mav.mission_ack_send(self.sysid, 1, 0, mission_type)
        return items


def item(seq: int, command: int, lat_deg: float = 0.0, lon_deg: float = 0.0, alt_m: float = 0.0,
         *, params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
         frame: int = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mission_type: int = 0) -> Any:
    """A MISSION_ITEM_INT message object (addressing filled in when sent)."""
    return mavlink.MAVLink_mission_item_int_message(
        0, 0, seq, frame, command, 0, 1, *params, int(round(lat_deg * 1e7)),
        int(round(lon_deg * 1e7)), alt_m, mission_type)


def offset_deg(lat_deg: float, lon_deg: float, east_m: float,
               north_m: float) -> tuple[float, float]:
    """A point east_m / north_m away (spherical approximation, plenty for tests' 2 m checks
    when the distance check uses the same formula)."""
    return (lat_deg + north_m / 111_320.0,
            lon_deg + east_m / (111_320.0 * math.cos(math.radians(lat_deg))))


def distance_m(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Haversine, independent of the simulator's own geodesy."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp, dl = p2 - p1, math.radians(lon2_deg - lon1_deg)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
