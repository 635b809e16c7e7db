"""`skywatch onboard` as `skywatch up` runs it: N vehicles' nodes from one call, a thermal frame
on one drone's camera reaches the ground server as detections with evidence and as a tracked
object on the map, and a node that dies is started again."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from perception.detection import Box
from perception.geolocate import Intrinsics
from skywatch.onboard import OnboardConfig, VehicleCredential, onboard_running
from tests.ros.ground import PASSWORD, GroundServer
from tests.ros.probe import BEST_EFFORT, Probe
from tests.ros.test_perception_nodes import hituav_frame
from web.auth.roles import Role

pytestmark = pytest.mark.e2e


def nodes_of(probe: Probe) -> set[str]:
    return {f"{ns.rstrip('/')}/{name}" for name, ns in
            probe.node.get_node_names_and_namespaces()}


def test_onboard_nodes_carry_a_frame_to_the_server_and_come_back_when_killed(
        ros_domain: int, tmp_path: Path) -> None:
    from sensor_msgs.msg import CameraInfo, Image
    from skywatch_interfaces.msg import VehiclePose
    from skywatch_perception.images import array_to_image

    frame, labelled = hituav_frame()
    server = GroundServer(tmp_path / "ground", tmp_path / "server.log")
    for vehicle in ("uav0", "uav1"):
        server.add_account(f"bridge-{vehicle}", Role.VEHICLE, vehicle_id=vehicle)
    server.add_account("chief", Role.ADMIN)
    server.start()
    config = OnboardConfig(
        vehicle_ids=("uav0", "uav1"), cameras=("thermal",), server_url=server.url,
        credentials={v: VehicleCredential(username=f"bridge-{v}", password=PASSWORD)
                     for v in ("uav0", "uav1")},
        work_dir=tmp_path / "onboard")
    restarts: list[str] = []
    probe = Probe("onboard_test")
    try:
        with onboard_running(config, log=restarts.append) as onboard:
            expected = {f"/{v}/{n}" for v in ("uav0", "uav1")
                        for n in ("detector_thermal", "geolocator", "uplink")}
            probe.wait_for(lambda: expected <= nodes_of(probe), 60, "six nodes in the graph")

            image_pub = probe.node.create_publisher(Image, "/uav1/thermal/image_raw",
                                                    BEST_EFFORT)
            pose_pub = probe.node.create_publisher(VehiclePose, "/uav1/pose", BEST_EFFORT)
            info_pub = probe.node.create_publisher(CameraInfo, "/uav1/thermal/camera_info",
                                                   BEST_EFFORT)
            k = Intrinsics.from_hfov(640, 512, hfov_deg=50.0)
            sent_at: list[float] = []

            def publish_frame() -> None:
                sec = 7000 + len(sent_at)
                # The HIT-UAV frame's people (about 12x19 px) are what this camera sees from
                # about 35 m: the detector sizes its search from this pose.
                pose = VehiclePose(lat_deg=22.54, lon_deg=114.05, alt_amsl_m=35.0,
                                   alt_rel_m=35.0, gimbal_pitch_deg=-90.0)
                pose.header.stamp.sec = sec
                pose_pub.publish(pose)
                info = CameraInfo(width=640, height=512)
                info.k = [k.fx_px, 0.0, k.cx_px, 0.0, k.fy_px, k.cy_px, 0.0, 0.0, 1.0]
                info_pub.publish(info)
                image = array_to_image(frame, "mono8")
                image.header.stamp.sec = sec
                image.header.frame_id = "uav1/thermal"
                image_pub.publish(image)
                sent_at.append(time.monotonic())

            def on_server() -> list[dict[str, object]]:
                return list(server.get("/api/detections?vehicle_id=uav1&label=person",
                                       "chief"))

            probe.wait_for(lambda: len(on_server()) >= 7
                           and server.all_events("chief", "object"), 60,
                           "uav1's people and a confirmed object on the server", every_s=1.0,
                           action=publish_frame)
            first_frame = on_server()[0]["captured_at"]
            people = [d for d in on_server() if d["captured_at"] == first_frame]
            boxes = [Box(x1=d["box"][0], y1=d["box"][1], x2=d["box"][2], y2=d["box"][3])
                     for d in people]
            found = sum(max(t.iou(b) for b in boxes) >= 0.3 for t in labelled)
            # Up to three more: unlabelled warm blobs by the wall (see test_perception_nodes).
            assert found >= 7 and len(people) <= len(labelled) + 3, (found, len(people))
            assert all(d["crop_url"] for d in people)
            objects = server.all_events("chief", "object")
            assert {o["vehicle_id"] for o in objects} == {"uav1"}
            assert all(abs(o["lat_deg"] - 22.54) < 0.001 for o in objects)  # within ~100 m

            # A node that dies is started again by the supervisor.
            def objects_writers() -> set[bytes]:
                return {bytes(i.endpoint_gid) for i in
                        probe.node.get_publishers_info_by_topic("/uav0/objects")}

            before = objects_writers()
            victim = onboard.procs["uav0/geolocator"]
            victim.kill()
            victim.wait()
            # The killed node stays in the graph until its lease runs out: wait for a new one.
            probe.wait_for(lambda: objects_writers() - before, 30, "the geolocator back")
            assert restarts and "uav0/geolocator exited with -9" in restarts[0]
            procs = list(onboard.procs.values())
        assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
    finally:
        probe.close()
        server.stop()


def test_the_cli_starts_and_stops_the_nodes_and_refuses_bad_options(
        ros_domain: int, tmp_path: Path) -> None:
    skywatch = str(Path(sys.prefix) / "bin" / "skywatch")
    bad = subprocess.run([skywatch, "onboard", "--cameras", "sonar"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--cameras: 'sonar'" in bad.stderr
    no_creds = subprocess.run([skywatch, "onboard", "--server", "http://127.0.0.1:9"],
                              capture_output=True, text=True, timeout=60)
    assert no_creds.returncode == 2 and "--server needs --credentials" in no_creds.stderr

    with (tmp_path / "onboard.log").open("wb") as log:
        cli = subprocess.Popen([skywatch, "onboard", "--vehicles", "1", "--cameras", "thermal",
                                "--sim-camera-port", "0",
                                "--domain-id", str(ros_domain), "--work-dir",
                                str(tmp_path / "onboard")], stdout=log, stderr=subprocess.STDOUT)
    probe = Probe("onboard_cli_test")
    try:
        probe.wait_for(lambda: {"/uav0/detector_thermal", "/uav0/geolocator"}
                       <= nodes_of(probe), 60, "the CLI's nodes", watch=[cli])
        cli.send_signal(2)
        assert cli.wait(20) == 0
        probe.wait_for(lambda: not {"/uav0/detector_thermal", "/uav0/geolocator"}
                       & nodes_of(probe), 20, "the nodes gone")
        assert "1 vehicles, 2 nodes, no uplink" in (tmp_path / "onboard.log").read_text()
    finally:
        if cli.poll() is None:
            cli.kill()
        probe.close()
