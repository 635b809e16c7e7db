"""The uplink node over a 30 s link cut, with a crash of its own in the middle: afterwards the
ground server has every detection and object update exactly once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from skywatch.onboard import node_command
from tests.ros.ground import PASSWORD, GroundServer
from tests.ros.probe import Probe, start, stop
from web.auth.roles import Role

pytestmark = pytest.mark.e2e

LINK_CUT_S = 30.0
FRAME_PERIOD_S = 0.1  # 10 frames/s, two detections each, a tracked object every 5th frame


def queued(outbox: Path) -> int:
    with sqlite3.connect(outbox) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_a_30_s_link_cut_and_a_bridge_crash_lose_and_duplicate_nothing(
        ros_domain: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skywatch_interfaces.msg import (
        Detection,
        DetectionArray,
        GeolocatedObject,
        GeolocatedObjectArray,
    )

    server = GroundServer(tmp_path / "ground", tmp_path / "server.log")
    server.add_account("bridge-uav2", Role.VEHICLE, vehicle_id="uav2")
    server.add_account("chief", Role.ADMIN)
    server.start()
    monkeypatch.setenv("SKYWATCH_VEHICLE_PASSWORD", PASSWORD)
    outbox = tmp_path / "uplink-uav2.db"
    command = node_command("skywatch_uplink", namespace="/uav2", params={
        "server_url": server.url, "username": "bridge-uav2", "outbox_path": str(outbox),
        "max_backoff_s": 2.0, "object_period_s": 0.0})
    bridge = start(command, tmp_path / "bridge.log")
    probe = Probe("uplink_test")
    ok, crop = cv2.imencode(".jpg", np.full((20, 12), 200, np.uint8))
    assert ok
    sent_detections: list[str] = []
    sent_objects: list[int] = []
    try:
        det_pub = probe.node.create_publisher(DetectionArray, "/uav2/detections", 100)
        obj_pub = probe.node.create_publisher(GeolocatedObjectArray, "/uav2/objects", 100)

        def publish_frame() -> None:
            n = len(sent_detections) // 2
            arr = DetectionArray(image_width=640, image_height=512)
            arr.header.stamp.sec, arr.header.stamp.nanosec = 5000 + n // 10, (n % 10) * 10**8
            for i in range(2):
                ident = f"uav2-thermal-{n}-{i}"
                d = Detection(detection_id=ident, label="person", modality="thermal",
                              score=0.5 + i / 4, x1=10.0 * i, y1=20.0, x2=10.0 * i + 12, y2=39.0)
                d.header = arr.header
                if n % 10 == 0 and i == 0:
                    d.crop_jpeg = crop.tobytes()
                arr.detections.append(d)
                sent_detections.append(ident)
            det_pub.publish(arr)
            if n % 5 == 0:
                objects = GeolocatedObjectArray(header=arr.header, objects=[GeolocatedObject(
                    track_id=1, label="person", lat_deg=47.39 + n * 1e-6, lon_deg=8.54,
                    alt_amsl_m=400.0, sigma_major_m=3.0, sigma_minor_m=3.0, confidence=0.6,
                    hits=n // 5 + 1, evidence_stamp=arr.header.stamp)])
                obj_pub.publish(objects)
                sent_objects.append(n)

        topics = {"/uav2/detections", "/uav2/objects"}

        def readers() -> set[tuple[str, bytes]]:
            """(topic, endpoint) of everything reading this vehicle's detections and objects."""
            return {(topic, bytes(info.endpoint_gid)) for topic in topics
                    for info in probe.node.get_subscriptions_info_by_topic(topic)}

        def publish_for(seconds: float, what: str) -> None:
            until = time.monotonic() + seconds
            probe.wait_for(lambda: time.monotonic() >= until, seconds + 5, what,
                           every_s=FRAME_PERIOD_S, action=publish_frame, watch=[bridge])

        probe.wait_for(lambda: det_pub.get_subscription_count() > 0
                       and obj_pub.get_subscription_count() > 0, 30, "the uplink to subscribe",
                       watch=[bridge])
        publish_for(3.0, "frames with the link up")
        probe.wait_for(lambda: len(server.get("/api/detections?limit=5000", "chief"))
                       == len(sent_detections), 20, "the first frames on the server")

        server.stop()  # the link is cut: nothing answers on the port
        cut_at = time.monotonic()
        before_cut = len(sent_detections)
        publish_for(LINK_CUT_S / 2, "frames into the cut")
        waiting = len(sent_detections) - before_cut + len(sent_objects)
        probe.wait_for(lambda: queued(outbox) >= waiting - len(sent_objects), 10,
                       "the cut's frames in the outbox")
        old_readers = readers()
        bridge.kill()  # the bridge itself dies with a full outbox
        bridge.wait()
        assert queued(outbox) >= waiting - len(sent_objects)
        bridge = start(command, tmp_path / "bridge-restarted.log")
        # The killed reader stays matched until its lease runs out: wait for the new one.
        probe.wait_for(lambda: {t for t, _ in readers() - old_readers} == topics, 30,
                       "the restarted uplink to subscribe", watch=[bridge])
        publish_for(max(0.0, LINK_CUT_S - (time.monotonic() - cut_at)), "the rest of the cut")
        cut_s = time.monotonic() - cut_at

        server.start()
        back_at = time.monotonic()
        probe.wait_for(lambda: len(server.get("/api/detections?limit=5000", "chief"))
                       >= len(sent_detections), 60, "every detection on the server",
                       watch=[bridge])
        catch_up_s = time.monotonic() - back_at
        probe.wait_for(lambda: queued(outbox) == 0, 20, "an empty outbox", watch=[bridge])

        stored = [d["id"] for d in server.get("/api/detections?limit=5000", "chief")]
        assert cut_s >= LINK_CUT_S
        assert len(sent_detections) >= 500
        assert sorted(stored) == sorted(sent_detections)  # each once: no loss, no duplicate
        detection_events = server.all_events("chief", "detection")
        assert sorted(e["id"] for e in detection_events) == sorted(sent_detections)
        object_events = server.all_events("chief", "object")
        assert sorted(e["hits"] for e in object_events) == [n // 5 + 1 for n in sent_objects]
        crops = list((server.data_dir / "evidence").rglob("*.jpg"))
        assert len(crops) == len([n for n in range(len(sent_detections) // 2) if n % 10 == 0])
        assert catch_up_s < 15.0, f"{catch_up_s:.1f} s to deliver the backlog"
        print(f"{len(sent_detections)} detections, {len(sent_objects)} object updates; cut "
              f"{cut_s:.1f} s; backlog delivered {catch_up_s:.1f} s after the server returned")
    finally:
        probe.close()
        stop(bridge)
        server.stop()
