"""The onboard perception nodes on a real ROS 2 graph: frames in, detections and objects out."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perception.dataset import load_yolo_set, read_image
from perception.detection import Box, Modality
from skywatch.onboard import node_command
from tests.perception.conftest import fixture_set
from tests.ros.probe import BEST_EFFORT, ROSOUT, Probe, start, stop

pytestmark = pytest.mark.e2e

#: A HIT-UAV dev frame (110 m, 80 degrees pitch) with eight labelled people.
FRAME = "1_110_80_0_02736.jpg"


def hituav_frame() -> tuple[np.ndarray, list[Box]]:
    root = fixture_set("hituav_dev")
    item = next(it for it in load_yolo_set(root).items if it.image_path.name == FRAME)
    truth = [box for label, box in item.truth.boxes if label == "person"]
    return read_image(item.image_path, Modality.THERMAL), truth


def camera_feed(probe: Probe, vehicle: str, camera: str) -> tuple[Any, Any, Any, list[Any]]:
    """Publishers of one camera's frames, the drone's pose and the camera's intrinsics, as the
    camera bridge publishes them, and the detector's answers as they arrive."""
    from sensor_msgs.msg import CameraInfo, Image
    from skywatch_interfaces.msg import DetectionArray, VehiclePose

    return (probe.node.create_publisher(Image, f"/{vehicle}/{camera}/image_raw", BEST_EFFORT),
            probe.node.create_publisher(VehiclePose, f"/{vehicle}/pose", 10),
            probe.node.create_publisher(CameraInfo, f"/{vehicle}/{camera}/camera_info", 10),
            probe.collect(DetectionArray, f"/{vehicle}/detections"))


