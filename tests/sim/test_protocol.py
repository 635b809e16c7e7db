"""Protocol details a ground station relies on: AUTOPILOT_VERSION, message intervals, PX4 mode
changes, speed changes, ROI pointing, and answering a second ground station on its own port."""

from __future__ import annotations

import math
import time

import pytest

from tests.sim.mav_client import NAN, Client, mavlink, offset_deg

pytestmark = pytest.mark.e2e

PX4_LAND = (4 << 16) | (6 << 24)
CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED


def _angle_diff_deg(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def test_autopilot_version_on_request_lists_px4_capabilities(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        result = gcs.command(mavlink.MAV_CMD_REQUEST_MESSAGE,
                             mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
        assert result == mavlink.MAV_RESULT_ACCEPTED
        version = gcs.wait("AUTOPILOT_VERSION", timeout_s=3)
        for cap in ("MISSION_INT", "COMMAND_INT", "PARAM_FLOAT", "MISSION_FENCE",
                    "MISSION_RALLY", "MAVLINK2"):
            assert version.capabilities & getattr(mavlink, f"MAV_PROTOCOL_CAPABILITY_{cap}"), cap
        assert not version.capabilities & mavlink.MAV_PROTOCOL_CAPABILITY_FTP
        assert gcs.command(mavlink.MAV_CMD_REQUEST_MESSAGE,
                           mavlink.MAVLINK_MSG_ID_HOME_POSITION) == 0
        gcs.wait("HOME_POSITION", timeout_s=2)


def _rate_hz(gcs: Client, msg_type: str, sim_s: float) -> float:
    """Messages of one type per sim second, timed by GLOBAL_POSITION_INT's boot clock."""
    first = gcs.wait("ATTITUDE")
    count = 0
    while True:
        m = gcs.wait((msg_type, "ATTITUDE"))
        if m.get_type() == msg_type:
            count += 1
        elif m.time_boot_ms - first.time_boot_ms >= sim_s * 1000:
            return count / ((m.time_boot_ms - first.time_boot_ms) / 1000)


def test_set_message_interval_changes_and_stops_a_stream(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=2.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gpi = mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT
        assert gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, gpi, 500_000) == 0  # 2 Hz
        assert _rate_hz(gcs, "GLOBAL_POSITION_INT", 5.0) == pytest.approx(2.0, abs=0.5)
        assert gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, gpi, -1) == 0  # off
        assert _rate_hz(gcs, "GLOBAL_POSITION_INT", 3.0) < 0.5
        assert gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, gpi, 0) == 0  # default 10 Hz
        assert _rate_hz(gcs, "GLOBAL_POSITION_INT", 3.0) == pytest.approx(10.0, abs=1.5)
        assert gcs.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, 9999, 100_000) == \
            mavlink.MAV_RESULT_DENIED


def test_px4_mode_changes_and_refusals(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        assert gcs.command(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 4, 4) == mavlink.MAV_RESULT_DENIED
        gcs.wait("STATUSTEXT", lambda m: "no mission" in m.text, timeout_s=3)
        gcs.arm_and_takeoff(alt_m=10.0)
        assert gcs.command(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 6, 0) == mavlink.MAV_RESULT_DENIED
        gcs.wait("STATUSTEXT", lambda m: "Offboard" in m.text, timeout_s=3)
        assert gcs.command(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 3, 0) == mavlink.MAV_RESULT_DENIED
        assert gcs.command(mavlink.MAV_CMD_DO_SET_MODE, CUSTOM, 4, 6) == 0  # AUTO.LAND
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_LAND, timeout_s=3)
        gcs.wait("HEARTBEAT", lambda m: not m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED,
                 timeout_s=60)


def test_change_speed_sets_the_cruise_speed(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=10.0)
        assert gcs.command(mavlink.MAV_CMD_DO_CHANGE_SPEED, 1, 9.0, -1) == 0
        home = gcs.wait("HOME_POSITION")
        lat, lon = offset_deg(home.latitude / 1e7, home.longitude / 1e7, 0.0, 600.0)
        assert gcs.command(mavlink.MAV_CMD_DO_REPOSITION, -1, 1, 0, NAN, lat, lon,
                           home.altitude / 1000 + 10.0) == 0  # COMMAND_LONG: AMSL
        hud = gcs.wait("VFR_HUD", lambda m: m.groundspeed > 8.5, timeout_s=20)
        assert hud.groundspeed <= 9.05
        assert _angle_diff_deg(hud.heading, 0.0) <= 3  # nose north, towards the target


def test_roi_points_the_gimbal_at_the_location(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=20.0)
        here = gcs.position()
        lat, lon = offset_deg(here.lat / 1e7, here.lon / 1e7, 0.0, 20.0)  # 20 m north, ground
        ground_amsl = (here.alt - here.relative_alt) / 1000
        assert gcs.command(mavlink.MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, lat, lon,
                           ground_amsl) == 0
        mount = gcs.wait("MOUNT_ORIENTATION", lambda m: m.pitch < -1.0, timeout_s=3)
        assert mount.pitch == pytest.approx(-math.degrees(math.atan2(20, 20)), abs=2.0)
        assert _angle_diff_deg(mount.yaw_absolute, 0.0) <= 2.0  # north, where the ROI is


def test_a_second_ground_station_on_the_vehicle_port_is_answered(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(f"udpout:127.0.0.1:{sim.vehicle_port(0)}", source_system=250) as other:
        other.heartbeat_from_gcs()  # the vehicle learns this peer's address from its packets
        other.connect()
        other.wait_gps_fix()
        assert other.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        ack_deadline = time.monotonic() + 2
        while time.monotonic() < ack_deadline:  # telemetry keeps flowing to the new peer
            assert other.position(timeout_s=2) is not None


def test_heartbeat_stays_at_least_1hz_wall_below_real_time(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=0.2)  # 1 Hz sim would be one heartbeat per 5 s
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        start = time.monotonic()
        beats = [gcs.wait("HEARTBEAT", timeout_s=2.0) for _ in range(3)]
        assert len(beats) == 3 and time.monotonic() - start < 4.0
