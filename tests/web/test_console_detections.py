"""What the drones find, in the console: real headless Chromium against the real server, with
the data posted through the real API by vehicle accounts (as the onboard uplink posts it).

A fire operator sees fires and people on the map (a flame or a figure, and a circle as wide as
the position's uncertainty), lists them with the evidence crops as thumbnails, hears one alarm
per new fire or person (not per frame, not for smoke, not for another department's drone, not
for what was found before the page opened), and watches the selected drone's live camera with
the detector's boxes and the picture's latency.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from playwright.async_api import Browser, Page

from tests.web.auth_helpers import PASSWORD, signed_in, token_of
from tests.web.server_harness import RunningServer
from web.auth.roles import Department, Role

pytestmark = pytest.mark.browser

LAT, LON = 22.5, 114.0  # the test fleet's docks; the map opens on them
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
Post = Callable[[dict[str, Any]], Awaitable[None]]
#: Whether the element with this test id sits in the middle of the map (within 5 px).
CENTRED = """(testid) => {
  const m = document.querySelector('#map').getBoundingClientRect();
  const o = document.querySelector(`[data-testid="${testid}"]`).getBoundingClientRect();
  return Math.abs(o.x + o.width / 2 - (m.x + m.width / 2)) < 5
    && Math.abs(o.y + o.height / 2 - (m.y + m.height / 2)) < 5;
}"""


def crop_jpeg(width: int, height: int, value: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width), value, np.uint8))
    assert ok
    return data.tobytes()


def detection(ident: str, label: str, at_s: float, crop: bytes | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": ident, "vehicle_id": ident.split("-")[0], "label": label, "modality": "thermal",
        "score": 0.9, "captured_at": (T0 + timedelta(seconds=at_s)).isoformat(),
        "box": [100.0, 200.0, 112.0, 219.0], "image_width": 640, "image_height": 512}
    if crop is not None:
        body["crop_jpeg"] = base64.b64encode(crop).decode()
    return body


def tracked(ident: str, label: str, at_s: float, *, north_m: float, sigma_m: float,
            evidence: str | None) -> dict[str, Any]:
    vehicle, track = ident.split("-")[:2]
    return {"id": ident, "vehicle_id": vehicle, "track_id": int(track), "label": label,
            "evidence_at": (T0 + timedelta(seconds=at_s)).isoformat(),
            "lat_deg": LAT + north_m / 111_000, "lon_deg": LON, "sigma_major_m": sigma_m,
            "sigma_minor_m": sigma_m / 2, "major_bearing_deg": 0.0, "confidence": 0.8,
            "hits": 3, "evidence_detection_id": evidence}


async def bridge_of(server: RunningServer, http: httpx.AsyncClient, vehicle_id: str) -> Post:
    """A vehicle account an admin creates through the API, signed in as its bridge does."""
    admin = signed_in(server, Role.ADMIN)
    created = await http.post("/api/users", headers=admin, json={
        "username": f"bridge-{vehicle_id}", "password": PASSWORD, "role": "vehicle",
        "vehicle_id": vehicle_id})
    assert created.status_code == 201, created.text
    tokens = (await http.post("/api/auth/token", data={
        "username": f"bridge-{vehicle_id}", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    async def post(batch: dict[str, Any]) -> None:
        answer = await http.post("/api/detections", json=batch, headers=headers)
        assert answer.status_code == 200 and answer.json()["duplicates"] == [], answer.text

    return post


async def open_console(server: RunningServer, browser: Browser) -> Page:
    """The console of a fire operator (the session a sign-in leaves), at 1366x768."""
    token = token_of(signed_in(server, Role.FIRE_OPERATOR, [Department.FIRE]))
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.add_init_script(
        "sessionStorage.setItem('skywatch.session', JSON.stringify("
        f"{{access: '{token}', refresh: '', expiresAt: Date.now() + 3600e3}}))")
    await page.goto(server.http_url)
    await page.locator('[data-testid="stream-status"][data-state="live"]').wait_for()
    return page


async def screenshot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path))
    print(f"screenshot: {path}")


async def test_fires_and_people_found_are_mapped_listed_with_evidence_and_alarm_once_each(
    unlinked_fleet_server: RunningServer, browser: Browser, tmp_path: Path,
) -> None:
    server = unlinked_fleet_server
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        uav0 = await bridge_of(server, http, "uav0")
        uav2 = await bridge_of(server, http, "uav2")  # the traffic police's drone
        # Found before the console opened: drawn and listed, but old news (no alarm).
        await uav0({"detections": [detection("uav0-d1", "fire", 0, crop_jpeg(40, 30, 200))],
                    "objects": [tracked("uav0-1-a", "fire", 0, north_m=-60, sigma_m=10,
                                        evidence="uav0-d1")]})
        page = await open_console(server, browser)
        await page.get_by_test_id("object-uav0/1").wait_for()
        assert await page.locator('.alarm[data-key^="object:"]').count() == 0

        # A person, seen again (moved 5 m, surer); smoke; a second fire; a person on uav2.
        await uav0({"detections": [detection("uav0-d2", "person", 10, crop_jpeg(24, 36, 150))],
                    "objects": [tracked("uav0-2-a", "person", 10, north_m=0, sigma_m=12,
                                        evidence="uav0-d2")]})
        await uav0({"detections": [detection("uav0-d3", "person", 11, crop_jpeg(24, 36, 160))],
                    "objects": [tracked("uav0-2-b", "person", 11, north_m=5, sigma_m=6,
                                        evidence="uav0-d3"),
                                tracked("uav0-3-a", "smoke", 12, north_m=80, sigma_m=15,
                                        evidence=None)]})
        await uav0({"detections": [detection("uav0-d4", "fire", 13, crop_jpeg(48, 32, 220))],
                    "objects": [tracked("uav0-4-a", "fire", 13, north_m=120, sigma_m=24,
                                        evidence="uav0-d4")]})
        await uav2({"objects": [tracked("uav2-1-a", "person", 14, north_m=30, sigma_m=5,
                                        evidence=None)]})
        items = page.locator('[data-testid^="object-item-"]')
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid^=object-item-]').length === 4")

        # On the map: a flame or a figure per object, the circle its uncertainty, to scale.
        icons = page.locator(".object-icon")
        assert await icons.count() == 4  # uav2's person is not the fire service's
        labels = {await i.get_attribute("data-testid"): await i.get_attribute("data-label")
                  for i in await icons.all()}
        assert labels == {"object-uav0/1": "fire", "object-uav0/2": "person",
                          "object-uav0/3": "smoke", "object-uav0/4": "fire"}
        assert await page.locator('[data-testid="object-uav0/2"] svg circle').count() == 1
        scale = page.locator(".leaflet-control-scale-line")
        scale_m = float(re.sub(r"[^\d.]", "", await scale.inner_text()))  # "100 m"
        scale_m *= 1000 if "km" in await scale.inner_text() else 1
        px_per_m = (await scale.bounding_box() or {"width": 0})["width"] / scale_m
        for object_id, sigma_m in (("uav0/2", 6.0), ("uav0/4", 24.0), ("uav0/1", 10.0)):
            circle = page.get_by_test_id(f"object-circle-{object_id}")
            assert float(await circle.get_attribute("data-radius-m") or "0") == sigma_m
            box = await circle.bounding_box()
            assert box is not None
            # Leaflet rounds the radius to whole pixels; the scale bar to a round distance.
            assert abs(box["width"] - 2 * sigma_m * px_per_m) <= 0.12 * box["width"] + 3, (
                object_id, box, px_per_m)

        # In the list: newest first, with the crop the vehicle sent as a thumbnail.
        order = [await i.get_attribute("data-testid") for i in await items.all()]
        assert order == ["object-item-uav0/4", "object-item-uav0/3", "object-item-uav0/2",
                         "object-item-uav0/1"]
        for object_id, width, height in (("uav0/4", 48, 32), ("uav0/2", 24, 36),
                                         ("uav0/1", 40, 30)):
            thumb = page.get_by_test_id(f"object-thumb-{object_id}")
            await page.wait_for_function(
                "(img) => img && img.complete && img.naturalWidth > 0",
                arg=await thumb.element_handle())
            size = await thumb.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
            assert size == [width, height], object_id  # the latest evidence: d3 for uav0/2
        assert await page.locator('[data-testid="object-item-uav0/3"] img').count() == 0
        counts = page.get_by_test_id("object-counts")
        assert await counts.inner_text() == "火点：2 · 人员：1"
        assert "人员 · uav0 · 80% · ±6米" in await items.nth(2).inner_text()

        # One alarm, one beep, per new fire or person: not per update, not for smoke.
        await uav0({"objects": [tracked("uav0-4-b", "fire", 15, north_m=121, sigma_m=20,
                                        evidence="uav0-d4")]})
        await page.get_by_test_id("object-circle-uav0/4").and_(
            page.locator('[data-radius-m="20"]')).wait_for()
        alarms = page.locator('.alarm[data-key^="object:"]')
        assert sorted([await a.get_attribute("data-key") for a in await alarms.all()]) == [
            "object:uav0/2", "object:uav0/4"]
        assert await page.locator(".alarm-panel").get_attribute("data-beeps") == "2"
        assert "Fire 1：发现人员（80%）" in await alarms.last.inner_text()

        # From the keyboard: a row of the list takes the focus, Enter shows the object.
        await page.get_by_test_id("object-select-uav0/4").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_function(CENTRED, arg="object-uav0/4")
        thumb = await page.get_by_test_id("object-thumb-uav0/4").bounding_box()
        assert thumb is not None and thumb["width"] >= 30  # legible on a laptop

        # The person's alarm, clicked: the map centres on the person, the panel on its drone.
        await page.locator('.alarm[data-key="object:uav0/2"] .alarm-text').click()
        await page.wait_for_function(CENTRED, arg="object-uav0/2")
        assert "uav0" in await page.get_by_test_id("panel-name").inner_text()
        assert await page.get_by_test_id("camera").is_visible()
        await screenshot(page, tmp_path / "console-found.png")
        await page.close()


async def test_the_selected_drones_live_camera_shows_boxes_and_its_latency(
    unlinked_fleet_server: RunningServer, browser: Browser, tmp_path: Path,
) -> None:
    server = unlinked_fleet_server
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        admin = signed_in(server, Role.ADMIN)
        await http.post("/api/users", headers=admin, json={
            "username": "bridge-uav0", "password": PASSWORD, "role": "vehicle",
            "vehicle_id": "uav0"})
        tokens = (await http.post("/api/auth/token", data={
            "username": "bridge-uav0", "password": PASSWORD})).json()
        bridge = {"Authorization": f"Bearer {tokens['access_token']}"}
        picture = np.zeros((256, 320), np.uint8)
        picture[100:140, 150:170] = 230  # a warm person
        ok, jpeg = cv2.imencode(".jpg", picture)
        assert ok
        sending = asyncio.Event()
        sending.set()

        async def camera_at_2_hz() -> None:
            """The onboard bridge's preview: a frame every 0.5 s, 0.3 s old on arrival."""
            while sending.is_set():
                sent = await http.post("/api/vehicles/uav0/camera", headers=bridge, json={
                    "modality": "thermal", "width": 320, "height": 256,
                    "captured_at": (datetime.now(UTC) - timedelta(seconds=0.3)).isoformat(),
                    "jpeg": base64.b64encode(jpeg.tobytes()).decode(),
                    "boxes": [{"label": "person", "score": 0.9, "box": [148, 98, 172, 142]}]})
                assert sent.status_code == 202, sent.text
                await asyncio.sleep(0.5)

        page = await open_console(server, browser)
        await page.get_by_test_id("vehicle-item-uav0").click()
        status = page.get_by_test_id("camera-status")
        await page.locator('[data-testid="camera"][data-state="none"]').wait_for()
        assert await status.inner_text() == "该相机暂无画面"

        streaming = asyncio.create_task(camera_at_2_hz())
        try:
            canvas = page.get_by_test_id("camera-canvas")
            frame = "Number(document.querySelector('[data-testid=camera-canvas]').dataset.frame)"
            await page.wait_for_function(f"() => {frame} > 0", timeout=20_000)
            first = int(await canvas.get_attribute("data-frame") or "0")
            await page.wait_for_function(f"() => {frame} > {first}")  # it follows the stream
            assert await canvas.get_attribute("data-boxes") == "1"
            pixels = await canvas.evaluate("""(c) => {
              const at = (x, y) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data);
              return { person: at(160, 120), edge: at(148, 120), ground: at(40, 40) };
            }""")
            assert pixels["person"][0] > 200 and pixels["ground"][0] < 30  # the picture
            red, green, blue, _ = pixels["edge"]
            assert blue > 200 and green > 180 and red < 80  # the person's box, drawn in cyan
            latency_ms = float(await status.get_attribute("data-latency-ms") or "nan")
            assert 300 <= latency_ms < 3000
            assert re.fullmatch(r"延迟 \d+(\.\d)? ?秒", await status.inner_text())
            await screenshot(page, tmp_path / "console-camera.png")

            await page.get_by_test_id("camera-modality").select_option("rgb")
            await page.locator('[data-testid="camera"][data-state="none"]').wait_for()
            await page.get_by_test_id("camera-modality").select_option("thermal")
            await page.locator('[data-testid="camera"][data-state="live"]').wait_for()
        finally:
            sending.clear()
            await streaming
        # No more frames: the latency grows, so a frozen picture does not pass for live.
        await page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=camera-status]')"
            ".dataset.latencyMs) > 2500", timeout=10_000)

        # A frame stamped 3 s ahead (a sped-up simulator): no made-up latency.
        ahead = await http.post("/api/vehicles/uav0/camera", headers=bridge, json={
            "modality": "thermal", "width": 320, "height": 256, "boxes": [],
            "captured_at": (datetime.now(UTC) + timedelta(seconds=3)).isoformat(),
            "jpeg": base64.b64encode(jpeg.tobytes()).decode()})
        assert ahead.status_code == 202, ahead.text
        await page.locator('[data-testid="camera-status"]:has-text("机载时钟快")').wait_for()
        assert re.fullmatch(r"机载时钟快 [23](\.\d)? ?秒，无法计算延迟", await status.inner_text())

        # It sits in a corner of the map on a laptop, and grows with the type on a wall.
        map_box, box = (await page.locator("#map").bounding_box(),
                        await page.get_by_test_id("camera").bounding_box())
        assert map_box is not None and box is not None
        assert box["x"] >= map_box["x"] and box["y"] + box["height"] <= map_box["y"] + (
            map_box["height"])
        assert 240 <= box["width"] <= 0.4 * map_box["width"]
        await page.set_viewport_size({"width": 3840, "height": 2160})
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=camera]').offsetWidth >= 450")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 3840
        await screenshot(page, tmp_path / "console-camera-wall.png")
        await page.close()
