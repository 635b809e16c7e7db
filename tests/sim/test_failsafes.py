"""PX4 failsafes on the simulator: link loss, low / critical battery, geofence breach."""

from __future__ import annotations

import struct
import time

import pytest

from tests.sim.mav_client import NAN, Client, distance_m, item, mavlink, offset_deg

pytestmark = pytest.mark.e2e

PX4_HOLD = (4 << 16) | (3 << 24)
PX4_RTL = (4 << 16) | (5 << 24)
PX4_LAND = (4 << 16) | (6 << 24)


def _int_param(value: int) -> float:
    return struct.unpack("<f", struct.pack("<i", value))[0]


def _goto(gcs: Client, lat: float, lon: float, alt_rel_m: float) -> None:
    assert gcs.command_int(mavlink.MAV_CMD_DO_REPOSITION, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                           (-1, 1, 0, NAN), int(lat * 1e7), int(lon * 1e7), alt_rel_m) == 0


def _disarmed(m) -> bool:
    return not m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED


def test_link_loss_triggers_rtl_only_when_the_gcs_goes_quiet(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.heartbeat_from_gcs()
        gcs.set_param("COM_DL_LOSS_T", _int_param(5), mavlink.MAV_PARAM_TYPE_INT32)
        gcs.arm_and_takeoff(alt_m=10.0)
        home = gcs.wait("HOME_POSITION")
        # A ground station beating about once per wall second (20 sim s, 4x COM_DL_LOSS_T)
        # is not a lost link: MAVSDK and QGC send their heartbeat at 1 Hz whatever the speed-up.
        start = time.monotonic()
        while time.monotonic() - start < 5.0:
            gcs.heartbeat_from_gcs()
            beat = time.monotonic()
            while time.monotonic() - beat < 0.8:
                msg = gcs.recv(0.1)
                if msg is not None and msg.get_type() == "HEARTBEAT":
                    assert msg.custom_mode == PX4_HOLD
        assert not any("Failsafe" in t for t in gcs.statustexts)
        # Now silence: after COM_DL_LOSS_T the vehicle returns home and lands.
        gcs.wait("STATUSTEXT", lambda m: "ground station lost" in m.text, timeout_s=15)
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_RTL, timeout_s=5)
        gcs.wait("HEARTBEAT", _disarmed, timeout_s=60)
        pos = gcs.position()
        assert distance_m(pos.lat / 1e7, pos.lon / 1e7, home.latitude / 1e7,
                          home.longitude / 1e7) < 3.0


def test_draining_battery_returns_then_lands(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=10.0)
        home = gcs.wait("HOME_POSITION")
        _goto(gcs, *offset_deg(home.latitude / 1e7, home.longitude / 1e7, 300.0, 0.0), 20.0)
        gcs.set_param("SIM_BAT_DRAIN", 80.0)
        low = gcs.wait("STATUSTEXT", lambda m: "battery low" in m.text, timeout_s=30)
        assert "return" in low.text
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_RTL, timeout_s=5)
        status = gcs.wait("SYS_STATUS")
        assert status.battery_remaining <= 16
        gcs.wait("STATUSTEXT", lambda m: "battery critical" in m.text, timeout_s=30)
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_LAND, timeout_s=5)
        battery = gcs.wait("BATTERY_STATUS")
        assert battery.charge_state == mavlink.MAV_BATTERY_CHARGE_STATE_CRITICAL
        assert battery.voltages[0] < 3700  # a nearly empty LiPo cell, mV
        gcs.wait("HEARTBEAT", _disarmed, timeout_s=60)
        assert abs(gcs.position().relative_alt) < 200
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == mavlink.MAV_RESULT_DENIED


def test_max_distance_breach_returns_home(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.set_param("GF_MAX_HOR_DIST", 50.0)
        gcs.set_param("GF_ACTION", _int_param(3), mavlink.MAV_PARAM_TYPE_INT32)
        gcs.arm_and_takeoff(alt_m=10.0)
        home = gcs.wait("HOME_POSITION")
        _goto(gcs, *offset_deg(home.latitude / 1e7, home.longitude / 1e7, 0.0, 120.0), 10.0)
        gcs.wait("STATUSTEXT", lambda m: "Geofence: more than 50 m" in m.text, timeout_s=30)
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_RTL, timeout_s=5)
        farthest = 0.0
        while True:
            m = gcs.wait(("GLOBAL_POSITION_INT", "HEARTBEAT"), timeout_s=60)
            if m.get_type() == "HEARTBEAT":
                if _disarmed(m):
                    break
                continue
            farthest = max(farthest, distance_m(m.lat / 1e7, m.lon / 1e7, home.latitude / 1e7,
                                                home.longitude / 1e7))
        assert farthest < 65.0  # stopped soon after the 50 m limit


def test_inclusion_fence_breach_holds(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        home = gcs.wait("HOME_POSITION")
        lat, lon = home.latitude / 1e7, home.longitude / 1e7
        fence_type = mavlink.MAV_MISSION_TYPE_FENCE
        corners = [offset_deg(lat, lon, e, n) for e, n in ((-40, -40), (40, -40), (40, 40),
                                                           (-40, 40))]
        fence = [item(i, mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, *c,
                      params=(4.0, 0.0, 0.0, 0.0), frame=mavlink.MAV_FRAME_GLOBAL,
                      mission_type=fence_type) for i, c in enumerate(corners)]
        assert gcs.upload(fence, fence_type) == 0
        gcs.arm_and_takeoff(alt_m=10.0)  # GF_ACTION defaults to 2: Hold
        target = offset_deg(lat, lon, 150.0, 0.0)
        _goto(gcs, *target, 10.0)
        gcs.wait("STATUSTEXT", lambda m: "outside the inclusion fence" in m.text, timeout_s=30)
        gcs.wait("GLOBAL_POSITION_INT", lambda m: abs(m.vx) + abs(m.vy) < 10, timeout_s=20)
        pos = gcs.position()
        east_m = distance_m(lat, lon, lat, pos.lon / 1e7)
        assert 40.0 < east_m < 55.0  # stopped just past the east edge, not at the target
        assert gcs.wait("HEARTBEAT").custom_mode == PX4_HOLD
