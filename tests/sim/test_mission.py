"""Mission, fence and rally protocols against the simulator, and a mission flown item by item."""

from __future__ import annotations

import pytest

from tests.sim.mav_client import Client, distance_m, item, mavlink, offset_deg

pytestmark = pytest.mark.e2e

FIELDS = ("seq", "frame", "command", "current", "autocontinue", "param1", "param2", "param3",
          "param4", "x", "y", "z", "mission_type")
PX4_HOLD = (4 << 16) | (3 << 24)
PX4_MISSION = (4 << 16) | (4 << 24)


def _home(gcs: Client) -> tuple[float, float]:
    home = gcs.wait("HOME_POSITION")
    return home.latitude / 1e7, home.longitude / 1e7


def _survey(lat: float, lon: float) -> list:
    p1 = offset_deg(lat, lon, 60.0, 0.0)
    p2 = offset_deg(lat, lon, 60.0, 60.0)
    p3 = offset_deg(lat, lon, 0.0, 60.0)
    return [
        item(0, mavlink.MAV_CMD_NAV_TAKEOFF, lat, lon, 15.0),
        item(1, mavlink.MAV_CMD_NAV_WAYPOINT, *p1, 15.0, params=(0.0, 2.0, 0.0, float("nan"))),
        item(2, mavlink.MAV_CMD_DO_CHANGE_SPEED, params=(1.0, 8.0, -1.0, 0.0),
             frame=mavlink.MAV_FRAME_MISSION),
        item(3, mavlink.MAV_CMD_NAV_WAYPOINT, *p2, 20.0, params=(2.0, 2.0, 0.0, float("nan"))),
        item(4, mavlink.MAV_CMD_IMAGE_START_CAPTURE, params=(0.0, 0.0, 1.0, 0.0),
             frame=mavlink.MAV_FRAME_MISSION),
        item(5, mavlink.MAV_CMD_NAV_LOITER_TIME, *p3, 20.0, params=(3.0, 0.0, 0.0, 0.0)),
        item(6, mavlink.MAV_CMD_NAV_WAYPOINT, lat, lon, 15.0, params=(0.0, 2.0, 0.0, 0.0)),
    ]


