"""`/api/vehicles/{id}/camera`: the live preview relay on a real server.

A vehicle's onboard bridge posts downscaled JPEGs with its detector's boxes; a console of the
vehicle's department reads the newest one, and only a newer one after that; nothing else may
post, other departments may not look, bad frames are refused naming the field.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import httpx
import numpy as np

from tests.web.auth_helpers import signed_in
from tests.web.server_harness import RunningServer
from web.auth.roles import Department, Role


def preview_jpeg(width: int = 320, height: int = 256) -> bytes:
    image = np.zeros((height, width), np.uint8)
    image[100:140, 150:170] = 230  # a warm person-sized blob
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    return data.tobytes()


def frame(captured_at: datetime, **change: Any) -> dict[str, Any]:
    return {"modality": "thermal", "captured_at": captured_at.isoformat(), "width": 320,
            "height": 256, "jpeg": base64.b64encode(preview_jpeg()).decode(),
            "boxes": [{"label": "person", "score": 0.91, "box": [150.0, 100.0, 170.0, 140.0]}],
            **change}


async def test_a_department_console_reads_the_newest_preview_of_its_vehicle(
    unlinked_fleet_server: RunningServer,
) -> None:
    server = unlinked_fleet_server
    uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
    fire = signed_in(server, Role.FIRE_OPERATOR, [Department.FIRE])
    traffic = signed_in(server, Role.TRAFFIC_POLICE, [Department.TRAFFIC])
    t0 = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        before = await http.get("/api/vehicles/uav0/camera/thermal", headers=fire)
        assert before.status_code == 404 and "no picture" in before.json()["detail"]

        first = await http.post("/api/vehicles/uav0/camera", json=frame(t0), headers=uav0)
        assert first.status_code == 202, first.text
        number = first.json()["frame"]
        got = await http.get("/api/vehicles/uav0/camera/thermal", headers=fire)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["frame"] == number and (body["width"], body["height"]) == (320, 256)
        assert datetime.fromisoformat(body["captured_at"]) == t0
        assert body["boxes"] == [{"label": "person", "score": 0.91,
                                  "box": [150.0, 100.0, 170.0, 140.0]}]
        image = cv2.imdecode(np.frombuffer(base64.b64decode(body["jpeg"]), np.uint8),
                             cv2.IMREAD_GRAYSCALE)
        assert image.shape == (256, 320) and image[120, 160] > 200  # the picture, decodable

        unchanged = await http.get(f"/api/vehicles/uav0/camera/thermal?after={number}",
                                   headers=fire)
        assert unchanged.status_code == 204 and unchanged.content == b""
        # A frame that a retry delivers late does not replace a newer one.
        late = await http.post("/api/vehicles/uav0/camera",
                               json=frame(t0 - timedelta(seconds=1)), headers=uav0)
        assert late.status_code == 202 and late.json() == {"frame": None}
        newer = await http.post("/api/vehicles/uav0/camera", json=frame(
            t0 + timedelta(milliseconds=500), boxes=[]), headers=uav0)
        assert newer.json()["frame"] > number
        fresh = await http.get(f"/api/vehicles/uav0/camera/thermal?after={number}",
                               headers=fire)
        assert fresh.status_code == 200 and fresh.json()["boxes"] == []
        rgb = await http.get("/api/vehicles/uav0/camera/rgb", headers=fire)
        assert rgb.status_code == 404  # each camera on its own

        hidden = await http.get("/api/vehicles/uav0/camera/thermal", headers=traffic)
        assert hidden.status_code == 403
        unknown = await http.get("/api/vehicles/uav7/camera/thermal", headers=fire)
        assert unknown.status_code == 404 and "uav7" in unknown.json()["detail"]
        assert (await http.get("/api/vehicles/uav0/camera/thermal")).status_code == 401

        others = await http.post("/api/vehicles/uav2/camera", json=frame(t0), headers=uav0)
        assert others.status_code == 403 and "may not post for 'uav2'" in others.text
        operator = await http.post("/api/vehicles/uav0/camera", json=frame(t0), headers=fire)
        assert operator.status_code == 403 and "onboard bridge" in operator.text

        admin = signed_in(server, Role.ADMIN)
        trail = (await http.get("/api/audit", headers=admin)).json()
        posts = [r for r in trail if r["action"].startswith("POST /api/vehicles/")]
        assert [r["result"] for r in posts] == ["refused", "refused"]  # frames are not rows


#: (change to the frame, the field named, words of the reason)
BAD_FRAMES: list[tuple[dict[str, Any], str | None, str]] = [
    ({"jpeg": base64.b64encode(b"GIF89a....").decode()}, None, "not a JPEG"),
    ({"jpeg": "not base64!"}, "jpeg", "base64"),
    ({"jpeg": base64.b64encode(b"\xff\xd8" + bytes(300_000)).decode()}, None, "at most"),
    ({"boxes": [{"label": "person", "score": 0.5, "box": [300.0, 10.0, 330.0, 20.0]}]}, None,
     "not inside the 320x256 preview"),
    ({"boxes": [{"label": "Person!", "score": 0.5, "box": [1.0, 1.0, 2.0, 2.0]}]}, "boxes",
     "pattern"),
    ({"width": 5000}, "width", "less than or equal to 1920"),
    ({"modality": "sonar"}, "modality", "'thermal' or 'rgb'"),
    ({"captured_at": "2026-11-25T10:00:00"}, "captured_at", "timezone"),
]


async def test_bad_frames_are_refused_naming_the_field_and_keep_nothing(
    unlinked_fleet_server: RunningServer,
) -> None:
    server = unlinked_fleet_server
    uav0 = signed_in(server, Role.VEHICLE, vehicle_id="uav0")
    admin = signed_in(server, Role.ADMIN)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
        for change, field, reason in BAD_FRAMES:
            answer = await http.post("/api/vehicles/uav0/camera",
                                     json={**frame(datetime.now(UTC)), **change},
                                     headers=uav0)
            assert answer.status_code == 422, (change, answer.text)
            problem = answer.json()["detail"][0]
            if field is not None:
                assert problem["loc"][1] == field, (change, problem)
            assert reason in problem["msg"], (change, problem)
        nothing = await http.get("/api/vehicles/uav0/camera/thermal", headers=admin)
        assert nothing.status_code == 404
