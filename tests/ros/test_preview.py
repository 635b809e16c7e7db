"""The uplink's live camera preview: thermal frames at 5 Hz and the detector's answers on
ROS 2 go to the ground server as small JPEGs about twice a second, each with the boxes found on
that very frame, and an operator of the vehicle's department reads them back."""

from __future__ import annotations

import base64
import time
from datetime import datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import yaml

from skywatch.layout import default_vehicles, fleet_document
from skywatch.onboard import node_command
from tests.ros.ground import PASSWORD, GroundServer, free_port
from tests.ros.probe import BEST_EFFORT, RELIABLE, Probe, start, stop
from web.auth.roles import Role

pytestmark = pytest.mark.e2e

FRAME_PERIOD_S = 0.2  # the simulator's 5 frames a second
WIDTH, HEIGHT = 640, 512
PERSON = (300, 200, 320, 240)  # x1, y1, x2, y2 in the full frame


def test_thermal_frames_reach_the_console_as_previews_with_their_boxes_at_2_hz(
        ros_domain: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sensor_msgs.msg import Image
    from skywatch_interfaces.msg import Detection, DetectionArray
    from skywatch_perception.images import array_to_image

    server = GroundServer(tmp_path / "ground", tmp_path / "server.log")
    uav2 = default_vehicles(3, 0)[2]  # the traffic police's drone; never linked here
    server.fleet_file.write_text(yaml.safe_dump(
        fleet_document([uav2], 22.5, 114.0, base_port=free_port())))
    server.add_account("bridge-uav2", Role.VEHICLE, vehicle_id="uav2")
    server.add_account("officer", Role.TRAFFIC_POLICE)
    server.start()
    monkeypatch.setenv("SKYWATCH_VEHICLE_PASSWORD", PASSWORD)
    bridge = start(node_command("skywatch_uplink", namespace="/uav2", params={
        "server_url": server.url, "username": "bridge-uav2",
        "outbox_path": str(tmp_path / "uplink.db"), "preview_period_s": 0.5}),
        tmp_path / "bridge.log")
    token = httpx.post(f"{server.url}/api/auth/token", timeout=30, data={
        "username": "officer", "password": PASSWORD}).json()["access_token"]
    officer = {"Authorization": f"Bearer {token}"}
    probe = Probe("preview_test")
    scene = np.full((HEIGHT, WIDTH), 29_500, np.uint16)  # ground at 295 K (centi-kelvin)
    x1, y1, x2, y2 = PERSON
    scene[y1:y2, x1:x2] = 30_900  # a person at 309 K
    stamps: list[float] = []  #: capture times published, UTC seconds
    previews: dict[int, dict[str, object]] = {}
    try:
        image_pub = probe.node.create_publisher(Image, "/uav2/thermal/image_raw", BEST_EFFORT)
        answer_pub = probe.node.create_publisher(DetectionArray, "/uav2/detections", RELIABLE)

        def frame_and_answer() -> None:
            """A frame, then the detector's answer on it (same header), as the nodes do."""
            image = array_to_image(scene, "mono16")
            now_ns = time.time_ns()
            image.header.stamp.sec, image.header.stamp.nanosec = divmod(now_ns, 10**9)
            image.header.frame_id = "uav2/thermal"
            image_pub.publish(image)
            answer = DetectionArray(header=image.header, image_width=WIDTH, image_height=HEIGHT)
            answer.detections.append(Detection(
                detection_id=f"uav2-thermal-{now_ns}-0", label="person", modality="thermal",
                score=0.87, x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2)))
            answer_pub.publish(answer)
            stamps.append(now_ns / 1e9)

        def latest() -> bool:
            got = httpx.get(f"{server.url}/api/vehicles/uav2/camera/thermal", headers=officer,
                            timeout=10)
            if got.status_code == 200:
                previews[got.json()["frame"]] = got.json()
            return len(previews) >= 1

        probe.wait_for(lambda: image_pub.get_subscription_count() > 0
                       and answer_pub.get_subscription_count() > 0, 30,
                       "the uplink to subscribe", watch=[bridge])
        probe.wait_for(latest, 30, "a first preview on the server", every_s=FRAME_PERIOD_S,
                       action=frame_and_answer, watch=[bridge])
        previews.clear()
        started, frames_before = time.monotonic(), len(stamps)
        until = started + 4.0
        probe.wait_for(lambda: latest() and time.monotonic() >= until, 15, "4 s of previews",
                       every_s=FRAME_PERIOD_S, action=frame_and_answer, watch=[bridge])
        offered = len(stamps) - frames_before

        # Downscaled to 320 px wide, the person's box scaled with it, the picture decodable.
        preview = previews[max(previews)]
        assert (preview["width"], preview["height"]) == (320, 256)
        assert preview["boxes"] == [{"label": "person", "score": 0.87,
                                     "box": [150.0, 100.0, 160.0, 120.0]}]
        picture = cv2.imdecode(np.frombuffer(base64.b64decode(str(preview["jpeg"])), np.uint8),
                               cv2.IMREAD_GRAYSCALE)
        assert picture.shape == (256, 320)
        assert picture[110, 155] > 200 and picture[30, 30] < 50  # the warm person, the ground
        captured = datetime.fromisoformat(str(preview["captured_at"]))
        assert min(abs(captured.timestamp() - s) for s in stamps) < 1e-3  # the frame's stamp
        received = datetime.fromisoformat(str(preview["received_at"]))
        delay_s = (received - captured).total_seconds()
        assert 0.0 <= delay_s < 2.0
        # About 2 a second (polled, so some are missed), never every frame of the 5 a second.
        assert offered >= 15 and 3 <= len(previews) <= 10, (offered, sorted(previews))
        rgb = httpx.get(f"{server.url}/api/vehicles/uav2/camera/rgb", headers=officer)
        assert rgb.status_code == 404  # no colour frames were published
        print(f"{offered} frames offered in 4 s, {len(previews)} previews seen; "
              f"last delivered {delay_s:.2f} s after capture")
    finally:
        probe.close()
        stop(bridge)
        server.stop()


def test_a_colour_preview_keeps_its_colours_and_a_small_frame_is_not_enlarged(
        ros_built: None) -> None:
    from skywatch_bridge.preview import preview_body

    frame = np.zeros((480, 960, 3), np.uint8)
    frame[:, :480] = (220, 30, 30)  # left half red (RGB), right half black
    body = preview_body(frame, modality="rgb", captured_at="2026-12-04T09:00:00+00:00",
                        boxes=[("fire", 0.7, (400.0, 100.0, 1000.0, 200.0))],
                        max_width_px=320, quality=80)
    assert (body["width"], body["height"]) == (320, 160)
    assert body["boxes"] == [{"label": "fire", "score": 0.7,  # clipped to the picture
                              "box": [133.33, 33.33, 320.0, 66.67]}]
    bgr = cv2.imdecode(np.frombuffer(base64.b64decode(body["jpeg"]), np.uint8),
                       cv2.IMREAD_COLOR)
    blue, green, red = (int(v) for v in bgr[80, 60])
    assert red > 180 and green < 70 and blue < 70  # red stays red
    small = preview_body(frame[:100, :200], modality="rgb", captured_at="x", boxes=[],
                         max_width_px=320, quality=80)
    assert (small["width"], small["height"]) == (200, 100)