def test_mission_upload_download_is_identical(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        items = _survey(*_home(gcs))
        assert gcs.upload(items) == mavlink.MAV_MISSION_ACCEPTED
        back = gcs.download()
        assert len(back) == len(items)
        for sent, got in zip(items, back, strict=True):
            for f in FIELDS:
                a, b = getattr(sent, f), getattr(got, f)
                assert a == b or (a != a and b != b), f"item {sent.seq} field {f}: {a} != {b}"
        # legacy MISSION_REQUEST is answered with MISSION_ITEM_INT too
        gcs.mav.mission_request_send(gcs.sysid, 1, 3, 0)
        assert gcs.wait("MISSION_ITEM_INT", lambda m: m.seq == 3).x == items[3].x
        # clear all empties it
        gcs.mav.mission_clear_all_send(gcs.sysid, 1, 0)
        assert gcs.wait("MISSION_ACK").type == mavlink.MAV_MISSION_ACCEPTED
        assert gcs.download() == []


def test_upload_re_requests_a_lost_item(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        items = _survey(*_home(gcs))[:3]
        gcs.mav.mission_count_send(gcs.sysid, 1, len(items), 0)
        first = gcs.wait("MISSION_REQUEST_INT")
        assert first.seq == 0
        # ignore the request, as if the item were lost on the way: the vehicle asks again
        again = gcs.wait("MISSION_REQUEST_INT", timeout_s=3)
        assert again.seq == 0
        assert gcs.upload(items) == mavlink.MAV_MISSION_ACCEPTED


def test_mission_runs_items_in_order_and_ends_in_hold(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=25.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        lat, lon = _home(gcs)
        items = _survey(lat, lon)
        assert gcs.upload(items) == 0
        gcs.wait_gps_fix()
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        assert gcs.command(mavlink.MAV_CMD_MISSION_START, 0, 0) == 0
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_MISSION)
        reached: list[int] = []
        photo = None
        last_pos = gcs.position()
        around: dict[int, list] = {}  # the positions just before and after each item was reached
        while len(reached) < len(items) or len(around[reached[-1]]) < 2:
            msg = gcs.wait(("MISSION_ITEM_REACHED", "CAMERA_IMAGE_CAPTURED",
                            "GLOBAL_POSITION_INT"), timeout_s=90)
            if msg.get_type() == "MISSION_ITEM_REACHED":
                if not reached or reached[-1] != msg.seq:
                    reached.append(msg.seq)
                    around[msg.seq] = [last_pos]
            elif msg.get_type() == "CAMERA_IMAGE_CAPTURED":
                photo = msg
            else:
                last_pos = msg
                for seen in around.values():
                    if len(seen) == 1:
                        seen.append(msg)
        assert reached == list(range(len(items)))
        for seq in (1, 3, 6):  # waypoints: reached within their 2 m acceptance radius
            it = items[seq]
            nearest = min(distance_m(p.lat / 1e7, p.lon / 1e7, it.x / 1e7, it.y / 1e7)
                          for p in around[seq])
            assert nearest < 2.5  # 2 m + what position sampling at this speed-up can miss
        assert photo is not None and photo.image_index == 0
        done = gcs.wait("MISSION_CURRENT", lambda m: m.mission_state == 5, timeout_s=10)
        assert done.seq == len(items) - 1
        gcs.wait("HEARTBEAT", lambda m: m.custom_mode == PX4_HOLD, timeout_s=5)


def test_fence_and_rally_round_trip(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=10.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        lat, lon = _home(gcs)
        fence_type, rally_type = mavlink.MAV_MISSION_TYPE_FENCE, mavlink.MAV_MISSION_TYPE_RALLY
        corners = [offset_deg(lat, lon, e, n) for e, n in ((-100, -100), (100, -100),
                                                           (100, 100), (-100, 100))]
        fence = [item(i, mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, *c,
                      params=(4.0, 0.0, 0.0, 0.0), frame=mavlink.MAV_FRAME_GLOBAL,
                      mission_type=fence_type) for i, c in enumerate(corners)]
        fence.append(item(4, mavlink.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
                          *offset_deg(lat, lon, 50, 50), params=(10.0, 0.0, 0.0, 0.0),
                          frame=mavlink.MAV_FRAME_GLOBAL, mission_type=fence_type))
        rally = [item(0, mavlink.MAV_CMD_NAV_RALLY_POINT, *offset_deg(lat, lon, 30, 30), 20.0,
                      mission_type=rally_type)]
        assert gcs.upload(fence, fence_type) == 0
        assert gcs.upload(rally, rally_type) == 0
        got_fence = gcs.download(fence_type)
        got_rally = gcs.download(rally_type)
        assert [(m.command, m.x, m.y, m.param1) for m in got_fence] == [
            (m.command, m.x, m.y, m.param1) for m in fence]
        assert [(m.command, m.x, m.y, m.z) for m in got_rally] == [
            (m.command, m.x, m.y, m.z) for m in rally]
        assert gcs.download(0) == []  # the mission list is separate


def test_rtl_lands_at_the_closest_rally_point(sim_factory) -> None:
    sim = sim_factory(vehicles=1, speedup=25.0)
    with Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        lat, lon = _home(gcs)
        rally_lat, rally_lon = offset_deg(lat, lon, 200.0, 0.0)
        far_rally = offset_deg(lat, lon, -400.0, 0.0)
        rally_type = mavlink.MAV_MISSION_TYPE_RALLY
        rally = [item(0, mavlink.MAV_CMD_NAV_RALLY_POINT, rally_lat, rally_lon, 30.0,
                      mission_type=rally_type),
                 item(1, mavlink.MAV_CMD_NAV_RALLY_POINT, *far_rally, 30.0,
                      mission_type=rally_type)]
        assert gcs.upload(rally, rally_type) == 0
        gcs.arm_and_takeoff(alt_m=10.0)
        there = offset_deg(lat, lon, 170.0, 20.0)  # closer to the first rally point than home
        assert gcs.command_int(mavlink.MAV_CMD_DO_REPOSITION,
                               mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, (-1, 1, 0, float("nan")),
                               int(there[0] * 1e7), int(there[1] * 1e7), 10.0) == 0
        gcs.wait("GLOBAL_POSITION_INT", lambda m: distance_m(m.lat / 1e7, m.lon / 1e7,
                                                            *there) < 2.0, timeout_s=60)
        assert gcs.command(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH) == 0
        gcs.wait("STATUSTEXT", lambda m: "Rally point reached" in m.text, timeout_s=60)
        gcs.wait("HEARTBEAT", lambda m: not m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED,
                 timeout_s=60)
        pos = gcs.position()
        assert distance_m(pos.lat / 1e7, pos.lon / 1e7, rally_lat, rally_lon) < 3.0
