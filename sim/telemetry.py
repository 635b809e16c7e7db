"""MAVLink messages built from the autopilot's state, as PX4 fills them in.

Builders only: which message goes out when is the stream scheduler's business (`streams.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pymavlink.dialects.v20 import common as mavlink

from sim.autopilot import Autopilot
from sim.px4_modes import FlightMode, base_mode

MAV_TYPE_QUADROTOR = mavlink.MAV_TYPE_QUADROTOR
MAV_TYPE_GROUND_ROVER = mavlink.MAV_TYPE_GROUND_ROVER
_SENSORS = (mavlink.MAV_SYS_STATUS_SENSOR_3D_GYRO | mavlink.MAV_SYS_STATUS_SENSOR_3D_ACCEL
            | mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG | mavlink.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
            | mavlink.MAV_SYS_STATUS_SENSOR_GPS | mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
            | mavlink.MAV_SYS_STATUS_GEOFENCE)
CAPABILITIES = (mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
                | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
                | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT
                | mavlink.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
                | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
                | mavlink.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
                | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
                | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
                | mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
                | mavlink.MAV_PROTOCOL_CAPABILITY_GRIPPER)
PX4_VERSION = (1 << 24) | (15 << 16) | (0 << 8) | 255  #: 1.15.0 release
#: A stabilised gimbal: roll and pitch held against the horizon, yaw reported from the nose.
GIMBAL_FLAGS_STABILISED = (mavlink.GIMBAL_DEVICE_FLAGS_ROLL_LOCK
                           | mavlink.GIMBAL_DEVICE_FLAGS_PITCH_LOCK
                           | mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)
CHARGE_OK, CHARGE_LOW, CHARGE_CRITICAL = 1, 2, 3
UINT16_MAX = 65535
INT32_MAX = 2**31 - 1

Builder = Callable[[Autopilot], mavlink.MAVLink_message]


def _ms(ap: Autopilot) -> int:
    return int(ap.t_s * 1000) & 0xFFFFFFFF


def _e7(deg: float) -> int:
    return int(round(deg * 1e7))


def quaternion(roll_deg: float, pitch_deg: float, yaw_deg: float) -> list[float]:
    r, p, y = (math.radians(a) / 2 for a in (roll_deg, pitch_deg, yaw_deg))
    cr, sr = math.cos(r), math.sin(r)
    cp, sp = math.cos(p), math.sin(p)
    cy, sy = math.cos(y), math.sin(y)
    return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]


def heartbeat(ap: Autopilot) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_heartbeat_message(
        type=MAV_TYPE_GROUND_ROVER if ap.is_rover else MAV_TYPE_QUADROTOR,
        autopilot=mavlink.MAV_AUTOPILOT_PX4, base_mode=base_mode(ap.armed),
        custom_mode=ap.mode.custom_mode,
        system_status=mavlink.MAV_STATE_ACTIVE if ap.armed else mavlink.MAV_STATE_STANDBY,
        mavlink_version=3)


def _charge_state(ap: Autopilot) -> int:
    frac = ap.battery.remaining_frac
    if frac < ap.params["BAT_CRIT_THR"]:
        return CHARGE_CRITICAL
    return CHARGE_LOW if frac < ap.params["BAT_LOW_THR"] else CHARGE_OK


def sys_status(ap: Autopilot) -> mavlink.MAVLink_message:
    b = ap.battery
    health = _SENSORS
    if not ap.gps_fix:
        health &= ~mavlink.MAV_SYS_STATUS_SENSOR_GPS
    if ap.fence_breached:
        health &= ~mavlink.MAV_SYS_STATUS_GEOFENCE
    return mavlink.MAVLink_sys_status_message(
        onboard_control_sensors_present=_SENSORS, onboard_control_sensors_enabled=_SENSORS,
        onboard_control_sensors_health=health,
        load=250, voltage_battery=int(b.voltage_v * 1000), current_battery=int(b.current_a * 100),
        battery_remaining=int(round(b.remaining_frac * 100)), drop_rate_comm=0, errors_comm=0,
        errors_count1=0, errors_count2=0, errors_count3=0, errors_count4=0)


def battery_status(ap: Autopilot) -> mavlink.MAVLink_message:
    b, spec = ap.battery, ap.battery_spec
    cells = [int(b.cell_voltage_v * 1000)] * spec.cells + [UINT16_MAX] * (10 - spec.cells)
    left_s = -1  # unknown: idle, or SIM_BAT_DRAIN 0 (a battery that never empties)
    drain_multiplier = ap.params["SIM_BAT_DRAIN"]
    if b.current_a > 0.5 and drain_multiplier > 0:
        left_s = min(int(b.remaining_frac * spec.capacity_mah / 1000 / b.current_a * 3600
                         / drain_multiplier), INT32_MAX)
    return mavlink.MAVLink_battery_status_message(
        id=0, battery_function=mavlink.MAV_BATTERY_FUNCTION_ALL, type=mavlink.MAV_BATTERY_TYPE_LIPO,
        temperature=32767, voltages=cells, current_battery=int(b.current_a * 100),
        current_consumed=int(b.consumed_mah), energy_consumed=-1,
        battery_remaining=int(round(b.remaining_frac * 100)), time_remaining=left_s,
        charge_state=_charge_state(ap), voltages_ext=[0, 0, 0, 0], mode=0, fault_bitmask=0)


def gps_raw_int(ap: Autopilot) -> mavlink.MAVLink_message:
    g, body = ap.geodetic, ap.body
    fix = ap.gps_fix
    cog = int(math.degrees(math.atan2(body.v_east_mps, body.v_north_mps)) % 360 * 100)
    return mavlink.MAVLink_gps_raw_int_message(
        time_usec=int(ap.t_s * 1e6), fix_type=3 if fix else 1, lat=_e7(g.lat_deg) if fix else 0,
        lon=_e7(g.lon_deg) if fix else 0, alt=int(g.alt_amsl_m * 1000) if fix else 0,
        eph=80 if fix else UINT16_MAX, epv=120 if fix else UINT16_MAX,
        vel=int(body.ground_speed_mps * 100),
        cog=cog if body.ground_speed_mps > 0.2 else UINT16_MAX,
        satellites_visible=14 if fix else 3)


def global_position_int(ap: Autopilot) -> mavlink.MAVLink_message:
    g, body = ap.geodetic, ap.body
    return mavlink.MAVLink_global_position_int_message(
        time_boot_ms=_ms(ap), lat=_e7(g.lat_deg), lon=_e7(g.lon_deg),
        alt=int(round(g.alt_amsl_m * 1000)), relative_alt=int(round(body.up_m * 1000)),
        vx=int(body.v_north_mps * 100), vy=int(body.v_east_mps * 100),
        vz=int(-body.v_up_mps * 100), hdg=int(body.heading_deg * 100) % 36000)


def attitude(ap: Autopilot) -> mavlink.MAVLink_message:
    b = ap.body
    yaw = math.radians((b.heading_deg + 180.0) % 360.0 - 180.0)
    return mavlink.MAVLink_attitude_message(
        time_boot_ms=_ms(ap), roll=math.radians(b.roll_deg), pitch=math.radians(b.pitch_deg),
        yaw=yaw, rollspeed=0.0, pitchspeed=0.0, yawspeed=0.0)


def home_position(ap: Autopilot) -> mavlink.MAVLink_message:
    h = ap.home_geodetic
    return mavlink.MAVLink_home_position_message(
        latitude=_e7(h.lat_deg), longitude=_e7(h.lon_deg), altitude=int(round(h.alt_amsl_m * 1000)),
        x=float(ap.home.north_m), y=float(ap.home.east_m), z=0.0, q=[1.0, 0.0, 0.0, 0.0],
        approach_x=0.0, approach_y=0.0, approach_z=0.0, time_usec=int(ap.t_s * 1e6))


def extended_sys_state(ap: Autopilot) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_extended_sys_state_message(vtol_state=0, landed_state=ap.landed_state)


def vfr_hud(ap: Autopilot) -> mavlink.MAVLink_message:
    b, w = ap.body, ap.config.wind
    air = math.hypot(b.v_east_mps - w.east_mps, b.v_north_mps - w.north_mps) if ap.airborne else 0.0
    throttle = 0 if not ap.armed else (55 if ap.airborne else 10)
    return mavlink.MAVLink_vfr_hud_message(
        airspeed=air, groundspeed=b.ground_speed_mps, heading=int(b.heading_deg) % 360,
        throttle=throttle, alt=ap.geodetic.alt_amsl_m, climb=b.v_up_mps)


def mission_current(ap: Autopilot) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_mission_current_message(
        seq=ap.mission_seq, total=len(ap.missions[0]) or UINT16_MAX,
        mission_state=ap.mission_state, mission_mode=1 if ap.mode is FlightMode.MISSION else 0)


def gimbal_device_attitude_status(ap: Autopilot) -> mavlink.MAVLink_message:
    """The camera's attitude in the vehicle frame (MAVLink gimbal protocol v2): the horizon's
    frame turned to the heading, so roll 0 and pitch from the horizon, yaw from the nose;
    `delta_yaw` is the heading, so q_earth = q_delta_yaw * q. YAW_LOCK says the yaw holds a
    bearing from north while the vehicle turns."""
    pitch, yaw = ap.gimbal_angles_deg()
    flags = GIMBAL_FLAGS_STABILISED
    if ap.payload.gimbal_yaw_locked and ap.payload.roi is None:
        flags |= mavlink.GIMBAL_DEVICE_FLAGS_YAW_LOCK
    return mavlink.MAVLink_gimbal_device_attitude_status_message(
        target_system=0, target_component=0, time_boot_ms=_ms(ap), flags=flags,
        q=quaternion(0.0, pitch, yaw), angular_velocity_x=0.0, angular_velocity_y=0.0,
        angular_velocity_z=0.0, failure_flags=0,
        delta_yaw=math.radians((ap.body.heading_deg + 180.0) % 360.0 - 180.0),
        delta_yaw_velocity=math.nan, gimbal_device_id=1)


def mount_orientation(ap: Autopilot) -> mavlink.MAVLink_message:
    pitch, yaw = ap.gimbal_angles_deg()
    return mavlink.MAVLink_mount_orientation_message(
        time_boot_ms=_ms(ap), roll=0.0, pitch=pitch, yaw=yaw,
        yaw_absolute=(yaw + ap.body.heading_deg) % 360.0)


def autopilot_version(ap: Autopilot, sysid: int) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_autopilot_version_message(
        capabilities=CAPABILITIES, flight_sw_version=PX4_VERSION, middleware_sw_version=0,
        os_sw_version=0, board_version=0, flight_custom_version=[0] * 8,
        middleware_custom_version=[0] * 8, os_custom_version=[0] * 8, vendor_id=0, product_id=0,
        uid=0x5357_0000 + sysid, uid2=[0] * 18)


#: Streamed messages and their PX4-like default rates (sim seconds between sends).
STREAMS: dict[int, tuple[float, Builder]] = {
    mavlink.MAVLINK_MSG_ID_HEARTBEAT: (1.0, heartbeat),
    mavlink.MAVLINK_MSG_ID_SYS_STATUS: (1.0, sys_status),
    mavlink.MAVLINK_MSG_ID_BATTERY_STATUS: (1.0, battery_status),
    mavlink.MAVLINK_MSG_ID_GPS_RAW_INT: (0.2, gps_raw_int),
    mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: (0.1, global_position_int),
    mavlink.MAVLINK_MSG_ID_ATTITUDE: (0.1, attitude),
    mavlink.MAVLINK_MSG_ID_HOME_POSITION: (1.0, home_position),
    mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: (1.0, extended_sys_state),
    mavlink.MAVLINK_MSG_ID_VFR_HUD: (0.25, vfr_hud),
    mavlink.MAVLINK_MSG_ID_MISSION_CURRENT: (1.0, mission_current),
    mavlink.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS: (1.0, gimbal_device_attitude_status),
    mavlink.MAVLINK_MSG_ID_MOUNT_ORIENTATION: (1.0, mount_orientation),
}
