"""The camera bridge on a real ROS 2 graph: a flying simulated drone's frames, camera info, pose
and truth on /uav0/..., stamped with sim time, and the onboard detector finding the fire in them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from skywatch.onboard import node_command, ros_environment
from tests.sim.mav_client import Client, distance_m, mavlink, offset_deg
from tests.sim.test_camera_stream import HOME_LAT_DEG, HOME_LON_DEG, sim_with_cameras

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BRIDGE_SRC = REPO / "ros_ws" / "src" / "skywatch_sim_bridge"


@pytest.fixture
def ros_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A DDS domain of this test's own, loopback discovery, logs in the temp dir."""
    domain = 1 + (os.getpid() * 7 + 13) % 100
    for key, value in ros_environment(domain_id=domain, log_dir=tmp_path / "ros-log").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(BRIDGE_SRC), str(REPO), os.environ.get("PYTHONPATH", "")]))
    return domain


def _stamp_s(msg: object) -> float:
    stamp = msg.header.stamp  # type: ignore[attr-defined]
    return stamp.sec + stamp.nanosec * 1e-9


def test_bridge_publishes_a_flying_drones_cameras_pose_and_truth_on_ros2(
        ros_domain: int, tmp_path: Path) -> None:
    from sensor_msgs.msg import CameraInfo, Image
    from skywatch_interfaces.msg import DetectionArray, TruthObjectArray, VehiclePose

    from tests.ros.probe import BEST_EFFORT, Probe, start, stop

    with sim_with_cameras(tmp_path) as sim, Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(30.0)
        assert gcs.command(mavlink.MAV_CMD_DO_MOUNT_CONTROL, -90.0, 0.0, 0.0) == \
            mavlink.MAV_RESULT_ACCEPTED
        port = sim.base_port + 80
        bridge = start([sys.executable, "-m", "skywatch_sim_bridge.bridge_node", "--ros-args",
                        "-r", "__ns:=/uav0", "-p", f"port:={port}"], tmp_path / "bridge.log")
        detector = start(node_command("skywatch_detector", namespace="/uav0",
                                      params={"modality": "thermal"}),
                         tmp_path / "detector.log")
        probe = Probe("sim_bridge_test")
        try:
            thermal = probe.collect(Image, "/uav0/thermal/image_raw", BEST_EFFORT)
            rgb = probe.collect(Image, "/uav0/camera/image_raw")
            info = probe.collect(CameraInfo, "/uav0/thermal/camera_info")
            poses = probe.collect(VehiclePose, "/uav0/pose")
            truths = probe.collect(TruthObjectArray, "/uav0/truth")
            detections = probe.collect(DetectionArray, "/uav0/detections")

            def looking_down() -> Image | None:
                """A thermal frame with the gimbal down whose pose and truth have arrived."""
                down = {_stamp_s(p) for p in poses if p.gimbal_pitch_deg < -89.0}
                down &= {_stamp_s(m) for m in truths if m.header.frame_id == "uav0/thermal"}
                return next((m for m in thermal if _stamp_s(m) in down), None)

            probe.wait_for(lambda: looking_down() is not None and rgb and info, 90,
                           "thermal and RGB frames with the gimbal down, pose and truth",
                           watch=[bridge, detector, sim.process])
            frame = looking_down()
            assert frame is not None
            t_s = _stamp_s(frame)
            assert (frame.width, frame.height, frame.encoding) == (640, 512, "mono16")
            assert frame.header.frame_id == "uav0/thermal"
            assert (rgb[0].width, rgb[0].height, rgb[0].encoding) == (640, 360, "rgb8")
            assert info[0].k[0] == pytest.approx(686.24, abs=0.01)
            assert (info[0].width, info[0].height) == (640, 512)

            pose = next(p for p in poses if _stamp_s(p) == t_s)
            assert pose.alt_rel_m == pytest.approx(30.0, abs=1.5)
            position = gcs.position()
            assert distance_m(position.lat / 1e7, position.lon / 1e7, pose.lat_deg,
                              pose.lon_deg) < 3.0

            truth = next(m for m in truths
                         if _stamp_s(m) == t_s and m.header.frame_id == "uav0/thermal")
            objects = {o.label: o for o in truth.objects}
            assert set(objects) == {"fire", "person"}
            image = np.frombuffer(bytes(frame.data), "<u2").reshape(512, 640)
            fire = objects["fire"]
            patch = image[int(fire.y1):int(fire.y2), int(fire.x1):int(fire.x2)]
            assert patch.max() / 100.0 > 500.0
            fire_lat, fire_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 0.0, 6.0)
            assert distance_m(fire.lat_deg, fire.lon_deg, fire_lat, fire_lon) < 0.5

            # The onboard detector reads the bridged frames: it finds the fire where truth is.
            def fire_found() -> bool:
                for array in detections:
                    same = [m for m in truths if _stamp_s(m) == _stamp_s(array)
                            and m.header.frame_id == "uav0/thermal"]
                    fires = [o for m in same for o in m.objects if o.label == "fire"]
                    for d in array.detections:
                        if d.label == "fire" and fires and _iou(d, fires[0]) >= 0.3:
                            return True
                return False

            probe.wait_for(fire_found, 90, "the detector to find the fire in a bridged frame",
                           watch=[bridge, detector])
        finally:
            probe.close()
            assert stop(detector) == 0
            assert stop(bridge) == 0, (tmp_path / "bridge.log").read_text()


def _iou(a: object, b: object) -> float:
    ax1, ay1, ax2, ay2 = (float(getattr(a, k)) for k in ("x1", "y1", "x2", "y2"))
    bx1, by1, bx2, by2 = (float(getattr(b, k)) for k in ("x1", "y1", "x2", "y2"))
    w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    h = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0
