"""The camera bridge on a real ROS 2 graph: a flying simulated drone's frames, camera info, pose
and truth on /uav0/..., stamped on the simulator's clock, and the onboard detector finding the
fire in them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skywatch.onboard import node_command, ros_environment
from tests.sim.mav_client import Client, distance_m, mavlink, offset_deg
from tests.sim.test_camera_stream import HOME_LAT_DEG, HOME_LON_DEG, sim_with_cameras
from tests.sim_harness import SimHandle

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
        [str(BRIDGE_SRC), os.environ.get("PYTHONPATH", "")]))
    return domain


def _stamp_s(msg: object) -> float:
    stamp = msg.header.stamp  # type: ignore[attr-defined]
    return stamp.sec + stamp.nanosec * 1e-9


@contextlib.contextmanager
def _drone_over_the_fire(tmp_path: Path, nodes: list[list[str]]) -> Iterator[_Bridged]:
    """A drone hovering 30 m over the test world with its gimbal down, the bridge for it, the
    given extra nodes, and a probe; every process stopped (and checked) at the end."""
    from tests.ros.probe import Probe, start, stop

    with sim_with_cameras(tmp_path) as sim, Client(sim.mavutil_url(0)) as gcs:
        gcs.connect()
        gcs.arm_and_takeoff(30.0)
        assert gcs.command(mavlink.MAV_CMD_DO_MOUNT_CONTROL, -90.0, 0.0, 0.0) == \
            mavlink.MAV_RESULT_ACCEPTED
        bridge = start([sys.executable, "-m", "skywatch_sim_bridge.bridge_node", "--ros-args",
                        "-r", "__ns:=/uav0", "-p", f"port:={sim.base_port + 80}"],
                       tmp_path / "bridge.log")
        others = [start(cmd, tmp_path / f"node{i}.log") for i, cmd in enumerate(nodes)]
        probe = Probe("sim_bridge_test")
        try:
            yield _Bridged(sim=sim, gcs=gcs, probe=probe, processes=[bridge, *others])
        finally:
            probe.close()
            for i, proc in enumerate(others):
                assert stop(proc) == 0, (tmp_path / f"node{i}.log").read_text()[-3000:]
            assert stop(bridge) == 0, (tmp_path / "bridge.log").read_text()[-3000:]


@dataclass
class _Bridged:
    sim: SimHandle
    gcs: Client
    probe: Any
    processes: list[subprocess.Popen[bytes]]


def _thermal_truth(truths: list[Any], stamp_s: float) -> list[Any]:
    return [o for m in truths if _stamp_s(m) == stamp_s and m.header.frame_id == "uav0/thermal"
            for o in m.objects]


def test_bridge_publishes_a_flying_drones_cameras_pose_and_truth_on_ros2(
        ros_domain: int, tmp_path: Path) -> None:
    from sensor_msgs.msg import CameraInfo, Image
    from skywatch_interfaces.msg import TruthObjectArray, VehiclePose

    from tests.ros.probe import BEST_EFFORT

    started_unix_s = time.time()
    with _drone_over_the_fire(tmp_path, []) as run:
        probe = run.probe
        thermal = probe.collect(Image, "/uav0/thermal/image_raw", BEST_EFFORT)
        rgb = probe.collect(Image, "/uav0/camera/image_raw")
        info = probe.collect(CameraInfo, "/uav0/thermal/camera_info")
        poses = probe.collect(VehiclePose, "/uav0/pose")
        truths = probe.collect(TruthObjectArray, "/uav0/truth")

        def looking_down() -> Image | None:
            """A thermal frame with the gimbal down whose pose and truth have arrived."""
            down = {_stamp_s(p) for p in poses if p.gimbal_pitch_deg < -89.0}
            down &= {_stamp_s(m) for m in truths if m.header.frame_id == "uav0/thermal"}
            return next((m for m in thermal if _stamp_s(m) in down), None)

        probe.wait_for(lambda: looking_down() is not None and rgb and info, 90,
                       "thermal and RGB frames with the gimbal down, pose and truth",
                       watch=[*run.processes, run.sim.process])
        frame = looking_down()
        assert frame is not None
        t_s = _stamp_s(frame)
        # Stamped in the present (the simulator's start plus sim time), not in 1970.
        assert started_unix_s < t_s < time.time() + 120.0
        assert (frame.width, frame.height, frame.encoding) == (640, 512, "mono16")
        assert frame.header.frame_id == "uav0/thermal"
        assert (rgb[0].width, rgb[0].height, rgb[0].encoding) == (640, 360, "rgb8")
        assert info[0].k[0] == pytest.approx(686.24, abs=0.01)
        assert (info[0].width, info[0].height) == (640, 512)

        pose = next(p for p in poses if _stamp_s(p) == t_s)
        assert pose.alt_rel_m == pytest.approx(30.0, abs=1.5)
        position = run.gcs.position()
        assert distance_m(position.lat / 1e7, position.lon / 1e7, pose.lat_deg,
                          pose.lon_deg) < 3.0

        objects = {o.label: o for o in _thermal_truth(truths, t_s)}
        assert set(objects) == {"fire", "person"}
        image = np.frombuffer(bytes(frame.data), "<u2").reshape(512, 640)
        fire = objects["fire"]
        patch = image[int(fire.y1):int(fire.y2), int(fire.x1):int(fire.x2)]
        assert patch.max() / 100.0 > 500.0
        fire_lat, fire_lon = offset_deg(HOME_LAT_DEG, HOME_LON_DEG, 0.0, 6.0)
        assert distance_m(fire.lat_deg, fire.lon_deg, fire_lat, fire_lon) < 0.5


def test_the_onboard_detector_finds_the_fire_in_bridged_frames_where_truth_has_it(
        ros_domain: int, tmp_path: Path) -> None:
    from skywatch_interfaces.msg import DetectionArray, TruthObjectArray

    detector = node_command("skywatch_detector", namespace="/uav0",
                            params={"modality": "thermal"})
    with _drone_over_the_fire(tmp_path, [detector]) as run:
        truths = run.probe.collect(TruthObjectArray, "/uav0/truth")
        detections = run.probe.collect(DetectionArray, "/uav0/detections")

        def fire_found() -> bool:
            for array in detections:
                fires = [o for o in _thermal_truth(truths, _stamp_s(array)) if o.label == "fire"]
                if any(d.label == "fire" and fires and _iou(d, fires[0]) >= 0.3
                       for d in array.detections):
                    return True
            return False

        run.probe.wait_for(fire_found, 90, "the detector to find the fire in a bridged frame",
                           watch=run.processes)


def _iou(a: object, b: object) -> float:
    ax1, ay1, ax2, ay2 = (float(getattr(a, k)) for k in ("x1", "y1", "x2", "y2"))
    bx1, by1, bx2, by2 = (float(getattr(b, k)) for k in ("x1", "y1", "x2", "y2"))
    w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    h = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0
