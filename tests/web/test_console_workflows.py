"""A fire operator's workflow in real headless Chromium, against `skywatch serve` and the simulator.

Four drones and a rover at their docks (20x speed-up). The operator signs in (the page is in
Chinese until they switch), reports a fire by clicking the map, reads the dispatcher's proposal,
confirms it, watches the nearest thermal drone take off and the mission advance on its timeline,
acknowledges the alarm the new incident raised, pauses and resumes the mission behind a
confirmation, switches the console to English, calls the fire off, replays the mission from
the event log and switches back to Chinese. Screenshots go to the test's tmp dir; their paths
are printed (`-rP` shows them) and recorded as the test's `screenshot` properties.
"""

from __future__ import annotations

import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from skywatch.layout import (
    SHENZHEN_LAT_DEG,
    SHENZHEN_LON_DEG,
    default_vehicles,
    fleet_document,
    world_document,
)
from tests.sim_harness import start_sim

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SKYWATCH = str(Path(sys.executable).with_name("skywatch"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]
ADMIN_PASSWORD = "the chief signs at dawn 4417"
OPERATOR = "fire-op-1"
OPERATOR_PASSWORD = "hose reel on the ladder 58"
SPEEDUP = 20.0
FIRE_VEHICLES = {"uav0", "uav1", "ugv0"}  # the default fleet's fire department


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_connected(url: str, vehicles: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{url}/api/health", timeout=2).json()
            if last["vehicles_connected"] == vehicles:  # type: ignore[index]
                return
        except httpx.TransportError as e:
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"server not connected to {vehicles} vehicles: {last}")


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = math.radians(lat2 - lat1) * 6_371_008.8
    east = math.radians(lon2 - lon1) * 6_371_008.8 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("workflows")
    vehicles = default_vehicles(4, 1)
    world = tmp_path / "world.yaml"  # every vehicle starts on its dock
    world.write_text(yaml.safe_dump(world_document(vehicles, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG)))
    with start_sim(tmp_path, vehicles=4, rovers=1, speedup=SPEEDUP, world=world) as sim:
        fleet = tmp_path / "fleet.yaml"
        fleet.write_text(yaml.safe_dump(fleet_document(
            vehicles, SHENZHEN_LAT_DEG, SHENZHEN_LON_DEG, base_port=sim.base_port
        )))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SKYWATCH_ADMIN_PASSWORD": ADMIN_PASSWORD}
        with (tmp_path / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [SKYWATCH, "serve", "--fleet", str(fleet), "--port", str(port),
                 "--data-dir", str(tmp_path / "data")],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_until_connected(url, vehicles=5, timeout_s=60)
            admin = httpx.post(f"{url}/api/auth/token", timeout=10, data={
                "username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
            created = httpx.post(f"{url}/api/users", timeout=10,
                                 headers={"Authorization": f"Bearer {admin}"},
                                 json={"username": OPERATOR, "password": OPERATOR_PASSWORD,
                                       "role": "fire_operator", "departments": ["fire"]})
            assert created.status_code == 201, created.text
            yield url
        finally:
            server.terminate()
            server.wait(timeout=15)


@pytest.fixture
def page(console_url: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(console_url)
        yield page
        browser.close()
        assert errors == []  # no script failed along the way


Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def screenshot(tmp_path: Path, record_property: Callable[[str, object], None]) -> Screenshot:
    """Save the page as `<tmp>/<name>.png`, print the path and attach it to the report."""

    def take(page: Page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000  # a rendered console, not a blank page
        print(f"screenshot: {path}")
        record_property("screenshot", str(path))
        return path

    return take


def _marker_position(page: Page, vehicle_id: str) -> tuple[float, float]:
    marker = page.get_by_test_id(f"vehicle-marker-{vehicle_id}")
    return (float(marker.get_attribute("data-lat") or "nan"),
            float(marker.get_attribute("data-lon") or "nan"))


def test_a_fire_operator_reports_a_fire_confirms_the_dispatch_and_follows_the_mission(
    page: Page, screenshot: Screenshot,
) -> None:
    # Signing in, in Chinese: the default language.
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    expect(page.get_by_test_id("btn-sign-in")).to_have_text("登录")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_test_id("input-username").fill(OPERATOR)
    page.get_by_test_id("input-password").fill("not my password at all")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sign-in-error")).to_have_text("用户名或密码错误")
    page.get_by_test_id("input-password").fill(OPERATOR_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("user")).to_contain_text("消防操作员")
    expect(page.get_by_test_id("stream-status")).to_have_text("实时", timeout=15_000)

    # The fire operator's view: the fire department's three vehicles, no others.
    markers = page.locator('[data-testid^="vehicle-marker-"]')
    expect(markers).to_have_count(3, timeout=20_000)
    shown = {m.get_attribute("data-testid").removeprefix("vehicle-marker-")  # type: ignore[union-attr]
             for m in markers.all()}
    assert shown == FIRE_VEHICLES
    dock_lat, dock_lon = _marker_position(page, "uav0")

    # A fire, priority 1, clicked on the map 80 px north-east of uav0's dock.
    page.get_by_test_id("incident-type").select_option("fire")
    page.get_by_test_id("incident-priority").select_option("1")
    page.get_by_test_id("incident-pick-point").click()
    box = page.get_by_test_id("vehicle-marker-uav0").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 50)
    expect(page.get_by_test_id("incident-place-text")).to_contain_text("点 22.")
    page.get_by_test_id("incident-preview").click()

    # The proposal: the nearest thermal drone, with its ETA and battery margin; the rover and
    # the farther drone with their reasons.
    expect(page.get_by_test_id("proposal")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("proposal-task-uav0")).to_be_visible()
    chosen = page.get_by_test_id("proposal-candidate-uav0")
    expect(chosen).to_have_attribute("data-verdict", "chosen")
    eta_s = float(chosen.get_attribute("data-eta-s") or "nan")
    assert 30.0 < eta_s < 600.0
    expect(chosen).to_contain_text("%")
    other = page.get_by_test_id("proposal-candidate-uav1")
    expect(other).not_to_have_attribute("data-verdict", "chosen")
    assert float(other.get_attribute("data-eta-s") or "inf") > eta_s
    rover = page.get_by_test_id("proposal-candidate-ugv0")
    expect(rover).to_have_attribute("data-verdict", "rejected")
    assert rover.locator(".reasons").inner_text().strip() != ""
    assert page.locator(".leaflet-overlay-pane path").count() >= 1  # the proposed route drawn
    screenshot(page, "console-proposal")

    # Confirm (the confirm button has the focus: Enter), and the incident exists.
    expect(page.get_by_test_id("proposal-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("incident-status")).to_contain_text("已创建")
    incident = page.locator('[data-testid^="incident-item-"]').first
    expect(incident).to_be_visible()
    expect(page.locator('[data-testid^="incident-shape-"]')).to_have_count(1)

    # The alarm the new incident raised, with a beep, acknowledged.
    alarm = page.locator('.alarm[data-key^="incident:"]')
    expect(alarm).to_be_visible(timeout=10_000)
    expect(alarm).to_contain_text("火情")
    assert int(page.locator(".alarm-panel").get_attribute("data-beeps") or "0") >= 1
    alarm.locator(".ack").click()
    expect(alarm).to_have_class("alarm severity-critical acknowledged")

    # The mission: uav0 launches and flies; the timeline shows its states with times.
    mission = page.locator('[data-testid^="mission-item-"]').first
    expect(mission).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("mission-detail")).to_be_visible()
    row = page.locator('[data-testid^="timeline-task-"]').first
    expect(row).to_have_attribute("data-state", "transit", timeout=40_000)
    page.wait_for_function(
        """([lat, lon]) => {
          const m = document.querySelector('[data-testid=vehicle-marker-uav0]');
          const dn = (Number(m.dataset.lat) - lat) * 111_000;
          const de = (Number(m.dataset.lon) - lon) * 111_000 * Math.cos(lat * Math.PI / 180);
          return Math.hypot(dn, de) > 50;
        }""", arg=[dock_lat, dock_lon], timeout=40_000)
    lat, lon = _marker_position(page, "uav0")
    assert _distance_m(dock_lat, dock_lon, lat, lon) > 50.0  # it left its dock
    steps = row.locator(".timeline-steps li")
    assert steps.count() >= 2  # e.g. launching then in transit, each with its time
    assert ":" in steps.first.locator("time").inner_text()
    classes = steps.evaluate_all("items => items.map((item) => item.className)")
    order = ["state-planned", "state-queued", "state-launching", "state-transit",
             "state-on_station", "state-returning", "state-done"]
    ranks = [order.index(c) for c in classes]
    assert ranks == sorted(set(ranks))  # each state once, in the order it happened
    page.wait_for_function(  # progress through the plan, read back from the server
        "() => Number(document.querySelector('[data-testid^=timeline-task-]')"
        ".dataset.progress) > 0", timeout=40_000)
    progress = float(row.get_attribute("data-progress") or "0")
    assert 0.0 < progress <= 1.0
    screenshot(page, "console-mission")

    # Pause and resume behind a confirmation; Esc declines, the button confirms.
    page.get_by_test_id("mission-pause").click()
    expect(page.get_by_test_id("mission-pause-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("mission-pause-dialog")).to_have_count(0)
    expect(mission).not_to_have_attribute("data-state", "paused")
    page.get_by_test_id("mission-pause").click()
    page.get_by_test_id("mission-pause-ok").click()
    expect(mission).to_have_attribute("data-state", "paused", timeout=10_000)
    page.get_by_test_id("mission-resume").click()
    page.keyboard.press("Enter")
    expect(mission).to_have_attribute("data-state", "active", timeout=10_000)

    # A longer watch on scene: 12 minutes, in the plan the drone flies.
    page.get_by_test_id("mission-watch-min").fill("12")
    page.get_by_test_id("mission-watch").click()
    expect(page.get_by_test_id("mission-status")).to_have_text("设置值守：完成", timeout=15_000)
    mission_id = (mission.get_attribute("data-testid") or "").removeprefix("mission-item-")
    token = httpx.post(f"{page.url.rstrip('/')}/api/auth/token", timeout=10, data={
        "username": OPERATOR, "password": OPERATOR_PASSWORD}).json()["access_token"]
    stored = httpx.get(f"{page.url.rstrip('/')}/api/missions/{mission_id}", timeout=10,
                       headers={"Authorization": f"Bearer {token}"}).json()
    holds_s = [i["hold_s"] for task in stored["tasks"] if task["state"] != "cancelled"
               for i in task["plan"]["items"] if i["kind"] == "loiter" and i["hold_s"] > 0]
    assert holds_s[-1] == 720.0

    # English, remembered across a reload.
    page.get_by_test_id("language").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#incidents h2")).to_have_text("Incidents")
    expect(page.locator("#missions h2")).to_have_text("Missions")
    expect(page.locator(".alarm-panel h2")).to_have_text("Alarms")
    expect(page.get_by_test_id("stream-status")).to_have_text("live")
    expect(page.get_by_test_id("user")).to_contain_text("fire operator")
    expect(row.locator(".badge")).to_have_text(re.compile("^(in transit|on station|returning)$"))
    screenshot(page, "console-english")

    # Calling the fire off: the mission is aborted and uav0 heads home.
    incident.locator(".incident-name").click()
    page.get_by_test_id("incident-cancel").click()
    expect(page.get_by_test_id("incident-cancel-dialog")).to_contain_text("recalled")
    page.get_by_test_id("incident-cancel-ok").click()
    expect(incident).to_have_attribute("data-state", "cancelled", timeout=10_000)
    expect(mission).to_have_attribute("data-state", "aborted", timeout=10_000)
    expect(page.get_by_test_id("mission-abort")).to_be_disabled()
    expect(row).to_have_attribute("data-state", re.compile("^(returning|cancelled)$"),
                                  timeout=10_000)

    # The mission replayed from the event log at 10x: states on the timeline, uav0's track.
    mission.locator(".mission-name").click()
    page.get_by_test_id("replay-speed").select_option("10")
    page.get_by_test_id("replay-play").click()
    expect(page.get_by_test_id("replay-status")).to_contain_text("Replay finished",
                                                                  timeout=30_000)
    expect(page.get_by_test_id("mission-timeline")).to_have_attribute("data-replay", "true")
    replayed = page.locator('[data-testid="mission-timeline"] .timeline-steps li')
    assert "state-launching" in replayed.evaluate_all("items => items.map((i) => i.className)")
    track = page.get_by_test_id("replay-marker-uav0")
    assert int(track.get_attribute("data-points") or "0") >= 10
    screenshot(page, "console-replay")
    page.get_by_test_id("replay-stop").click()
    expect(track).to_have_count(0)
    expect(page.get_by_test_id("mission-timeline")).to_have_attribute("data-replay", "false")

    page.reload()  # the language is remembered, the session too (same tab)
    expect(page.locator("#incidents h2")).to_have_text("Incidents", timeout=10_000)
    expect(page.locator('[data-testid^="incident-item-"]').first).to_have_attribute(
        "data-state", "cancelled")

    # And back to Chinese: every panel's text follows at once, without a reload.
    page.get_by_test_id("language").select_option("zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#incidents h2")).to_have_text("事件")
    expect(page.locator(".alarm-panel h2")).to_have_text("告警")
    expect(page.get_by_test_id("stream-status")).to_have_text("实时")
    expect(page.get_by_test_id("user")).to_contain_text("消防操作员")
    expect(page.get_by_test_id("incident-preview")).not_to_have_text(re.compile("[A-Za-z]{4}"))
    screenshot(page, "console-chinese-again")


def test_a_person_search_area_drawn_on_the_map_is_dispatched_to_a_thermal_drone(
    page: Page, screenshot: Screenshot,
) -> None:
    page.get_by_test_id("input-username").fill(OPERATOR)
    page.get_by_test_id("input-password").fill(OPERATOR_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid^="vehicle-marker-"]')).to_have_count(3, timeout=20_000)

    page.get_by_test_id("incident-type").select_option("person_search")
    page.get_by_test_id("incident-draw-area").click()
    expect(page.get_by_test_id("incident-status")).to_contain_text("Enter")  # how to close
    box = page.get_by_test_id("vehicle-marker-uav1").bounding_box()  # idle on its dock
    assert box is not None
    x0, y0 = box["x"] + box["width"] / 2 - 90, box["y"] + box["height"] / 2 + 30
    for dx, dy in [(0, 0), (50, 0), (50, 40), (0, 40)]:
        page.mouse.click(x0 + dx, y0 + dy)
    page.keyboard.press("Enter")  # closes the area
    expect(page.get_by_test_id("incident-place-text")).to_contain_text("4 个角点的区域")
    page.get_by_test_id("incident-preview").click()

    expect(page.get_by_test_id("proposal")).to_be_visible(timeout=10_000)
    expect(page.locator('[data-testid^="proposal-task-"]')).to_have_count(1)
    expect(page.get_by_test_id("proposal-task-uav1")).to_contain_text("uav1")  # the nearest
    expect(page.get_by_test_id("proposal-candidate-uav1")).to_have_attribute(
        "data-verdict", "chosen")
    expect(page.get_by_test_id("proposal-candidate-ugv0")).to_have_attribute(
        "data-verdict", "rejected")  # a rover cannot search from above
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("incident-status")).to_contain_text("已创建")
    shape = page.locator('[data-testid^="incident-shape-"]').last
    expect(shape).to_have_attribute("data-state", re.compile("^(dispatched|active)$"))
    row = page.locator('[data-testid^="timeline-task-"]:has-text("uav1")')
    expect(row).to_have_attribute("data-state", re.compile("^(launching|transit|on_station)$"),
                                  timeout=20_000)
    screenshot(page, "console-area")