def test_detector_node_finds_the_labelled_people_and_survives_a_broken_frame(
        ros_domain: int, tmp_path: Path) -> None:
    from rcl_interfaces.msg import Log
    from sensor_msgs.msg import Image
    from skywatch_interfaces.msg import DetectionArray
    from skywatch_perception.images import array_to_image

    frame, truth = hituav_frame()
    assert len(truth) == 8
    node = start(node_command("skywatch_detector", namespace="/uav3",
                              params={"modality": "thermal", "min_score": 0.25}),
                 tmp_path / "detector.log")
    probe = Probe("detector_test")
    try:
        pub = probe.node.create_publisher(Image, "/uav3/thermal/image_raw", BEST_EFFORT)
        arrays = probe.collect(DetectionArray, "/uav3/detections")
        logs = probe.collect(Log, "/rosout", ROSOUT)
        stamp_s = [1000]

        def publish(msg: Image) -> None:
            stamp_s[0] += 1
            msg.header.stamp.sec = stamp_s[0]
            msg.header.frame_id = "uav3/thermal"
            pub.publish(msg)

        probe.wait_for(lambda: arrays, 60, "detections of the HIT-UAV frame", every_s=0.5,
                       action=lambda: publish(array_to_image(frame, "mono8")), watch=[node])
        got = arrays[0]
        assert (got.image_width, got.image_height) == (640, 512)
        assert got.header.frame_id == "uav3/thermal"
        people = [d for d in got.detections if d.label == "person"]
        boxes = [Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2) for d in people]
        matched = [t for t in truth if max((t.iou(b) for b in boxes), default=0.0) >= 0.3]
        false = [b for b in boxes if max(t.iou(b) for t in truth) < 0.3]
        assert len(matched) >= 7, f"{len(matched)} of 8 labelled people found: {boxes}"
        # Four round warm blobs in a row by the wall (x 217-250, y 352-379) look like seated
        # people but carry no label; the person CNN reports up to three of them.
        assert len(false) <= 3, false
        assert all(d.score >= 0.25 and d.modality == "thermal" for d in got.detections)
        ids = [d.detection_id for d in got.detections]
        assert len(set(ids)) == len(ids) and all(i.startswith("uav3-thermal-") for i in ids)
        assert all(d.crop_jpeg[:2].tobytes() == b"\xff\xd8" for d in people)  # JPEG evidence

        # A frame cut short on the link: reported on /rosout, and the node keeps detecting.
        broken = array_to_image(frame, "mono8")
        broken.data = broken.data[: len(broken.data) // 3]
        publish_count = len(arrays)
        probe.wait_for(lambda: any("truncated" in m.msg for m in logs), 30,
                       "the truncated frame to be reported", every_s=0.5,
                       action=lambda: publish(broken), watch=[node])
        assert len(arrays) == publish_count  # nothing published for it
        probe.wait_for(lambda: len(arrays) > publish_count, 30, "detections after it",
                       every_s=0.5, action=lambda: publish(array_to_image(frame, "mono8")),
                       watch=[node])
        assert len(arrays[-1].detections) == len(got.detections)
        assert node.poll() is None
    finally:
        probe.close()
        assert stop(node) == 0, (tmp_path / "detector.log").read_text()


def test_detector_node_searches_the_simulators_radiometric_frames_by_temperature(
        ros_domain: int, tmp_path: Path) -> None:
    """The simulator's thermal camera sends mono16 centi-kelvin: the node searches it with the
    radiometric detector, people sized from the pose, and finds the rendered fires and people."""
    from sensor_msgs.msg import CameraInfo
    from skywatch_interfaces.msg import VehiclePose
    from skywatch_perception.images import array_to_image

    from perception.sim_eval import parse_frames
    from skywatch.eval_sim import render_lighting, scenario_document

    root = render_lighting(scenario_document("example"), False, tmp_path / "night", views=8,
                           seed=21)
    items = load_yolo_set(root).items
    item = max(items, key=lambda it: len(it.truth.boxes))
    truth = item.truth.boxes
    assert {label for label, _ in truth} == {"person", "fire"}, "the view shows both"
    frame = read_image(item.image_path, Modality.THERMAL)
    assert frame.dtype == np.uint16
    view = parse_frames(json.loads((root / "frames.json").read_text()), 640, 512)[
        item.image_path.name]
    node = start(node_command("skywatch_detector", namespace="/uav6",
                              params={"modality": "thermal", "min_score": 0.25}),
                 tmp_path / "detector.log")
    probe = Probe("radiometric_test")
    try:
        image_pub, pose_pub, info_pub, arrays = camera_feed(probe, "uav6", "thermal")
        k = view.k
        ready = [False]

        def publish() -> None:
            pose_pub.publish(VehiclePose(
                alt_amsl_m=view.pose.alt_amsl_m,
                alt_rel_m=view.pose.alt_amsl_m - view.ground_amsl_m,
                gimbal_pitch_deg=view.pose.gimbal_pitch_deg))
            info = CameraInfo(width=640, height=512)
            info.k = [k.fx_px, 0.0, k.cx_px, 0.0, k.fy_px, k.cy_px, 0.0, 0.0, 1.0]
            info_pub.publish(info)
            if ready[0]:  # the pose and lens first, so the frame is searched at their scale
                image_pub.publish(array_to_image(frame, "mono16"))
            ready[0] = True

        def found() -> tuple[int, int]:
            dets = [(d.label, Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2))
                    for d in arrays[-1].detections]
            hits = sum(any(lbl == t_lbl and b.iou(t) >= 0.3 for lbl, b in dets)
                       for t_lbl, t in truth)
            false = sum(not any(lbl == t_lbl and b.iou(t) >= 0.3 for t_lbl, t in truth)
                        for lbl, b in dets)
            return hits, false

        probe.wait_for(lambda: arrays and found()[0] == len(truth), 60,
                       f"the {len(truth)} rendered fires and people found", every_s=0.5,
                       action=publish, watch=[node])
        assert found()[1] == 0, arrays[-1].detections
    finally:
        probe.close()
        assert stop(node) == 0, (tmp_path / "detector.log").read_text()


