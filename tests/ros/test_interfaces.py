"""The rosidl messages are built, importable, and carry every field through serialisation."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.ros.conftest import REPO


@pytest.mark.usefixtures("ros_built")
def test_detection_array_round_trips_through_cdr() -> None:
    from rclpy.serialization import deserialize_message, serialize_message
    from skywatch_interfaces.msg import Detection, DetectionArray

    msg = DetectionArray(image_width=640, image_height=512)
    msg.header.frame_id = "uav1/thermal"
    msg.header.stamp.sec = 1_700_000_000
    msg.detections = [
        Detection(detection_id="uav1-thermal-1700000000.000000000-0", label="person",
                  modality="thermal", score=0.875, x1=10.0, y1=20.0, x2=22.0, y2=39.0)
    ]
    back = deserialize_message(serialize_message(msg), DetectionArray)
    assert back.header.frame_id == "uav1/thermal"
    assert back.header.stamp.sec == 1_700_000_000
    assert (back.image_width, back.image_height) == (640, 512)
    d = back.detections[0]
    assert (d.label, d.modality, d.detection_id) == ("person", "thermal",
                                                     "uav1-thermal-1700000000.000000000-0")
    assert (d.score, d.x1, d.y1, d.x2, d.y2) == (0.875, 10.0, 20.0, 22.0, 39.0)


@pytest.mark.usefixtures("ros_built")
def test_geolocated_and_truth_messages_carry_positions_to_the_centimetre() -> None:
    from rclpy.serialization import deserialize_message, serialize_message
    from skywatch_interfaces.msg import (
        GeolocatedObject,
        GeolocatedObjectArray,
        TruthObject,
        TruthObjectArray,
    )

    objects = GeolocatedObjectArray(objects=[GeolocatedObject(
        track_id=7, label="fire", lat_deg=22.5431234, lon_deg=114.0579876, alt_amsl_m=12.5,
        sigma_major_m=3.5, sigma_minor_m=1.25, major_bearing_deg=45.0, confidence=0.75, hits=4,
        evidence_detection_id="uav0-thermal-5-0")])
    got = deserialize_message(serialize_message(objects), GeolocatedObjectArray).objects[0]
    assert abs(got.lat_deg - 22.5431234) * 111_000 < 0.01  # float64: no loss worth a centimetre
    assert (got.track_id, got.label, got.hits, got.sigma_major_m) == (7, "fire", 4, 3.5)

    truth = TruthObjectArray(objects=[TruthObject(object_id="p3", label="person", x1=1.0,
                                                  y1=2.0, x2=3.0, y2=4.0, lat_deg=-33.9,
                                                  lon_deg=151.2, alt_amsl_m=3.0)])
    t = deserialize_message(serialize_message(truth), TruthObjectArray).objects[0]
    assert (t.object_id, t.label, t.lat_deg, t.x2) == ("p3", "person", -33.9, 3.0)


def test_build_is_a_fast_no_op_when_nothing_changed(ros_built: None) -> None:
    started = time.monotonic()
    out = subprocess.run(["bash", str(REPO / "scripts" / "build_ros.sh")], check=True,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout == ""  # nothing rebuilt, nothing reinstalled
    assert time.monotonic() - started < 5.0
