"""Payload commands: loudspeaker (MAV_CMD_USER_1), gripper drop, photos, gimbal; unknown ones."""

from __future__ import annotations

import math
import struct

import pytest

from tests.sim.mav_client import NAN, Client, distance_m, mavlink, offset_deg

pytestmark = pytest.mark.e2e

LOUDSPEAKER = 31010  # MAV_CMD_USER_1, param1 1 = on, 0 = off


def test_loudspeaker_gripper_and_unknown_commands(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        assert gcs.command(LOUDSPEAKER, 1) == mavlink.MAV_RESULT_ACCEPTED
        gcs.wait("STATUSTEXT", lambda m: m.text == "Loudspeaker on", timeout_s=3)
        assert gcs.command(LOUDSPEAKER, 1) == mavlink.MAV_RESULT_ACCEPTED  # idempotent
        assert gcs.command(LOUDSPEAKER, 0) == mavlink.MAV_RESULT_ACCEPTED
        gcs.wait("STATUSTEXT", lambda m: m.text == "Loudspeaker off", timeout_s=3)
        assert gcs.command(LOUDSPEAKER, 7) == mavlink.MAV_RESULT_DENIED

        release = (mavlink.MAV_CMD_DO_GRIPPER, 1, mavlink.GRIPPER_ACTION_RELEASE)
        assert gcs.command(*release) == mavlink.MAV_RESULT_ACCEPTED  # one payload aboard
        # the same command again at once is a resend (a lost ACK): answered, not repeated
        assert gcs.command(*release) == mavlink.MAV_RESULT_ACCEPTED
        assert _int_of(gcs.get_param("SIM_PAYLOAD_CNT").param_value) == 0
        assert sum("Payload released" in t for t in gcs.statustexts) == 1
        # a release on the second gripper is a new command, and nothing is left to drop
        assert gcs.command(mavlink.MAV_CMD_DO_GRIPPER, 2, mavlink.GRIPPER_ACTION_RELEASE) == \
            mavlink.MAV_RESULT_DENIED
        gcs.wait("STATUSTEXT", lambda m: "no payload" in m.text, timeout_s=3)
        assert gcs.command(mavlink.MAV_CMD_USER_2) == mavlink.MAV_RESULT_UNSUPPORTED
        assert gcs.command(mavlink.MAV_CMD_DO_SET_SERVO, 1, 1500) == mavlink.MAV_RESULT_UNSUPPORTED


def test_photos_carry_the_position_and_a_counting_index(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=30.0)
        shots = []
        for cmd, params in ((mavlink.MAV_CMD_IMAGE_START_CAPTURE, (0, 0, 1, 0)),
                            (mavlink.MAV_CMD_DO_DIGICAM_CONTROL, (0, 0, 0, 0, 1, 0, 0))):
            pos = gcs.position()
            assert gcs.command(cmd, *params) == 0
            shot = gcs.wait("CAMERA_IMAGE_CAPTURED", timeout_s=3)
            assert distance_m(shot.lat / 1e7, shot.lon / 1e7, pos.lat / 1e7, pos.lon / 1e7) < 1.0
            assert shot.relative_alt == pytest.approx(30_000, abs=1000)
            assert shot.alt == pytest.approx(pos.alt, abs=1000)
            assert shot.capture_result == 1
            shots.append(shot.image_index)
        assert shots == [0, 1]


def test_gimbal_commands_show_in_attitude_status(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        assert gcs.command(mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -45, 30, NAN, NAN, 0) == 0
        status = gcs.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", lambda m: abs(m.q[0] - 1) > 1e-3)
        pitch, yaw = _pitch_yaw_deg(status.q)
        assert pitch == pytest.approx(-45, abs=0.5) and yaw == pytest.approx(30, abs=0.5)
        assert gcs.command(mavlink.MAV_CMD_DO_MOUNT_CONTROL, -90, 0, 0) == 0
        mount = gcs.wait("MOUNT_ORIENTATION", lambda m: m.pitch < -89)
        assert mount.pitch == pytest.approx(-90, abs=0.5)


STABILISED = (mavlink.GIMBAL_DEVICE_FLAGS_ROLL_LOCK | mavlink.GIMBAL_DEVICE_FLAGS_PITCH_LOCK
              | mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)


def test_gimbal_status_reports_the_stabilised_attitude_at_cruise(sim_factory) -> None:
    """Nose down at 8 m/s, the gimbal still reports -60 degrees from the horizon, roll level,
    yaw in the vehicle frame with the heading as delta_yaw, as PX4 does (gimbal protocol v2);
    locked on a bearing (GIMBAL_MANAGER_SET_PITCHYAW, YAW_LOCK) it says so and holds it."""
    sim = sim_factory(vehicles=1, speedup=20.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(alt_m=30.0)
        home = gcs.wait("HOME_POSITION")
        lat, lon = offset_deg(home.latitude / 1e7, home.longitude / 1e7, east_m=2000.0,
                              north_m=2000.0)
        assert gcs.command_int(mavlink.MAV_CMD_DO_REPOSITION,
                               mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, (8.0, 1, 0, NAN),
                               int(lat * 1e7), int(lon * 1e7), 30.0) == 0
        assert gcs.command(mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -60, 0, NAN, NAN, 0) == 0
        gcs.wait("ATTITUDE", lambda m: m.pitch < math.radians(-9)
                 and abs(math.degrees(m.yaw) - 45) < 0.5, timeout_s=30)  # turned, cruising
        status = gcs.wait("GIMBAL_DEVICE_ATTITUDE_STATUS", timeout_s=5)
        after = gcs.wait("ATTITUDE", timeout_s=5)
        assert math.degrees(after.pitch) < -9  # still nose down: cruising at 8 m/s
        assert status.flags & STABILISED == STABILISED
        assert not status.flags & mavlink.GIMBAL_DEVICE_FLAGS_YAW_LOCK
        roll, pitch, yaw = _euler_deg(status.q)
        assert (roll, pitch, yaw) == pytest.approx((0.0, -60.0, 0.0), abs=0.5)
        # the vehicle frame is the level one turned to the heading: north-east here
        assert math.degrees(status.delta_yaw) == pytest.approx(45.0, abs=1.0)
        mount = gcs.wait("MOUNT_ORIENTATION", timeout_s=5)
        assert (mount.roll, mount.pitch) == pytest.approx((0.0, -60.0), abs=0.5)

        west = math.radians(-90.0)  # YAW_LOCK alone: a bearing from north
        gcs.mav.gimbal_manager_set_pitchyaw_send(
            gcs.sysid, 1, mavlink.GIMBAL_MANAGER_FLAGS_YAW_LOCK, 0, math.radians(-30), west,
            NAN, NAN)
        locked = gcs.wait("GIMBAL_DEVICE_ATTITUDE_STATUS",
                          lambda m: m.flags & mavlink.GIMBAL_DEVICE_FLAGS_YAW_LOCK, timeout_s=5)
        assert locked.flags & STABILISED == STABILISED
        roll, pitch, yaw = _euler_deg(locked.q)
        assert (roll, pitch) == pytest.approx((0.0, -30.0), abs=0.5)
        assert yaw == pytest.approx(-135.0, abs=1.0)  # from the nose, heading 45
        # q_earth = q_delta_yaw * q: yaw from north is the locked bearing
        assert (math.degrees(locked.delta_yaw) + yaw + 180) % 360 - 180 == \
            pytest.approx(-90.0, abs=0.5)
        mount = gcs.wait("MOUNT_ORIENTATION", timeout_s=5)
        assert mount.yaw_absolute == pytest.approx(270.0, abs=1.0)


def _euler_deg(q: list[float]) -> tuple[float, float, float]:
    """Roll, pitch, yaw (ZYX, as PX4's matrix::Eulerf) of a w, x, y, z quaternion."""
    w, x, y, z = q
    roll = math.degrees(math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))
    pitch, yaw = _pitch_yaw_deg(q)
    return roll, pitch, yaw


def _int_of(wire: float) -> int:
    return struct.unpack("<i", struct.pack("<f", wire))[0]


def _pitch_yaw_deg(q: list[float]) -> tuple[float, float]:
    w, x, y, z = q
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))
    yaw = math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
    return pitch, yaw