def test_detector_node_sizes_people_from_the_pose_and_focal_length(ros_domain: int,
                                                                   tmp_path: Path) -> None:
    """The simulator's thermal lens (50 degrees over 640 px, f = 686 px) 93 m above the ground
    shows a 0.6 x 0.95 m person as 4.4 x 7 px: found once pose and intrinsics say so, missed
    at the default 12 x 19 px."""
    from sensor_msgs.msg import CameraInfo
    from skywatch_interfaces.msg import VehiclePose
    from skywatch_perception.images import array_to_image

    from perception.geolocate import Intrinsics
    from tests.perception.synthetic import add_blob, thermal_ground, to_uint8

    ground = thermal_ground(seed=5)
    spots = [(100, 100), (300, 220), (500, 400), (200, 380), (450, 120)]
    for x, y in spots:
        add_blob(ground, x, y, 4, 7, delta=45)
    frame = to_uint8(ground)
    truth = [Box(x1=x, y1=y, x2=x + 4, y2=y + 7) for x, y in spots]
    k = Intrinsics.from_hfov(640, 512, hfov_deg=50.0)
    node = start(node_command("skywatch_detector", namespace="/uav5"),
                 tmp_path / "detector.log")
    probe = Probe("sizing_test")
    try:
        image_pub, pose_pub, info_pub, arrays = camera_feed(probe, "uav5", "thermal")

        def found() -> int:
            boxes = [Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2) for d in arrays[-1].detections
                     if d.label == "person"]
            return sum(max((t.iou(b) for b in boxes), default=0.0) >= 0.3 for t in truth)

        probe.wait_for(lambda: arrays, 60, "detections at the default size", every_s=0.5,
                       action=lambda: image_pub.publish(array_to_image(frame, "mono8")),
                       watch=[node])
        assert found() <= 1

        def with_pose() -> None:
            pose_pub.publish(VehiclePose(alt_amsl_m=93.0, alt_rel_m=93.0,
                                         gimbal_pitch_deg=-90.0))
            info = CameraInfo(width=640, height=512)
            info.k = [k.fx_px, 0.0, k.cx_px, 0.0, k.fy_px, k.cy_px, 0.0, 0.0, 1.0]
            info_pub.publish(info)
            image_pub.publish(array_to_image(frame, "mono8"))

        probe.wait_for(lambda: found() >= 4, 30, "the small people found", every_s=0.5,
                       action=with_pose, watch=[node])
        false = [d for d in arrays[-1].detections
                 if max(t.iou(Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2)) for t in truth) < 0.3]
        assert len(false) <= 1, false
    finally:
        probe.close()
        assert stop(node) == 0, (tmp_path / "detector.log").read_text()


def test_rgb_detector_node_searches_people_of_the_size_the_pose_and_lens_give(
        ros_domain: int, tmp_path: Path) -> None:
    """An 85 px and a 255 px person: without pose and lens HOG searches every size and finds
    both; a 1645 px lens looking 45 degrees down from 7.07 m (10 m to the ground) shows a
    standing person 1.55 m -> 255 px tall, and then only that size is searched for."""
    from sensor_msgs.msg import CameraInfo
    from skywatch_interfaces.msg import VehiclePose
    from skywatch_perception.images import array_to_image

    from tests.perception.synthetic import two_people_frame, window_box

    frame = two_people_frame()
    large = window_box(420, 80, 255)
    node = start(node_command("skywatch_detector", namespace="/uav7",
                              params={"modality": "rgb", "min_score": 0.25}),
                 tmp_path / "detector.log")
    probe = Probe("rgb_sizing_test")
    try:
        image_pub, pose_pub, info_pub, arrays = camera_feed(probe, "uav7", "camera")

        def people() -> list[Box]:
            return [Box(x1=d.x1, y1=d.y1, x2=d.x2, y2=d.y2) for d in arrays[-1].detections
                    if d.label == "person"]

        probe.wait_for(lambda: arrays, 60, "detections without pose and lens", every_s=0.5,
                       action=lambda: image_pub.publish(array_to_image(frame, "rgb8")),
                       watch=[node])
        assert len(people()) == 2, people()

        def with_pose() -> None:
            pose_pub.publish(VehiclePose(alt_amsl_m=7.07, alt_rel_m=7.07,
                                         gimbal_pitch_deg=-45.0))
            info = CameraInfo(width=640, height=512)
            info.k = [1645.0, 0.0, 320.0, 0.0, 1645.0, 256.0, 0.0, 0.0, 1.0]
            info_pub.publish(info)
            image_pub.publish(array_to_image(frame, "rgb8"))

        probe.wait_for(lambda: len(people()) == 1, 30, "only the 255 px person found",
                       every_s=0.5, action=with_pose, watch=[node])
        assert people()[0].iou(large) >= 0.6
    finally:
        probe.close()
        assert stop(node) == 0, (tmp_path / "detector.log").read_text()


