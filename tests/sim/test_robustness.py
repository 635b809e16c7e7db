"""Hostile input never stops a vehicle: garbage, half packets, bad CRCs, MAVLink 1, floods,
and messages addressed to other systems are dropped."""

from __future__ import annotations

import os
import socket

import pytest
from pymavlink.dialects.v10 import common as mavlink1
from pymavlink.dialects.v20 import common as mavlink2

from tests.sim.mav_client import Client, mavlink

pytestmark = pytest.mark.e2e


def _packet(msg: mavlink2.MAVLink_message, sysid: int = 245) -> bytes:
    return msg.pack(mavlink2.MAVLink(None, srcSystem=sysid, srcComponent=190))


def test_garbage_half_packets_bad_crc_and_floods_leave_the_vehicle_answering(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        arm = _packet(mavlink2.MAVLink_command_long_message(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0))
        bad_crc = bytearray(arm)
        bad_crc[-1] ^= 0xFF
        v1 = mavlink1.MAVLink_heartbeat_message(6, 8, 0, 0, 0, 3).pack(
            mavlink1.MAVLink(None, srcSystem=245, srcComponent=190))
        hostile = [os.urandom(n) for n in (1, 7, 64, 280, 1500, 65000)]
        hostile += [arm[: len(arm) // 2], bytes(bad_crc), v1, b"\xfd" * 300, b"\xfe\x09" * 100]
        hostile += [bytes([0xFD, 255, 0, 0, 0, 1, 1]) + os.urandom(300)]  # absurd length
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(300):  # a flood: 3,600 datagrams as fast as the kernel takes them
                for data in hostile:
                    s.sendto(data, ("127.0.0.1", sim.vehicle_port(0)))
        assert sim.alive()
        # no half or corrupted arm command got through
        hb = gcs.wait("HEARTBEAT", timeout_s=5)
        assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        gcs.wait_gps_fix()
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        assert sim.alive()


def test_messages_for_other_system_ids_are_ignored(sim_factory) -> None:
    sim = sim_factory(vehicles=2, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.wait_gps_fix()
        gcs.mav.command_long_send(2, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0)  # vehicle 0 is system 1
        gcs.mav.param_set_send(7, 1, b"MIS_TAKEOFF_ALT", 33.0, mavlink.MAV_PARAM_TYPE_REAL32)
        with pytest.raises(TimeoutError):
            gcs.wait("COMMAND_ACK", timeout_s=1.5)
        hb = gcs.wait("HEARTBEAT")
        assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        assert gcs.get_param("MIS_TAKEOFF_ALT").param_value == pytest.approx(2.5)


def test_rover_refuses_takeoff_and_drives_on_the_ground(sim_factory) -> None:
    sim = sim_factory(vehicles=1, rovers=1, speedup=20.0)
    with Client(sim.mavutil_url(1)) as gcs:
        hb = gcs.connect()
        assert hb.type == mavlink.MAV_TYPE_GROUND_ROVER
        gcs.wait_gps_fix()
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        nan = float("nan")
        assert gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, nan, 0, 0, nan, nan, nan, 30.0) == \
            mavlink.MAV_RESULT_DENIED
        gcs.wait("STATUSTEXT", lambda m: "cannot fly" in m.text, timeout_s=3)
        start = gcs.position()
        lat, lon = start.lat / 1e7 + 0.0003, start.lon / 1e7  # ~33 m north
        assert gcs.command_int(mavlink.MAV_CMD_DO_REPOSITION, mavlink.MAV_FRAME_GLOBAL_INT,
                               (-1, 1, 0, nan), int(lat * 1e7), int(lon * 1e7), 50.0) == 0
        fastest = 0.0
        while True:
            pos = gcs.position(timeout_s=30)
            assert pos.relative_alt == 0
            fastest = max(fastest, (pos.vx**2 + pos.vy**2) ** 0.5 / 100)
            if abs(pos.lat / 1e7 - lat) * 111_320 < 1.0 and fastest > 0 and pos.vx == 0:
                break
        assert 2.0 < fastest <= 3.5  # rover speed, not a drone's