def test_geolocator_places_and_tracks_detections_on_the_ground(ros_domain: int,
                                                               tmp_path: Path) -> None:
    from sensor_msgs.msg import CameraInfo
    from skywatch_interfaces.msg import (
        Detection,
        DetectionArray,
        GeolocatedObjectArray,
        VehiclePose,
    )

    from perception.geolocate import Intrinsics

    lat0, lon0, ground_m, height_m = 47.3977, 8.5456, 400.0, 100.0
    k = Intrinsics.from_hfov(640, 512, hfov_deg=60.0)
    node = start(node_command("skywatch_geolocator", namespace="/uav1"),
                 tmp_path / "geolocator.log")
    probe = Probe("geolocator_test")
    try:
        pose_pub = probe.node.create_publisher(VehiclePose, "/uav1/pose", BEST_EFFORT)
        info_pub = probe.node.create_publisher(CameraInfo, "/uav1/thermal/camera_info",
                                               BEST_EFFORT)
        det_pub = probe.node.create_publisher(DetectionArray, "/uav1/detections", 10)
        objects = probe.collect(GeolocatedObjectArray, "/uav1/objects")
        frame = [0]

        def publish_frame(height_m: float = height_m) -> None:
            """Nadir camera, heading north, 100 m above the home's ground; a person at the
            image centre and a fire 100 px right of it."""
            frame[0] += 1
            sec = 2000 + frame[0]
            pose = VehiclePose(lat_deg=lat0, lon_deg=lon0, alt_amsl_m=ground_m + height_m,
                               alt_rel_m=height_m, gimbal_pitch_deg=-90.0)
            pose.header.stamp.sec = sec
            pose_pub.publish(pose)
            info = CameraInfo(width=640, height=512)
            info.k = [k.fx_px, 0.0, k.cx_px, 0.0, k.fy_px, k.cy_px, 0.0, 0.0, 1.0]
            info_pub.publish(info)
            arr = DetectionArray(image_width=640, image_height=512)
            arr.header.stamp.sec = sec
            arr.detections = [
                Detection(detection_id=f"uav1-thermal-{sec}-0", label="person",
                          modality="thermal", score=0.5, x1=314.0, y1=246.0, x2=326.0,
                          y2=266.0),
                Detection(detection_id=f"uav1-thermal-{sec}-1", label="fire",
                          modality="thermal", score=0.9, x1=410.0, y1=246.0, x2=430.0,
                          y2=266.0),
            ]
            det_pub.publish(arr)

        probe.wait_for(lambda: sum(len(a.objects) == 2 for a in objects) >= 4, 30,
                       "four frames of two placed objects", every_s=0.2, action=publish_frame,
                       watch=[node])
        placed = [a for a in objects if len(a.objects) == 2]
        last = {o.label: o for o in placed[-1].objects}
        person, fire = last["person"], last["fire"]
        m_per_deg_lat = 111_195.0
        m_per_deg_lon = m_per_deg_lat * math.cos(math.radians(lat0))
        # The centre pixel is the point below the camera; 100 px right is east by
        # 100 px / fx * 100 m = 18.04 m (60 degree view over 640 px: fx = 554.3 px).
        assert abs(person.lat_deg - lat0) * m_per_deg_lat < 0.2
        assert abs(person.lon_deg - lon0) * m_per_deg_lon < 0.2
        east_m = (fire.lon_deg - lon0) * m_per_deg_lon
        assert east_m == pytest.approx(100 / k.fx_px * height_m, abs=0.2)
        assert abs(fire.lat_deg - lat0) * m_per_deg_lat < 0.2
        assert fire.alt_amsl_m == pytest.approx(ground_m)
        # One object each, the same track ids frame after frame, confidence growing with hits.
        ids = {(o.label, o.track_id) for a in placed for o in a.objects}
        assert len(ids) == 2
        assert person.hits >= 4 and person.confidence == pytest.approx(
            1 - 0.5 ** person.hits, abs=1e-3)
        assert placed[0].objects[0].hits < person.hits
        # Objects go out once confirmed by a second frame: never a one-frame blob.
        assert min(o.hits for a in objects for o in a.objects) == 2
        assert 0.0 < person.sigma_major_m < 10.0
        assert person.evidence_detection_id == f"uav1-thermal-{person.evidence_stamp.sec}-0"
        assert fire.evidence_detection_id.endswith("-1")

        # From 2 m up (a drone on its dock) nothing is placed: the tracks only age.
        first_dock_sec = 2000 + frame[0] + 1

        def from_dock() -> list[GeolocatedObjectArray]:
            return [a for a in objects if a.header.stamp.sec >= first_dock_sec]

        probe.wait_for(lambda: len(from_dock()) >= 4, 30, "four frames from the dock",
                       every_s=0.2, action=lambda: publish_frame(2.0), watch=[node])
        hits = [{(o.label, o.hits) for o in a.objects} for a in from_dock()]
        assert len(hits[0]) == 2 and all(h == hits[0] for h in hits), hits
    finally:
        probe.close()
        assert stop(node) == 0, (tmp_path / "geolocator.log").read_text()
